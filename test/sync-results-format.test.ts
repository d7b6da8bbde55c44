// The results writer without S3: rejected_reason codes and their docs, the line layout, and a
// bucket that fails mid-sync (a fake S3 client) stopping the sync with no STATE past unrecorded rows.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { test } from "node:test";
import type { S3Client } from "@aws-sdk/client-s3";
import { GzipLines } from "../src/aws/gzip-lines.js";
import { runWrite } from "../src/commands/write.js";
import { validateConfig } from "../src/config/load.js";
import { UserFacingError } from "../src/errors.js";
import { loadCatalog } from "../src/protocol/catalog.js";
import { MessageWriter } from "../src/protocol/output.js";
import type { ResultLine } from "../src/results/format.js";
import { publishedLine, rejectedLine, skippedLine } from "../src/results/lines.js";
import { openSyncResults, syncIdOf } from "../src/results/open.js";
import { ResultParts } from "../src/results/parts.js";
import { REJECTED_REASONS, rejectedReasonOfSetting } from "../src/results/reasons.js";
import { catalogOf, recordLine, stateLine } from "./helpers/airbyte.js";
import { writeTempJson } from "./helpers/cli.js";
import { testSettings } from "./helpers/config.js";
import { FakeSender, sdkServiceError } from "./helpers/delivery-fakes.js";
import { readDoc, rowKey, tableRows } from "./helpers/doc-tables.js";
import { ANY_QUEUE_HOST, openDetector } from "./helpers/in-process.js";
import { queryResults } from "./helpers/sync-results.js";
import { tempDirectory } from "./helpers/temp-directory.js";

const QUEUE_URL = "http://127.0.0.1:1/123456789012/orders";
const STORAGE = { storage_type: "S3", s3_bucket_name: "results", s3_bucket_region: "us-east-1", bucket_path: "sync/" };
const page = readDoc("docs/sync-results.md");

test("a composer's rejection gets the code of the setting it names", () => {
  assert.equal(rejectedReasonOfSetting("message_attributes[2].value"), "invalid_message_attribute");
  assert.equal(rejectedReasonOfSetting("message_body"), "invalid_message_body");
  assert.equal(rejectedReasonOfSetting("max_message_bytes"), "message_too_large");
  assert.equal(rejectedReasonOfSetting("queue"), "invalid_queue");
  assert.equal(rejectedReasonOfSetting("some_future_setting"), "invalid_message");
});

test("docs/sync-results.md lists every rejected_reason code with its meaning, and every column in order", () => {
  const codes = tableRows(page, ["code", "meaning"]).map((row) => [rowKey(row, "code"), row.meaning]);
  assert.deepEqual(codes, Object.entries(REJECTED_REASONS));
  const catalog = loadCatalog(writeTempJson(catalogOf([{ name: "orders" }])));
  const line = JSON.parse(
    rejectedLine(
      { syncId: "1", runId: "r" },
      { stream: [...catalog.values()][0]!, data: {}, change: "added" },
      {
        reason: "sqs_refused",
        message: "",
        queue: undefined,
      },
    ),
  ) as ResultLine;
  const columns = tableRows(page, ["column", "type", "meaning"]).flatMap((row) => rowKey(row, "column").split(", "));
  assert.deepEqual(columns, Object.keys(line));
});

