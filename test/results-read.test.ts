// Results lines read back from the bucket: each checked against the format, and per row only the latest decides.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { UserFacingError } from "../src/errors.js";
import { UntrustedObjectError } from "../src/changes/snapshot/s3/read.js";
import type { ResultLine } from "../src/results/format.js";
import { parseResultLine } from "../src/results/parse-line.js";
import { RESULTS_FILE_BOUNDS, readSyncResults, type ResultsSelection } from "../src/results/read.js";
import { LatestResults } from "../src/results/rejected-rows.js";
import { MAX_LINE_BYTES } from "../src/protocol/input.js";
import { type Emulator, startFauxqs } from "./helpers/emulators.js";
import { putObject, rejectedRow, resultLine, resultsFile, resultsKey } from "./helpers/results.js";
import { createBucket, testS3Client } from "./helpers/s3.js";

test("a results line is taken when every field of the format is there with its type; unknown fields are ignored", () => {
  const line = rejectedRow({ id: 1 }, { meta: '{"changes":[]}' });
  assert.deepEqual(parseResultLine(JSON.stringify({ ...line, added_later: 1 })), { ...line, added_later: 1 });
});

test("a malformed results line is refused saying what is wrong with it", () => {
  const line = rejectedRow({ id: 1 });
  const without = (field: keyof ResultLine) => {
    const copy: Record<string, unknown> = { ...line };
    delete copy[field];
    return JSON.stringify(copy);
  };
  const cases: [string, string][] = [
    ["{not json", "is not JSON"],
    ["[1]", "is not a JSON object"],
    [without("run_id"), 'has no "run_id" field'],
    [
      JSON.stringify({ ...line, outcome: "lost" }),
      'has a "outcome" field that is not one of "published", "rejected", "skipped", "unchanged"',
    ],
    [JSON.stringify({ ...line, change: "moved" }), 'has a "change" field that is not one of "added", "changed", "removed"'],
    [JSON.stringify({ ...line, recorded_at: "yesterday" }), 'has a "recorded_at" field that is not an ISO 8601 time'],
    [JSON.stringify({ ...line, bytes: "12" }), 'has a "bytes" field that is not a number'],
    [JSON.stringify({ ...line, stream: null }), 'has a "stream" field that is not a string'],
    [JSON.stringify({ ...line, meta: "{" }), 'has a "meta" field that is not JSON text'],
    [JSON.stringify({ ...line, data: "[1]" }), 'is a rejected row whose "data" is not a JSON object'],
    [JSON.stringify({ ...line, data: null }), 'is a rejected row whose "data" is not a JSON object'],
    [JSON.stringify({ ...line, emitted_at: null }), 'is a rejected row without "emitted_at"'],
  ];
  for (const [text, problem] of cases) {
    assert.throws(
      () => parseResultLine(text),
      (error: unknown) => error instanceof UntrustedObjectError && error.problem.startsWith(problem),
      text,
    );
  }
});

test("a results line may hold the largest record the connector reads, escaped, and no more than twice that", () => {
  assert.ok(RESULTS_FILE_BOUNDS.maxLineBytes >= 2 * MAX_LINE_BYTES);
  assert.ok(RESULTS_FILE_BOUNDS.maxLineBytes < 200 * 1024 * 1024);
});

test("a row's latest result decides: rejected then published is done, published then rejected is redriven, rows without a key go by message id", () => {
  const latest = new LatestResults();
  let line = 0;
  const add = (result: ResultLine) => latest.add({ key: "k", lineNumber: ++line, result });
  const at = (hour: number) => `2026-12-01T${String(hour).padStart(2, "0")}:00:00.000Z`;
  add(rejectedRow({ id: 1 }, { recorded_at: at(1) }));
  add(rejectedRow({ id: 2 }, { recorded_at: at(1) }));
  add(resultLine({ outcome: "published", primary_key: "[1]", recorded_at: at(2) }));
  add(resultLine({ outcome: "published", primary_key: "[3]", recorded_at: at(1) }));
  add(rejectedRow({ id: 3 }, { recorded_at: at(2), run_id: "run-2" }));
  // An older result read later changes nothing.
  add(resultLine({ outcome: "published", primary_key: "[2]", recorded_at: at(0) }));
  // Another stream's row 1 is another row; rows without a primary key go by message id.
  add(rejectedRow({ id: 1 }, { stream: "orders", recorded_at: at(1) }));
  add(rejectedRow({ id: 9 }, { primary_key: null, message_id: "m9", recorded_at: at(1) }));
  add(resultLine({ outcome: "published", message_id: "m9", recorded_at: at(3) }));
  // Recorded at the same time: the one read later decides.
  add(rejectedRow({ id: 4 }, { recorded_at: at(1) }));
  add(resultLine({ outcome: "published", primary_key: "[4]", recorded_at: at(1) }));
  assert.deepEqual(
    latest.rejected().map(({ result }) => [result.stream, result.data]),
    [
      ["people", '{"id":2}'],
      ["people", '{"id":3}'],
      ["orders", '{"id":1}'],
    ],
  );
});

