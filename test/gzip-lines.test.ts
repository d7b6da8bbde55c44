import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { GzipLines } from "../src/aws/gzip-lines.js";

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
