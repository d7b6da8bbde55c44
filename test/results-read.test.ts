// Results lines read back from the bucket: each checked against the format, and per row only the latest decides.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UntrustedObjectError } from "../src/changes/snapshot/s3/read.js";
import type { ResultLine } from "../src/results/format.js";
import { parseResultLine } from "../src/results/parse-line.js";
import { RESULTS_FILE_BOUNDS } from "../src/results/read.js";
import { LatestResults } from "../src/results/rejected-rows.js";
import { MAX_LINE_BYTES } from "../src/protocol/input.js";
import { rejectedRow, resultLine } from "./helpers/results.js";

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