test("every outcome's line is exactly JSON.stringify's text of its values, in the documented column order, whatever its strings hold", () => {
  const hardStrings = ['a "quote"', "a \\ backslash", "a\nnewline, a \u0000", "a lone \ud800", "a pair 🚀, é and \u2028", "plain"];
  for (const tricky of hardStrings) {
    const [stream] = loadCatalog(writeTempJson(catalogOf([{ name: tricky, namespace: tricky, primaryKey: [["id"], ["n"]] }]))).values();
    const row = {
      stream: stream!,
      data: { id: tricky, n: 7 },
      change: "changed" as const,
      messageId: tricky,
      emittedAt: 1_700_000_000_000,
      meta: { note: tricky },
    };
    const ids = { syncId: tricky, runId: "run-1" };
    const lines = [
      rejectedLine(ids, row, { reason: "sqs_refused", message: tricky, queue: tricky }),
      publishedLine(ids, row, { queue: tricky, bytes: 1234, receipt: { sqsMessageId: tricky, sequenceNumber: "18", offloadedTo: tricky } }),
      skippedLine(ids, row, "event_filter"),
      skippedLine(ids, row, "unchanged"),
    ];
    const columns = tableRows(page, ["column", "type", "meaning"]).flatMap((row) => rowKey(row, "column").split(", "));
    const parsed = lines.map((line) => JSON.parse(line) as ResultLine);
    for (const [index, line] of lines.entries()) {
      assert.equal(line, JSON.stringify(parsed[index]));
      assert.deepEqual(Object.keys(parsed[index]!), columns);
    }
    const [rejected, published, skipped, unchanged] = parsed;
    const common = {
      sync_id: tricky,
      run_id: "run-1",
      namespace: tricky,
      stream: tricky,
      primary_key: JSON.stringify([tricky, 7]),
      change: "changed",
    };
    const none = { queue: null, sqs_message_id: null, sequence_number: null, bytes: null, s3_pointer: null, rejected_reason: null };
    const rest = { rejected_message: null, skipped_reason: null, data: null, emitted_at: null, meta: null };
    const withoutTime = ({ recorded_at, ...line }: ResultLine) => line;
    assert.deepEqual(withoutTime(rejected!), {
      ...common,
      outcome: "rejected",
      message_id: tricky,
      ...none,
      queue: tricky,
      rejected_reason: "sqs_refused",
      rejected_message: tricky,
      skipped_reason: null,
      data: JSON.stringify(row.data),
      emitted_at: 1_700_000_000_000,
      meta: JSON.stringify(row.meta),
    });
    assert.deepEqual(withoutTime(published!), {
      ...common,
      outcome: "published",
      message_id: tricky,
      queue: tricky,
      sqs_message_id: tricky,
      sequence_number: "18",
      bytes: 1234,
      s3_pointer: tricky,
      rejected_reason: null,
      ...rest,
    });
    assert.deepEqual(withoutTime(skipped!), {
      ...common,
      outcome: "skipped",
      message_id: tricky,
      ...none,
      ...rest,
      skipped_reason: "event_filter",
    });
    assert.deepEqual(withoutTime(unchanged!), { ...common, outcome: "unchanged", message_id: tricky, ...none, ...rest });
  }
});

test("primary_key is the JSON text of the key's values, whatever their type", () => {
  const [stream] = loadCatalog(writeTempJson(catalogOf([{ name: "orders", primaryKey: [["id"]] }]))).values();
  const ids = { syncId: "1", runId: "r" };
  for (const id of [1234, -0, 1.5e300, Number.NaN, 'a "key"', null, true, { nested: [1] }, undefined]) {
    const line = skippedLine(ids, { stream: stream!, data: id === undefined ? {} : { id }, change: "added" }, "event_filter");
    assert.equal((JSON.parse(line) as ResultLine).primary_key, JSON.stringify([id ?? null]));
  }
});

test("DuckDB reads a results file of many lines, compressed as several gzip members, as one file", async () => {
  const [stream] = loadCatalog(writeTempJson(catalogOf([{ name: "orders", primaryKey: [["id"]] }]))).values();
  const ids = { syncId: "4242", runId: "run-1" };
  const body = new GzipLines();
  for (let id = 1; id <= 2000; id++) {
    const row = { stream: stream!, data: { id }, change: "added" as const, messageId: `message-${id}` };
    body.add(publishedLine(ids, row, { queue: QUEUE_URL, bytes: 100 + id, receipt: { sqsMessageId: `sqs-${id}` } }));
  }
  const file = body.finish();
  assert.ok(file.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), 1) > 0, "more than one gzip member");
  const directory = tempDirectory("results-members");
  writeFileSync(join(directory, "2026_12_07_1765100000000_1.jsonl.gz"), file);
  const [counts] = await queryResults(
    directory,
    "SELECT count(*) AS rows, count(DISTINCT message_id) AS ids, sum(bytes) AS bytes, min(primary_key) AS first FROM results",
  );
  assert.deepEqual(counts, { rows: "2000", ids: "2000", bytes: String(2000 * 100 + (2000 * 2001) / 2), first: "[1000]" });
});

