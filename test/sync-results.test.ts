// Sync results in S3 (object_storage_config) on fauxqs: the files, read back with DuckDB, agree
// exactly with the counts the sync reports, and check proves the bucket.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runCheck } from "../src/commands/check.js";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "./helpers/airbyte.js";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { type Emulator, emulatorConfig, emulatorConfigFile, startFauxqs, uniqueQueueName, withMoto } from "./helpers/emulators.js";
import { accessKeyCredentials, type IamUser } from "./helpers/iam.js";
import { summaryOf } from "./helpers/large-messages-e2e.js";
import { createBucket, listKeys } from "./helpers/snapshot-s3.js";
import { downloadObjects, queryResults, resultsSetup, resultsStorage, runSummaries } from "./helpers/sync-results.js";

const CATALOG = { streams: [{ ...catalogOf([{ name: "orders", primaryKey: [["id"]] }]).streams[0]!, sync_id: 4242 }] };

/** Rows whose `payload` is not JSON are rejected by the column body. */
function input(): string {
  const lines: string[] = [];
  for (let id = 1; id <= 30; id++) {
    const payload = id % 7 === 0 ? "not json" : JSON.stringify({ id });
    lines.push(recordLine("orders", { id, payload, op: id % 5 === 0 ? "delete" : "insert" }));
    if (id % 10 === 0) lines.push(stateLine({ cursor: id }));
  }
  return `${lines.join("\n")}\n`;
}

function rejectedCount(states: ReturnType<typeof statesOf>): number {
  return states.reduce((sum, state) => sum + Number(state.destinationStats?.rejectedRecordCount ?? 0), 0);
}

describe("sync results on fauxqs", () => {
  let fauxqs: Emulator;
  before(async () => {
    fauxqs = await startFauxqs();
  });
  after(() => fauxqs.stop());

  async function sync(settings: Record<string, unknown>) {
    const { bucket, config } = await resultsSetup(fauxqs, "results", settings);
    const result = await runCli(["write", "--config", config, "--catalog", writeTempJson(CATALOG)], { stdin: input() });
    return { result, bucket, directory: await downloadObjects(fauxqs.endpoint, bucket, "results/") };
  }

  test('"rejected": each rejected row, and only those, with its reason and record; the counts agree', async () => {
    const { result, directory } = await sync({});
    assert.equal(result.code, 0, result.stdout);
    const summary = summaryOf({ ...result, states: [], error: undefined, warnings: [] });
    const states = statesOf(result.messages);
    assert.equal(states.length, 3);
    assert.equal(rejectedCount(states), 4);
    assert.equal(summary.totals.rejected, 4);
    const rows = await queryResults(
      directory,
      "SELECT outcome, sync_id, run_id, message_id, rejected_reason, rejected_message, data, emitted_at, primary_key, change FROM results ORDER BY primary_key",
    );
    assert.equal(rows.length, 4);
    assert.deepEqual(
      rows.map((row) => JSON.parse(String(row.data)).id),
      [14, 21, 28, 7],
    );
    for (const row of rows) {
      assert.equal(row.outcome, "rejected");
      assert.equal(row.sync_id, "4242");
      assert.equal(row.rejected_reason, "invalid_message_body");
      assert.match(String(row.rejected_message), /message_body/);
      assert.equal(Number(row.emitted_at), 1_700_000_000_000);
      assert.equal(row.change, "added");
    }
    const runs = runSummaries(directory);
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    assert.equal(run.status, "succeeded");
    assert.equal(run.run_id, rows[0]?.run_id);
    assert.equal((run.totals as { rejected: number }).rejected, 4);
    assert.ok((run.files as string[]).length > 0);
  });

  test('"all": one result per row, published ones with their SQS MessageId; the counts agree', async () => {
    const { result, bucket, directory } = await sync({
      sync_results: "all",
      change_detection: { mode: "field", field: "op" },
      events: ["added", "changed"],
    });
    assert.equal(result.code, 0, result.stdout);
    const summary = summaryOf({ ...result, states: [], error: undefined, warnings: [] });
    const counts = await queryResults(
      directory,
      "SELECT outcome, count(*)::INTEGER AS rows FROM results GROUP BY outcome ORDER BY outcome",
    );
    assert.deepEqual(counts, [
      { outcome: "published", rows: summary.totals.published },
      { outcome: "rejected", rows: summary.totals.rejected },
      { outcome: "skipped", rows: summary.totals.skipped_by_events_filter },
    ]);
    assert.equal(summary.totals.published + summary.totals.rejected + summary.totals.skipped_by_events_filter, 30);
    const unnamed = await queryResults(
      directory,
      "SELECT count(*)::INTEGER AS rows FROM results WHERE outcome = 'published' AND sqs_message_id IS NULL",
    );
    assert.deepEqual(unnamed, [{ rows: 0 }]);
    const files = runSummaries(directory)[0]?.files as string[];
    const parts = (await listKeys(fauxqs.endpoint, bucket, "results/")).filter((key) => key.endsWith(".jsonl.gz"));
    assert.deepEqual([...files].sort(), parts);
    assert.ok(
      parts.every((key) => key.startsWith("results/4242/no_namespace/orders/")),
      parts.join(", "),
    );
  });

  test("check stores and deletes a probe object in the results bucket", async () => {
    const queue = uniqueQueueName("results-check");
    await fauxqs.createQueue(queue);
    const bucket = await createBucket(fauxqs.endpoint);
    const config = emulatorConfig(fauxqs, {
      queue: { source: "static", value: queue },
      object_storage_config: resultsStorage(fauxqs.endpoint, bucket),
    });
    const result = await runCheck(config);
    assert.equal(result.status, "SUCCEEDED", result.message);
    assert.match(result.message, new RegExp(`stored and deleted a probe object in S3 bucket "${bucket}" \\(object_storage_config\\)`));
    assert.deepEqual(await listKeys(fauxqs.endpoint, bucket, ""), []);
    const missing = await runCheck(
      emulatorConfig(fauxqs, {
        queue: { source: "static", value: queue },
        object_storage_config: resultsStorage(fauxqs.endpoint, "no-such-bucket"),
      }),
    );
    assert.equal(missing.status, "FAILED");
    assert.match(missing.message, /object_storage_config\.s3_bucket_name/);
  });

  test("a bucket that refuses the run's summary fails the sync before a row is read", async () => {
    const config = emulatorConfigFile(fauxqs.endpoint, { object_storage_config: resultsStorage(fauxqs.endpoint, "no-such-bucket") });
    const result = await runCli(["write", "--config", config, "--catalog", writeTempJson(CATALOG)], { stdin: input() });
    assert.equal(result.code, 1);
    assert.deepEqual(statesOf(result.messages), []);
    assert.match(errorTraceOf(result.messages)?.message ?? "", /sync results object results\/4242\/_sync_summary_.*no-such-bucket/);
  });
});

