// Writes Airbyte RECORD messages for stream "users", with a STATE after every `stateEvery` records.
// Usage: node --import tsx scripts/docker/input-messages.ts RECORDS STATE_EVERY [DELAY_MS]
// With DELAY_MS, waits that long after each STATE and keeps stdout open once done, so a
// container reading it is still mid-write when it is told to stop (the caller kills this process).
import { setTimeout as sleep } from "node:timers/promises";

const [records, stateEvery, delayMs] = process.argv.slice(2).map(Number);
if (!records || !stateEvery) throw new Error("usage: input-messages.ts RECORDS STATE_EVERY [DELAY_MS]");

// The reader going away (the container was stopped) ends the input early; that is expected here.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

async function write(line: string): Promise<void> {
  if (!process.stdout.write(line + "\n")) await new Promise((resolve) => process.stdout.once("drain", resolve));
}

for (let id = 1; id <= records; id++) {
  await write(JSON.stringify({ type: "RECORD", record: { stream: "users", data: { id, name: `user-${id}` }, emitted_at: Date.now() } }));
  if (id % stateEvery === 0 || id === records) {
    await write(
      JSON.stringify({
        type: "STATE",
        state: { type: "STREAM", stream: { stream_descriptor: { name: "users" }, stream_state: { last_id: id } } },
      }),
    );
    if (delayMs) await sleep(delayMs);
  }
}
// Bounded: a caller that forgets to kill this process still gets end-of-input after a minute.
if (delayMs) await sleep(60_000);
