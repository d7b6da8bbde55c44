import assert from "node:assert/strict";
import { test } from "node:test";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { GzipLines } from "../src/aws/gzip-lines.js";
import { gzipLines } from "../src/changes/snapshot/s3/read.js";

function objectOf(lines: string[]): Buffer {
  const body = new GzipLines();
  for (const line of lines) body.add(line);
  return body.finish();
}

test("lines come back joined by newlines, across many compressed blocks, multi-byte characters whole", () => {
  const lines = Array.from({ length: 3000 }, (_, i) =>
    JSON.stringify({ row: i, name: `Sofía ${"€".repeat(i % 300)} 🚀`, pad: "x".repeat(i % 500) }),
  );
  const body = objectOf(lines);
  assert.equal(gunzipSync(body).toString("utf8"), lines.join("\n"));
  // More than one block, each its own gzip member: the object starts a member more than once.
  assert.ok(body.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), 1) > 0);
});

test("a line longer than a block, and blocks it ends, keep every newline", () => {
  const long = `{"data":"${"ü".repeat(700_000)}"}`;
  const lines = ["first", long, "after", "y".repeat(300_000), long, "last"];
  assert.equal(gunzipSync(objectOf(lines)).toString("utf8"), lines.join("\n"));
});

test("one line is the object; none is an empty gzip object", () => {
  assert.equal(gunzipSync(objectOf(['{"a":1}'])).toString("utf8"), '{"a":1}');
  assert.equal(gunzipSync(objectOf([])).length, 0);
});

test("the connector's own reader (redrive, the snapshot journal) reads every member of an object", async () => {
  const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ row: i, pad: "x".repeat(200) }));
  const output = { Body: Readable.from([objectOf(lines)]), $metadata: {} } as unknown as GetObjectCommandOutput;
  const read: string[] = [];
  for await (const { line } of gzipLines(output, { maxLineBytes: 1000, maxBytes: 10_000_000, maxLines: 10_000 })) read.push(line);
  assert.deepEqual(read, lines);
});