withMoto("sync results", (context) => {
  let bucket: string;
  let queue: string;
  let sender: IamUser;
  let writer: IamUser;
  let nobody: IamUser;

  before(async () => {
    const moto = context.emulator;
    queue = uniqueQueueName("results");
    await moto.createQueue(queue);
    bucket = await createBucket(moto.endpoint);
    sender = await moto.createUser("sender", ["sqs:ListQueues", "sqs:SendMessage", "sqs:SendMessageBatch"]);
    writer = await moto.createUser("results-writer", ["s3:PutObject", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket"]);
    nobody = await moto.createUser("results-nobody", []);
    await moto.enforceAuth();
  });

  /** The connector signs SQS calls as `sender`, and S3 calls for the results with the block's own key. */
  function settings(key: IamUser): Record<string, unknown> {
    return {
      credentials: accessKeyCredentials(sender),
      queue: { source: "static", value: queue },
      message_body: { format: "column", column: "payload" },
      rejected_rows: { policy: "skip" },
      object_storage_config: {
        ...resultsStorage(context.emulator.endpoint, bucket),
        access_key_id: key.accessKeyId,
        secret_access_key: key.secretAccessKey,
      },
    };
  }

  test("check names the s3:PutObject the results bucket's own key is denied", async () => {
    const result = await runCheck(emulatorConfig(context.emulator, settings(nobody)));
    assert.equal(result.status, "FAILED", result.message);
    assert.match(
      result.message,
      /the sync results store s3:\/\/.*\/results\/ \(object_storage_config\.s3_bucket_name\): s3:PutObject failed with AccessDenied; grant s3:PutObject on arn:aws:s3:::.*\/results\/\*/,
    );
  });

  test("a sync writes its rejected rows with the block's own key, readable as the counts say", async () => {
    const config = emulatorConfigFile(context.emulator.endpoint, settings(writer));
    const result = await runCli(["write", "--config", config, "--catalog", writeTempJson(CATALOG)], { stdin: input() });
    assert.equal(result.code, 0, result.stdout);
    const directory = await downloadObjects(context.emulator.endpoint, bucket, "results/", writer);
    const rows = await queryResults(directory, "SELECT count(*)::INTEGER AS rows FROM results WHERE outcome = 'rejected'");
    assert.deepEqual(rows, [{ rows: rejectedCount(statesOf(result.messages)) }]);
    assert.equal(runSummaries(directory)[0]?.status, "succeeded");
  });
});
