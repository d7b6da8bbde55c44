// The redrive command through the built CLI: a sync's rejected rows, read back from results files in
// the bucket, go through the current configuration, and exactly those now composed reach the queue.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AirbyteMessage } from "../src/protocol/messages.js";
import { PREVIEW_PREFIX, type PreviewEntry } from "../src/commands/preview.js";
import { parseArgs, UsageError } from "../src/cli-args.js";
import { recordedChangeDetector } from "../src/changes/recorded.js";
import { validateConfig } from "../src/config/load.js";
import { testSettings } from "./helpers/config.js";
import { catalogOf, errorTraceOf } from "./helpers/airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./helpers/cli.js";
import { describeRun } from "./helpers/compose-e2e.js";
import { emulatorConfigFile, forEachEmulator, uniqueQueueName, type Emulator } from "./helpers/emulators.js";
import { createBucket, testS3Client } from "./helpers/s3.js";
import { putObject, rejectedRow, resultLine, resultsFile, resultsKey } from "./helpers/results.js";

const BUCKET_PATH = "results/";
const CATALOG = writeTempJson(
  catalogOf([
    { name: "people", primaryKey: [["id"]] },
    { name: "orders", primaryKey: [["id"]] },
  ]),
);

let bucketCounter = 0;

interface Setup {
  queueUrl: string;
  bucket: string;
  /** A config file for the fixed configuration: the body carries the change; `delay` must be a number of seconds. */
  config: string;
}

async function setUp(emulator: Emulator): Promise<Setup> {
  const queueName = uniqueQueueName("redrive");
  const queueUrl = await emulator.createQueue(queueName);
  const bucket = `redrive-${process.pid}-${++bucketCounter}`;
  await createBucket(testS3Client(emulator.endpoint), bucket);
  const config = emulatorConfigFile(emulator.endpoint, {
    queue: { source: "static", value: queueName },
    message_id: { source: "column", column: "id" },
    message_body: { format: "template", template: '{"id": {{ row.id }}, "name": "{{ row.name }}", "change": "{{ change }}"}' },
    delay_seconds: { source: "column", column: "delay" },
    object_storage_config: {
      storage_type: "S3",
      s3_bucket_name: bucket,
      s3_bucket_region: "us-east-1",
      bucket_path: BUCKET_PATH,
      s3_endpoint: emulator.endpoint,
      force_path_style: true,
    },
  });
  return { queueUrl, bucket, config };
}

async function put(emulator: Emulator, setup: Setup, key: string, body: Buffer | string): Promise<void> {
  await putObject(testS3Client(emulator.endpoint), setup.bucket, key, body);
}

function redrive(setup: Setup, ...extra: string[]): Promise<CliResult> {
  return runCli(["redrive", "--config", setup.config, "--catalog", CATALOG, "--sync", "42", ...extra]);
}

function logsOf(messages: AirbyteMessage[], level?: string): string[] {
  return messages.flatMap((message) =>
    message.type === "LOG" && (level === undefined || message.log.level === level) ? [message.log.message] : [],
  );
}

