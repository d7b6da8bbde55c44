// Objects read back from the snapshot store's bucket are bounded before they reach memory or disk.
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { JOURNAL_BOUNDS } from "../src/changes/snapshot/s3/journal.js";
import { S3Location } from "../src/changes/snapshot/s3/location.js";
import { gunzipBounded, gzipLines, type LineBounds, readBoundedText, UntrustedObjectError } from "../src/changes/snapshot/s3/read.js";
import { MAX_LINE_BYTES } from "../src/protocol/input.js";

/** A GetObject answer whose body arrives in chunks of `chunkBytes`. */
function objectOf(data: Buffer, chunkBytes = 7): GetObjectCommandOutput {
  const chunks: Buffer[] = [];
  for (let start = 0; start < data.length; start += chunkBytes) chunks.push(data.subarray(start, start + chunkBytes));
  return { Body: Readable.from(chunks), $metadata: {} } as unknown as GetObjectCommandOutput;
}

async function linesOf(data: Buffer, bounds: LineBounds): Promise<string[]> {
  const lines: string[] = [];
  for await (const { line, number } of gzipLines(objectOf(data), bounds)) lines.push(`${number}:${line}`);
  return lines;
}

const LOOSE: LineBounds = { maxLineBytes: 100, maxBytes: 1000, maxLines: 10 };

function rejectsWith(problem: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof UntrustedObjectError && problem.test(error.problem);
}

test("gzip lines are read one at a time, numbered, blank lines skipped, split wherever the chunks fall", async () => {
  assert.deepEqual(await linesOf(gzipSync("a\n\nbé\nc"), LOOSE), ["1:a", "3:bé", "4:c"]);
  assert.deepEqual(await linesOf(gzipSync("a\nb\n"), LOOSE), ["1:a", "2:b"]);
});

test("a line longer than the bound, an object decompressing beyond it, too many lines, or data that is not gzip, are refused", async () => {
  await assert.rejects(linesOf(gzipSync(`ok\n${"x".repeat(101)}\n`), LOOSE), rejectsWith(/^line 2 is longer than 100 bytes$/));
  await assert.rejects(linesOf(gzipSync("x".repeat(101)), LOOSE), rejectsWith(/^line 1 is longer than 100 bytes$/));
  await assert.rejects(linesOf(gzipSync("x\n".repeat(600)), LOOSE), rejectsWith(/more than 1000 bytes/));
  await assert.rejects(linesOf(gzipSync("x\n".repeat(11)), LOOSE), rejectsWith(/more than 10 lines/));
  await assert.rejects(linesOf(Buffer.from("plain text\n"), LOOSE), rejectsWith(/not gzip/));
  await assert.rejects(linesOf(gzipSync("a\nb\n").subarray(0, 12), LOOSE), rejectsWith(/not gzip data, or is cut short/));
});

test("a journal line may hold the largest row the connector reads, with its key, and no more", () => {
  assert.ok(JOURNAL_BOUNDS.maxLineBytes >= 2 * MAX_LINE_BYTES);
  assert.ok(JOURNAL_BOUNDS.maxLineBytes < 200 * 1024 * 1024);
});

test("a small object is read up to its bound", async () => {
  assert.equal(await readBoundedText(objectOf(Buffer.from("{}")), 2), "{}");
  await assert.rejects(readBoundedText(objectOf(Buffer.from("{} ")), 2), rejectsWith(/larger than 2 bytes/));
});

test("a download stops at the compressed size recorded and at the decompressed ceiling", async () => {
  const sink = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });
  const zeros = gzipSync(Buffer.alloc(100_000));
  await gunzipBounded(objectOf(zeros, 1000), sink(), { maxCompressedBytes: zeros.length, maxBytes: 100_000 });
  await assert.rejects(
    gunzipBounded(objectOf(zeros, 1000), sink(), { maxCompressedBytes: zeros.length - 1, maxBytes: 100_000 }),
    rejectsWith(new RegExp(`larger than the ${zeros.length - 1} bytes the manifest records`)),
  );
  await assert.rejects(
    gunzipBounded(objectOf(zeros, 1000), sink(), { maxCompressedBytes: zeros.length, maxBytes: 99_999 }),
    rejectsWith(/decompresses to more than 99999 bytes/),
  );
  await assert.rejects(
    gunzipBounded(objectOf(Buffer.from("not gzip")), sink(), { maxCompressedBytes: 100, maxBytes: 100 }),
    rejectsWith(/not gzip/),
  );
});

test("a store's own objects are those directly in its folders; nothing outside its prefix or nested deeper", () => {
  const location = new S3Location("bucket", "conn1");
  assert.equal(location.childOf("snapshots/", "conn1/snapshots/0001-a.sqlite.gz"), "0001-a.sqlite.gz");
  assert.equal(location.childOf("snapshots/", "conn2/snapshots/0001-a.sqlite.gz"), undefined);
  assert.equal(location.childOf("snapshots/", "conn1/snapshots/inner/manifest.json"), undefined);
  assert.equal(location.childOf("snapshots/", "conn1/snapshots/"), undefined);
  assert.equal(location.childOf("snapshots/", "conn1x/snapshots/0001-a.sqlite.gz"), undefined);
});
