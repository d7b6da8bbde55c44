// Rows noted as a sync runs, written to S3 in small gzip-compressed JSON Lines objects, one after
// another: the snapshot journal and the sync results both write this way.

import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { deferred } from "../deferred.js";
import { isPreconditionFailed } from "./error-code.js";
import { GzipLines } from "./gzip-lines.js";

export interface GzipChunkOptions<M> {
  s3: S3Client;
  bucket: string;
  /** A chunk is sealed once it holds this many lines or bytes, or `lingerMs` after its first line. */
  maxLines: number;
  maxBytes: number;
  lingerMs: number;
  /**
   * The key of the next chunk, and the caller's own state of it. A key must never be reused: an
   * object already there is taken to be this very write, retried after its answer was lost.
   */
  open(): { key: string; meta: M };
  /** A failed write as the error the chunk's rows report. */
  failure(error: unknown, key: string): Error;
  /** Called after each write: with the error when it failed (the one `durable` rejects with). */
  afterWrite?(chunk: Chunk<M>, error?: Error): void;
}

/** One object: how much it holds, and whether it was written. */
export interface Chunk<M> {
  readonly key: string;
  readonly meta: M;
  lines: number;
  /** UTF-16 length of the lines: a cheap measure of the object's size before compression. */
  chars: number;
  written: boolean;
  /** Resolves once the object is stored, or rejects with `failure`'s error; already marked as handled. */
  readonly durable: Promise<void>;
}

interface OpenChunk<M> extends Chunk<M> {
  readonly body: GzipLines;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Writes noted lines to S3 in chunks: each chunk is one complete object, created with
 * `If-None-Match: *` and never rewritten, so a line is readable as soon as its chunk is durable.
 * Chunks are written in order, one at a time, while the next one fills.
 */
export class GzipChunkWriter<M> {
  private open: OpenChunk<M> | undefined;
  private linger: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Characters noted and not yet written (or failed). */
  private unwritten = 0;

  constructor(private readonly options: GzipChunkOptions<M>) {}

  /** Notes a line; answers the chunk it went to. */
  add(line: string): Chunk<M> {
    const chunk = this.open ?? this.startChunk();
    chunk.body.add(line);
    chunk.lines++;
    chunk.chars += line.length;
    this.unwritten += line.length;
    if (chunk.lines >= this.options.maxLines || chunk.chars >= this.options.maxBytes) this.seal();
    return chunk;
  }

  /** Characters noted but not yet written: what this writer holds in memory. */
  get pendingChars(): number {
    return this.unwritten;
  }

  /** Writes the open chunk now, without waiting for it to fill. */
  seal(): void {
    const chunk = this.open;
    if (!chunk) return;
    this.open = undefined;
    clearTimeout(this.linger);
    this.writing = this.writing.then(() => this.write(chunk));
  }

  /** Writes what is noted and waits for the writes in progress; their failures reach the chunks' `durable`. */
  async close(): Promise<void> {
    this.seal();
    await this.writing;
  }

  private startChunk(): OpenChunk<M> {
    // Its failure reaches every row's owner; nothing else may report it as unhandled.
    const { promise: durable, resolve, reject } = deferred();
    const { key, meta } = this.options.open();
    const chunk: OpenChunk<M> = { key, meta, lines: 0, chars: 0, body: new GzipLines(), written: false, durable, resolve, reject };
    this.open = chunk;
    this.linger = setTimeout(() => this.seal(), this.options.lingerMs);
    return chunk;
  }

  private async write(chunk: OpenChunk<M>): Promise<void> {
    const { s3, bucket } = this.options;
    try {
      const body = chunk.body.finish();
      await s3
        .send(new PutObjectCommand({ Bucket: bucket, Key: chunk.key, Body: body, ContentType: "application/gzip", IfNoneMatch: "*" }))
        .catch((error: unknown) => {
          if (!isPreconditionFailed(error)) throw error;
        });
      chunk.written = true;
      this.unwritten -= chunk.chars;
      chunk.resolve();
      this.options.afterWrite?.(chunk);
    } catch (error) {
      const failure = this.options.failure(error, chunk.key);
      this.unwritten -= chunk.chars;
      chunk.reject(failure);
      this.options.afterWrite?.(chunk, failure);
    }
  }
}
