// Crash and resume: after kill -9, replaying the input from the last echoed STATE delivers every record.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startFauxqs } from "fauxqs";
import { catalogOf, recordLine, stateLine, statesOf } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { uniqueQueueName, emulatorConfigFile } from "../helpers/emulators.js";
import { startConnector } from "../helpers/live-connector.js";

type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;

const RECORDS = 10_000;
const RECORDS_PER_STATE = 250;
const catalog = writeTempJson(catalogOf([{ name: "orders", primaryKey: [["id"]] }]));

let server: Fauxqs;
before(async () => {
  server = await startFauxqs({ port: 0, logger: false });
});
after(async () => {
  await server.stop();
});

/** Records first..RECORDS-1, each followed every RECORDS_PER_STATE records by a STATE naming the next id. */
function inputFrom(first: number): string[] {
  const lines: string[] = [];
  for (let id = first; id < RECORDS; id++) {
    lines.push(recordLine("orders", { id, note: `order ${id}` }));
    if ((id + 1) % RECORDS_PER_STATE === 0) lines.push(stateLine({ next: id + 1 }));
  }
  return lines;
}

/** How many copies of each record id the queue holds. */
function copiesById(queueName: string): Map<number, number> {
  const inspected = server.inspectQueue(queueName);
  assert.ok(inspected);
  const copies = new Map<number, number>();
  for (const message of inspected.messages.ready as { body: string }[]) {
    const { id } = JSON.parse(message.body) as { id: number };
    copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  return copies;
}

function missingBelow(copies: Map<number, number>, end: number): number[] {
  return Array.from({ length: end }, (_, id) => id).filter((id) => !copies.has(id));
}

test("kill -9 mid-write, then replaying from the last echoed STATE, delivers every record at least once", async (t) => {
  const queueName = uniqueQueueName("crash");
  server.createQueue(queueName);
  const config = emulatorConfigFile(server.address, {
    queue: { source: "static", value: queueName },
  });
  const args = ["write", "--config", config, "--catalog", catalog];

  const connector = startConnector(args);
  const lines = inputFrom(0);
  const feeding = (async () => {
    for (let start = 0; start < lines.length; start += 100) {
      if (!(await connector.write(lines.slice(start, start + 100).join("\n") + "\n"))) return;
    }
    connector.endInput();
  })();
  await connector.waitFor((messages) => statesOf(messages).length >= 3, "three STATEs");
  connector.child.kill("SIGKILL");
  const exit = await connector.exit();
  await feeding;
  assert.equal(exit.signal, "SIGKILL");

  const echoed = statesOf(connector.messages).map((state) => (state.data as { next: number }).next);
  const resumeAt = echoed.at(-1)!;
  assert.ok(resumeAt < RECORDS, "the connector was killed before it finished");
  assert.deepEqual(
    echoed,
    Array.from({ length: echoed.length }, (_, k) => (k + 1) * RECORDS_PER_STATE),
    "STATEs were echoed in input order, none skipped",
  );
  // What a STATE promises: every record before it was stored when it was echoed.
  assert.deepEqual(missingBelow(copiesById(queueName), resumeAt), []);

  const resumed = await runCli(args, { stdin: inputFrom(resumeAt).join("\n") + "\n" });
  assert.equal(resumed.code, 0, resumed.stdout.slice(-2000) + resumed.stderr);
  assert.deepEqual(statesOf(resumed.messages).at(-1)?.data, { next: RECORDS });

  const copies = copiesById(queueName);
  assert.deepEqual(missingBelow(copies, RECORDS), []);
  const duplicates = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
  t.diagnostic(
    `killed after STATE ${resumeAt}; ${duplicates} records stored twice (sent by the killed run after its last STATE, then replayed)`,
  );
});
