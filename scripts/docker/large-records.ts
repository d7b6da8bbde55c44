// Writes COUNT records of about MB megabytes each for stream "users", then one STATE: input many
// times larger than a small container's memory limit.
// Usage: node --import tsx scripts/docker/large-records.ts COUNT MB
const [count, megabytes] = process.argv.slice(2).map(Number);
if (!count || !megabytes) throw new Error("usage: large-records.ts COUNT MB");

async function write(line: string): Promise<void> {
  if (!process.stdout.write(line + "\n")) await new Promise((resolve) => process.stdout.once("drain", resolve));
}

const blob = "x".repeat(megabytes * 1024 * 1024);
for (let id = 1; id <= count; id++) {
  await write(JSON.stringify({ type: "RECORD", record: { stream: "users", data: { id, blob }, emitted_at: Date.now() } }));
}
await write(
  JSON.stringify({
    type: "STATE",
    state: { type: "STREAM", stream: { stream_descriptor: { name: "users" }, stream_state: { last_id: count } } },
  }),
);
