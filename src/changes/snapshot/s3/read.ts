// Reading back objects of the snapshot store. What a bucket holds is not trusted: anyone with write
// access to it may have put anything there, so every read is bounded before it reaches memory or disk.

import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";

/** An object read back broke a bound or a format rule: `problem` says how, as a phrase. */
export class UntrustedObjectError extends Error {
  constructor(readonly problem: string) {
    super(problem);
  }
}

function bodyOf(output: GetObjectCommandOutput): Readable | undefined {
  return output.Body as Readable | undefined;
}

/** Whether `error` is zlib's: the data was not gzip, or was cut short. */
function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}

/** The object's text, read no further than `maxBytes` (a small JSON object: a manifest, a lock). */
export async function readBoundedText(output: GetObjectCommandOutput, maxBytes: number): Promise<string> {
  const body = bodyOf(output);
  if (body === undefined) return "";
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    bytes += buffer.length;
    if (bytes > maxBytes) {
      body.destroy();
      throw new UntrustedObjectError(`it is larger than ${maxBytes} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export interface LineBounds {
  /** The longest line, in bytes, decompressed. */
  maxLineBytes: number;
  /** The most bytes the object may decompress to. */
  maxBytes: number;
  /** The most lines it may hold. */
  maxLines: number;
}

/**
 * The non-empty lines of a gzip-compressed object, one at a time, each checked against `bounds`
 * before it is made a string; what breaks a bound, or is not gzip, throws an UntrustedObjectError.
 * Failures of the transfer itself are thrown as they come.
 */
export async function* gzipLines(output: GetObjectCommandOutput, bounds: LineBounds): AsyncGenerator<{ line: string; number: number }> {
  const body = bodyOf(output);
  if (body === undefined) throw new UntrustedObjectError("it is empty, not gzip");
  const gunzip = pipeline(body, createGunzip(), () => undefined);
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let total = 0;
  let number = 0;
  const lineOf = (tail: Buffer): string => {
    const line = Buffer.concat([...partial, tail]).toString("utf8");
    partial = [];
    partialBytes = 0;
    return line;
  };
  const tooLong = (): UntrustedObjectError => new UntrustedObjectError(`line ${number + 1} is longer than ${bounds.maxLineBytes} bytes`);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > bounds.maxBytes) throw new UntrustedObjectError(`it decompresses to more than ${bounds.maxBytes} bytes`);
      let start = 0;
      for (let end = chunk.indexOf(10, start); end >= 0; end = chunk.indexOf(10, start)) {
        if (partialBytes + end - start > bounds.maxLineBytes) throw tooLong();
        const line = lineOf(chunk.subarray(start, end));
        start = end + 1;
        number++;
        if (line === "") continue;
        if (number > bounds.maxLines) throw new UntrustedObjectError(`it holds more than ${bounds.maxLines} lines`);
        yield { line, number };
      }
      if (start < chunk.length) {
        partial.push(chunk.subarray(start));
        partialBytes += chunk.length - start;
        if (partialBytes > bounds.maxLineBytes) throw tooLong();
      }
    }
    const last = lineOf(Buffer.alloc(0));
    number++;
    if (last !== "") {
      if (number > bounds.maxLines) throw new UntrustedObjectError(`it holds more than ${bounds.maxLines} lines`);
      yield { line: last, number };
    }
  } catch (error) {
    if (isZlibError(error)) throw new UntrustedObjectError("it is not gzip data, or is cut short");
    throw error;
  } finally {
    gunzip.destroy();
  }
}

/**
 * Decompresses a gzip object into `destination`, stopping once more than `maxCompressedBytes` have
 * arrived or more than `maxBytes` have been written: an UntrustedObjectError, as for data that is not gzip.
 */
export async function gunzipBounded(
  output: GetObjectCommandOutput,
  destination: Writable,
  bounds: { maxCompressedBytes: number; maxBytes: number },
): Promise<void> {
  const body = bodyOf(output);
  if (body === undefined) throw new UntrustedObjectError("it is empty, not gzip");
  try {
    await pipelineAsync(
      body,
      limitBytes(bounds.maxCompressedBytes, (limit) => `it is larger than the ${limit} bytes the manifest records`),
      createGunzip(),
      limitBytes(bounds.maxBytes, (limit) => `it decompresses to more than ${limit} bytes`),
      destination,
    );
  } catch (error) {
    if (isZlibError(error)) throw new UntrustedObjectError("it is not gzip data, or is cut short");
    throw error;
  }
}

/** A pass-through stage that fails once more than `limit` bytes have gone through it. */
function limitBytes(limit: number, problem: (limit: number) => string) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let bytes = 0;
    for await (const chunk of source) {
      bytes += chunk.length;
      if (bytes > limit) throw new UntrustedObjectError(problem(limit));
      yield chunk;
    }
  };
}