describe("a sync's results files read back from the bucket (fauxqs S3)", () => {
  let emulator: Emulator;
  let bucketCounter = 0;
  before(async () => {
    emulator = await startFauxqs();
  });
  after(() => emulator.stop());

  /** A new bucket holding `objects` (key → body); its lines as `key:line:stream:message id`. */
  async function read(objects: Record<string, Buffer | string>, selection: Partial<ResultsSelection> = {}): Promise<string[]> {
    const s3 = testS3Client(emulator.endpoint);
    const bucket = `results-${process.pid}-${++bucketCounter}`;
    await createBucket(s3, bucket);
    for (const [key, body] of Object.entries(objects)) await putObject(s3, bucket, key, body);
    const lines: string[] = [];
    for await (const read of readSyncResults(s3, { bucket, bucketPath: "r" }, { syncId: "42", ...selection })) {
      lines.push(`${read.key}:${read.lineNumber}:${read.result.stream}:${read.result.message_id}`);
    }
    return lines;
  }

  const people = resultsKey("r", "people", 0);
  const orders = resultsKey("r", "orders", 0, { namespace: "shop" });
  const files = {
    [people]: resultsFile([rejectedRow({ id: 1 }), rejectedRow({ id: 2 })]),
    [orders]: resultsFile([rejectedRow({ id: 3 }, { stream: "orders", namespace: "shop" })]),
    "r/42/_sync_summary_run-1.json": "{}",
    [resultsKey("r", "people", 0, { syncId: "421" })]: "not this sync's",
  };

  test("every results file of the sync, in key order; the run summaries beside them are passed over; --stream takes a name or namespace.name", async () => {
    assert.deepEqual(await read(files), [`${people}:1:people:1`, `${people}:2:people:2`, `${orders}:1:orders:3`].sort());
    assert.deepEqual(await read(files, { stream: "orders" }), [`${orders}:1:orders:3`]);
    assert.deepEqual(await read(files, { stream: "shop.orders" }), [`${orders}:1:orders:3`]);
    assert.deepEqual(await read(files, { stream: "nothing" }), []);
  });

  test("a file that is not gzip, a malformed line, or a line of another sync or stream is refused naming the object and the line", async () => {
    const refused = async (body: Buffer | string, problem: string) => {
      await assert.rejects(read({ [people]: body }), (error: unknown) => {
        assert.ok(error instanceof UserFacingError, String(error));
        assert.ok(error.message.startsWith(`The results file s3://results-`), error.message);
        assert.ok(error.message.includes(`/${people} cannot be read: ${problem}.`), error.message);
        return true;
      });
    };
    await refused("plain text", "it is not gzip data, or is cut short");
    await refused(resultsFile([rejectedRow({ id: 1 }), "{}"]), 'line 2 has no "sync_id" field');
    await refused(resultsFile([rejectedRow({ id: 1 }, { sync_id: "7" })]), 'line 1 names sync "7", not "42"');
    await refused(
      resultsFile([rejectedRow({ id: 1 }, { stream: "orders" })]),
      'line 1 is a result of stream "orders", which is not the stream of its folder',
    );
  });

  test("a bucket that does not exist is a config error naming the place, the permission and the settings", async () => {
    const results = readSyncResults(testS3Client(emulator.endpoint), { bucket: "no-such-results", bucketPath: "r" }, { syncId: "42" });
    await assert.rejects(results.next(), (error: unknown) => {
      assert.ok(error instanceof UserFacingError, String(error));
      assert.equal(error.failureType, "config_error");
      assert.match(
        error.message,
        /^The sync results s3:\/\/no-such-results\/r\/42\/ \(object_storage_config\) could not be read: s3:ListBucket failed with NoSuchBucket; check object_storage_config/,
      );
      return true;
    });
  });
});