function bodies(received: { body: string }[]): Record<string, unknown>[] {
  return received.map((message) => JSON.parse(message.body) as Record<string, unknown>).sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * Sync 42 of stream "people", two runs: rows 1 and 3 rejected (a template that has since been fixed),
 * row 2 published, row 4 rejected by the first run and published by the second, row 5 rejected for a
 * delay the fixed configuration still refuses; and a summary object beside the stream folders.
 */
async function peopleResults(emulator: Emulator, setup: Setup): Promise<void> {
  await put(
    emulator,
    setup,
    resultsKey(BUCKET_PATH, "people", 0),
    resultsFile([
      rejectedRow({ id: 1, name: "Ada", delay: 0 }),
      resultLine({ outcome: "published", primary_key: "[2]", change: "added", message_id: "2" }),
      rejectedRow({ id: 3, name: "Grace", delay: 0 }, { change: "changed", meta: JSON.stringify({ changes: [] }) }),
      rejectedRow({ id: 4, name: "Alan", delay: 0 }),
      rejectedRow({ id: 5, name: "Edsger", delay: "soon" }),
    ]),
  );
  await put(
    emulator,
    setup,
    resultsKey(BUCKET_PATH, "people", 1),
    resultsFile([
      resultLine({ run_id: "run-2", recorded_at: "2026-12-01T11:00:00.000Z", outcome: "published", primary_key: "[4]", message_id: "4" }),
    ]),
  );
  await put(emulator, setup, `${BUCKET_PATH}42/_sync_summary_run-2.json`, "{}");
}

forEachEmulator("redrive", (context) => {
  test("after a template fix, exactly the rows whose latest result is a rejection are sent, as their recorded change; a row still rejected says why", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    await peopleResults(emulator, setup);
    const result = await redrive(setup);
    assert.equal(result.code, 1, describeRun(result));
    assert.deepEqual(bodies(await emulator.receiveAll(setup.queueUrl)), [
      { id: 1, name: "Ada", change: "added" },
      { id: 3, name: "Grace", change: "changed" },
    ]);
    assert.equal(result.messages.filter((message) => message.type === "STATE").length, 0);
    const warnings = logsOf(result.messages, "WARN");
    assert.ok(
      warnings.some((line) =>
        /^Rejected row 5 of stream "people": Row with message id "5" was rejected: delay_seconds \(column "delay"\) is "soon"/.test(line),
      ),
      warnings.join("\n"),
    );
    assert.match(warnings.at(-1) ?? "", /^Redrive of sync "42": 3 rejected rows in 2 results files; 2 sent, 1 still rejected\./);
  });

  test("--dry-run shows each message as preview does and sends nothing", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    await peopleResults(emulator, setup);
    const result = await redrive(setup, "--dry-run");
    assert.equal(result.code, 1, describeRun(result));
    const entries = logsOf(result.messages)
      .filter((line) => line.startsWith(PREVIEW_PREFIX))
      .map((line) => JSON.parse(line.slice(PREVIEW_PREFIX.length)) as PreviewEntry);
    assert.deepEqual(
      entries.map((entry) => [
        entry.outcome,
        entry.outcome === "message" ? entry.body : entry.outcome === "rejected" ? entry.message_id : "",
      ]),
      [
        ["message", '{"id":1,"name":"Ada","change":"added"}'],
        ["message", '{"id":3,"name":"Grace","change":"changed"}'],
        ["rejected", "5"],
      ],
    );
    assert.match(logsOf(result.messages).at(-1) ?? "", /2 would be sent, 1 still rejected\. Nothing was sent \(--dry-run\)\./);
    assert.deepEqual(await emulator.receiveAll(setup.queueUrl, { maxPolls: 2 }), []);
  });

  test("--stream redrives one stream; with every row sent the exit status is 0", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    await peopleResults(emulator, setup);
    await put(
      emulator,
      setup,
      resultsKey(BUCKET_PATH, "orders", 0),
      resultsFile([rejectedRow({ id: 7, name: "order", delay: 0 }, { stream: "orders" })]),
    );
    const result = await redrive(setup, "--stream", "orders");
    assert.equal(result.code, 0, describeRun(result));
    assert.deepEqual(bodies(await emulator.receiveAll(setup.queueUrl)), [{ id: 7, name: "order", change: "added" }]);
    assert.match(
      logsOf(result.messages).at(-1) ?? "",
      /^Redrive of sync "42", stream "orders": 1 rejected row in 1 results file; 1 sent, 0 still rejected\.$/,
    );
  });

  test("a sync with no results files has nothing to redrive, and says where it looked", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    await peopleResults(emulator, setup);
    const result = await runCli(["redrive", "--config", setup.config, "--catalog", CATALOG, "--sync", "4"]);
    assert.equal(result.code, 0, describeRun(result));
    assert.deepEqual(logsOf(result.messages, "WARN"), [
      `No results files were found under s3://${setup.bucket}/${BUCKET_PATH}4/: nothing to redrive. --sync names the sync's folder under object_storage_config.bucket_path.`,
    ]);
  });

  test("a malformed results file is refused with its key and line, before anything is sent", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    const good = resultsKey(BUCKET_PATH, "people", 0);
    await put(emulator, setup, good, resultsFile([rejectedRow({ id: 1, name: "Ada", delay: 0 })]));
    const { outcome: _dropped, ...withoutOutcome } = rejectedRow({ id: 2, name: "Bob", delay: 0 });
    const bad = resultsKey(BUCKET_PATH, "people", 1);
    await put(emulator, setup, bad, resultsFile([rejectedRow({ id: 3, name: "Cy", delay: 0 }), JSON.stringify(withoutOutcome)]));
    const result = await redrive(setup);
    assert.equal(result.code, 1, describeRun(result));
    assert.equal(
      errorTraceOf(result.messages)?.message,
      `The results file s3://${setup.bucket}/${bad} cannot be read: line 2 has no "outcome" field. Redrive reads only the files destination-sqs writes: restore or remove this object, or pass --stream to redrive the other streams.`,
    );
    await put(emulator, setup, bad, "not gzip");
    const notGzip = await redrive(setup);
    assert.match(
      errorTraceOf(notGzip.messages)?.message ?? "",
      new RegExp(`s3://${setup.bucket}/${bad} cannot be read: it is not gzip data`),
    );
    assert.deepEqual(await emulator.receiveAll(setup.queueUrl, { maxPolls: 2 }), []);
  });
});