test("a part's rows are told with their own tickets once the part is stored, and not before", async () => {
  const [stream] = loadCatalog(writeTempJson(catalogOf([{ name: "orders" }]))).values();
  let store: () => void = () => undefined;
  const stored = new Promise<void>((resolve) => {
    store = resolve;
  });
  const s3 = { send: () => stored.then(() => ({})) } as unknown as S3Client;
  const parts = new ResultParts({
    s3,
    bucket: "results",
    bucketPath: "sync",
    syncId: "1",
    startedAt: new Date(),
    failure: (error) => error as Error,
  });
  const told: number[] = [];
  const tell = (ticket: number): void => void told.push(ticket);
  for (const ticket of [7, 7, 9]) parts.add(stream!, `{"ticket":${ticket}}`, tell, ticket);
  parts.add(stream!, '{"untold":true}');
  const closed = parts.close();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(told, [], "nothing is told before its part is stored");
  store();
  await closed;
  assert.deepEqual(told, [7, 7, 9]);
  assert.equal(parts.files.length, 1);
});

test("sync_id is the catalog's, or the run's own id when the catalog has none", () => {
  const catalog = loadCatalog(writeTempJson({ streams: [{ ...catalogOf([{ name: "orders" }]).streams[0]!, sync_id: 77 }] }));
  assert.equal(syncIdOf(catalog, "run-1"), "77");
  assert.equal(syncIdOf(loadCatalog(writeTempJson(catalogOf([{ name: "orders" }]))), "run-1"), "run-1");
});

test("a results bucket that fails mid-sync fails it, with no STATE past the rows whose results were not stored", async () => {
  const config = validateConfig(
    testSettings({
      queue: { source: "static", value: QUEUE_URL },
      message_body: { format: "column", column: "payload" },
      rejected_rows: { policy: "skip" },
      object_storage_config: STORAGE,
    }),
    "the test config",
  );
  const catalog = loadCatalog(writeTempJson(catalogOf([{ name: "orders" }])));
  const puts: string[] = [];
  // The run's summary is stored; every results part fails, as a bucket that starts refusing mid-sync does.
  const s3 = {
    async send(command: { input: { Key: string } }) {
      puts.push(command.input.Key);
      if (command.input.Key.endsWith(".jsonl.gz")) throw sdkServiceError("InternalError", "We encountered an internal error.", 500);
      return {};
    },
  } as unknown as S3Client;
  const results = await openSyncResults(config, catalog, { resultsS3: () => s3 }, { runId: "run-1" });
  const lines = [
    ...[1, 2, 3].map((id) => recordLine("orders", { id, payload: { id } })),
    stateLine({ cursor: 3 }),
    recordLine("orders", { id: 4, payload: "not json" }),
    recordLine("orders", { id: 5, payload: { id: 5 } }),
    stateLine({ cursor: 5 }),
  ];
  let stdout = "";
  const writer = new MessageWriter(
    new Writable({
      write: (chunk, _encoding, done) => {
        stdout += String(chunk);
        done();
      },
    }),
  );
  const failure = await runWrite({
    config,
    catalog,
    input: Readable.from([Buffer.from(`${lines.join("\n")}\n`)]),
    writer,
    sender: new FakeSender(),
    resolveQueue: async () => QUEUE_URL,
    checkQueueUrl: ANY_QUEUE_HOST,
    detector: await openDetector(config, catalog),
    results,
  }).then(
    () => assert.fail("the sync succeeded"),
    (error: unknown) => error,
  );
  assert.ok(failure instanceof UserFacingError, String(failure));
  assert.equal(failure.failureType, "transient_error");
  const part = puts.find((key) => key.endsWith(".jsonl.gz"));
  assert.match(part ?? "", /^sync\/run-1\/no_namespace\/orders\/\d{4}_\d\d_\d\d_\d+_1\.jsonl\.gz$/);
  assert.ok(failure.message.includes(`Could not write the sync results object ${part} to S3 bucket "results"`), failure.message);
  assert.match(failure.message, /no STATE past the rows whose results were not written/);
  const states = stdout
    .split("\n")
    .filter((line) => line.includes('"type":"STATE"'))
    .map((line) => (JSON.parse(line) as { state: { data: unknown } }).state.data);
  assert.deepEqual(states, [{ cursor: 3 }]);
});
