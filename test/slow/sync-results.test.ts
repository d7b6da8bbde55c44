// Sync results through a killed sync and its rerun, and with dead-lettered rows, on fauxqs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { catalogOf, recordLine, stateLine, statesOf } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { type Emulator, startFauxqs, uniqueQueueName } from "../helpers/emulators.js";
import { startConnector } from "../helpers/live-connector.js";
import { downloadObjects, queryResults, resultsSetup, runSummaries } from "../helpers/sync-results.js";

const RECORDS = 6000;
const RECORDS_PER_STATE = 250;
const catalog = writeTempJson({ streams: [{ ...catalogOf([{ name: "orders", primaryKey: [["id"]] }]).streams[0]!, sync_id: 31 }] });

/** Every 13th row is rejected (its payload is not JSON). */
function isRejected(id: number): boolean {
  return id % 13 === 0;
}

function inputFrom(first: number): string[] {
  const lines: string[] = [];
  for (let id = first; id < RECORDS; id++) {
    lines.push(recordLine("orders", { id, payload: isRejected(id) ? "not json" : { id } }));
    if ((id + 1) % RECORDS_PER_STATE === 0) lines.push(stateLine({ next: id + 1 }));
  }
  return lines;
}

let fauxqs: Emulator;
before(async () => {
  fauxqs = await startFauxqs();
});
after(() => fauxqs.stop());

test("kill -9, then a rerun from the last STATE: the first run's summary stays running, every rejected row before that STATE has its result, and each result names its run", async () => {
  const { bucket, config } = await resultsSetup(fauxqs, "results-crash");
  const args = ["write", "--config", config, "--catalog", catalog];

  const first = startConnector(args);
  // Only the first half, and stdin stays open: the kill always comes before the sync could finish.
  const lines = inputFrom(0).slice(0, (RECORDS / 2) * (1 + 1 / RECORDS_PER_STATE));
  const feeding = (async () => {
    for (let start = 0; start < lines.length; start += 100) {
      if (!(await first.write(`${lines.slice(start, start + 100).join("\n")}\n`))) return;
    }
  })();
  await first.waitFor((messages) => statesOf(messages).length >= 3, "three STATEs");
  first.child.kill("SIGKILL");
  assert.equal((await first.exit()).signal, "SIGKILL");
  await feeding;
  const resumeAt = (statesOf(first.messages).at(-1)!.data as { next: number }).next;
  assert.ok(resumeAt < RECORDS, "the connector was killed before it finished");

  const rerun = await runCli(args, { stdin: `${inputFrom(resumeAt).join("\n")}\n` });
  assert.equal(rerun.code, 0, rerun.stdout);

  const directory = await downloadObjects(fauxqs.endpoint, bucket, "results/");
  const summaries = runSummaries(directory);
  assert.deepEqual(summaries.map((summary) => summary.status).sort(), ["running", "succeeded"]);
  const killed = String(summaries.find((summary) => summary.status === "running")?.run_id);
  const finished = String(summaries.find((summary) => summary.status === "succeeded")?.run_id);
  const byRun = await queryResults(
    directory,
    "SELECT run_id, list(CAST(json_extract(data, '$.id') AS INTEGER) ORDER BY 1) AS ids FROM results GROUP BY run_id",
  );
  const ids = new Map(byRun.map((row) => [String(row.run_id), (row.ids as number[]).map(Number)]));
  assert.deepEqual([...ids.keys()].sort(), [killed, finished].sort());
  // What a STATE promises: every rejected row before it had its result stored when it was echoed.
  const before = Array.from({ length: resumeAt }, (_, id) => id).filter(isRejected);
  const recordedByKilled = new Set(ids.get(killed));
  assert.deepEqual(
    before.filter((id) => !recordedByKilled.has(id)),
    [],
  );
  const after = Array.from({ length: RECORDS - resumeAt }, (_, k) => k + resumeAt).filter(isRejected);
  assert.deepEqual(
    ids.get(finished)?.sort((a, b) => a - b),
    after,
  );
});

test("dead-lettered rows are in the dead-letter queue and in the results, and the counts agree", async () => {
  const deadLetters = await fauxqs.createQueue(uniqueQueueName("results-rejected"));
  const { bucket, config } = await resultsSetup(fauxqs, "results-dlq", {
    rejected_rows: { policy: "dead_letter", queue_url: deadLetters },
  });
  const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: `${inputFrom(RECORDS - 500).join("\n")}\n` });
  assert.equal(result.code, 0, result.stdout);
  const rejected = statesOf(result.messages).reduce((sum, state) => sum + Number(state.destinationStats?.rejectedRecordCount ?? 0), 0);
  const expected = Array.from({ length: 500 }, (_, k) => k + RECORDS - 500).filter(isRejected).length;
  assert.equal(rejected, expected);
  assert.equal((await fauxqs.receiveAll(deadLetters, { expected })).length, expected);
  const directory = await downloadObjects(fauxqs.endpoint, bucket, "results/");
  assert.deepEqual(await queryResults(directory, "SELECT count(*)::INTEGER AS rows, min(rejected_reason) AS reason FROM results"), [
    { rows: expected, reason: "invalid_message_body" },
  ]);
});