test("redrive without object_storage_config in S3 is a config error saying what to set", async () => {
  const config = writeTempJson({
    region: "us-east-1",
    credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "test" },
    queue: { source: "static", value: "orders" },
  });
  const result = await runCli(["redrive", "--config", config, "--catalog", CATALOG, "--sync", "42"]);
  assert.equal(result.code, 1);
  assert.equal(errorTraceOf(result.messages)?.failure_type, "config_error");
  assert.match(errorTraceOf(result.messages)?.message ?? "", /object_storage_config/);
});

test("usage errors exit 2 with the usage text", async () => {
  for (const args of [
    ["redrive", "--config", "c.json", "--catalog", "k.json"],
    ["redrive", "--config", "c.json", "--catalog", "k.json", "--sync", "42", "--dry-run=yes"],
    ["write", "--config", "c.json", "--catalog", "k.json", "--sync", "42"],
  ]) {
    const result = await runCli(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, /redrive --config CONFIG --catalog CATALOG --sync SYNC_ID/);
  }
});

test("redrive's arguments: --sync is required, --stream and --dry-run are optional and belong to redrive alone", () => {
  assert.deepEqual(parseArgs(["redrive", "--config", "c.json", "--catalog=k.json", "--sync=42", "--stream", "shop.orders", "--dry-run"]), {
    name: "redrive",
    config: "c.json",
    catalog: "k.json",
    syncId: "42",
    stream: "shop.orders",
    dryRun: true,
  });
  assert.deepEqual(parseArgs(["redrive", "--config", "c.json", "--catalog", "k.json", "--sync", "42"]), {
    name: "redrive",
    config: "c.json",
    catalog: "k.json",
    syncId: "42",
    dryRun: false,
  });
  const refusals: [string[], RegExp][] = [
    [["redrive", "--config", "c", "--catalog", "k"], /The redrive command needs --sync SYNC_ID\./],
    [["redrive", "--config", "c", "--catalog", "k", "--sync"], /Option --sync needs a sync id/],
    [["redrive", "--config", "c", "--catalog", "k", "--sync", "1", "--dry-run=no"], /Option --dry-run takes no value\./],
    [["preview", "--config", "c", "--catalog", "k", "--dry-run"], /Option --dry-run only applies to the redrive command\./],
    [["write", "--config", "c", "--catalog", "k", "--stream", "s"], /Option --stream only applies to the redrive command\./],
    [["redrive", "--toString", "x"], /Unknown option "--toString"/],
  ];
  for (const [args, message] of refusals)
    assert.throws(
      () => parseArgs(args),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      args.join(" "),
    );
});

test("redrive sends each row as the change it was recorded with; a row recorded without one is classified as the configuration classifies it now", () => {
  const stream = catalogOf([{ name: "people" }]).streams[0]!;
  const record = (data: Record<string, unknown>) => ({ stream: "people", data, emitted_at: 1 });
  const field = validateConfig(testSettings({ change_detection: { mode: "field", field: "op" } }), "the test config");
  const detector = recordedChangeDetector(["removed", null, null], field);
  assert.deepEqual(detector.detect(record({ op: "insert" }), stream, 1), { kind: "change", change: "removed" });
  assert.deepEqual(detector.detect(record({ op: "update" }), stream, 2), { kind: "change", change: "changed" });
  assert.equal(detector.detect(record({ op: "explode" }), stream, 3).kind, "reject");
  const snapshot = validateConfig(
    testSettings({ change_detection: { mode: "snapshot", store: { type: "local", directory: "/nonexistent" } } }),
    "the test config",
  );
  const undecided = recordedChangeDetector([null], snapshot).detect(record({ id: 1 }), stream, 1);
  assert.equal(undecided.kind, "reject");
  assert.match(undecided.kind === "reject" ? undecided.reason : "", /redrive does not read the snapshot store/);
});
