// The results files of one run: per stream, gzip-compressed JSON Lines parts written as the sync
// runs, each a complete object of its own.

import type { S3Client } from "@aws-sdk/client-s3";
import { type Chunk, GzipChunkWriter } from "../aws/gzip-chunks.js";
import { type Deferred, deferred } from "../deferred.js";
import type { ConfiguredStream } from "../protocol/messages.js";
import { partName, streamPrefix } from "./format.js";

/**
 * A part is written once it holds PART_LINES lines or PART_CHARS characters, or PART_LINGER_MS after
 * its first line. A row whose result is recorded holds its STATE back until its part is stored, so
 * the linger bounds that delay (plus one PutObject); 2 s keeps a trickle of rejections from making
 * an object per row while STATE still moves every few seconds. At full speed ("all", tens of
 * thousands of rows a second) parts fill by size first: 4 MiB of lines of about 500 characters,
 * some 8,000 rows and 400 KB gzipped, objects large enough for Athena to read efficiently and small
 * enough that a few of them in memory keep the connector within its memory budget.
 */
const PART_LINES = 10_000;
const PART_CHARS = 4 * 1024 * 1024;
const PART_LINGER_MS = 2000;
/**
 * What every stream's parts may hold in memory before the reader waits for a write (bounded memory
 * however far S3 falls behind): the part being written, and two more.
 */
const MAX_PENDING_CHARS = 3 * PART_CHARS;

/**
 * Run once a line's part is stored, with the number the line was added with: a row's checkpoint
 * ticket, so that one function serves every row and a row costs no closure while its part fills.
 */
export type OnStored = (ticket: number) => void;

/** What runs once a part is stored: for each of its rows that waits, a callback and its ticket. */
interface Waiting {
  callbacks: OnStored[];
  tickets: number[];
}

export interface PartsOptions {
  s3: S3Client;
  bucket: string;
  bucketPath: string;
  syncId: string;
  /** Every part of the run is named with this time and its own number, so no two runs share a name. */
  startedAt: Date;
  /** A failed write as the error that stops the sync. */
  failure(error: unknown, key: string): Error;
}

export class ResultParts {
  private readonly writers = new Map<ConfiguredStream, GzipChunkWriter<Waiting>>();
  private part = 0;
  private readonly stored: string[] = [];
  private room: Deferred<void> | undefined;
  private readonly failure = deferred<never>();
  private firstFailure: Error | undefined;

  constructor(private readonly options: PartsOptions) {}

  /** Rejects with the first write that failed. */
  get failed(): Promise<never> {
    return this.failure.promise;
  }

  /** The parts stored so far, in the order they were stored. */
  get files(): readonly string[] {
    return this.stored;
  }

  /** Adds a line to its stream's open part; `onStored(ticket)` runs once the part is stored. */
  add(stream: ConfiguredStream, line: string, onStored?: OnStored, ticket = 0): void {
    const chunk = this.writerOf(stream).add(line);
    if (onStored === undefined) return;
    chunk.meta.callbacks.push(onStored);
    chunk.meta.tickets.push(ticket);
  }

  /** A promise when the parts hold too much: the reader waits for it before taking more rows. */
  whenRoom(): Promise<void> | undefined {
    if (this.pendingChars() < MAX_PENDING_CHARS) return undefined;
    this.room ??= deferred<void>();
    return this.room.promise;
  }

  /** Writes every open part and waits for every write; rejects with the first that failed. */
  async close(): Promise<void> {
    await Promise.all([...this.writers.values()].map((writer) => writer.close()));
    if (this.firstFailure !== undefined) throw this.firstFailure;
  }

  private pendingChars(): number {
    let chars = 0;
    for (const writer of this.writers.values()) chars += writer.pendingChars;
    return chars;
  }

  private writerOf(stream: ConfiguredStream): GzipChunkWriter<Waiting> {
    let writer = this.writers.get(stream);
    if (writer !== undefined) return writer;
    const { s3, bucket, bucketPath, syncId, startedAt } = this.options;
    const prefix = streamPrefix(bucketPath, syncId, stream.stream.namespace ?? undefined, stream.stream.name);
    writer = new GzipChunkWriter<Waiting>({
      s3,
      bucket,
      maxLines: PART_LINES,
      maxBytes: PART_CHARS,
      lingerMs: PART_LINGER_MS,
      open: () => ({ key: prefix + partName(startedAt, ++this.part), meta: { callbacks: [], tickets: [] } }),
      failure: (error, key) => this.options.failure(error, key),
      afterWrite: (chunk, error) => this.afterWrite(chunk, error),
    });
    this.writers.set(stream, writer);
    return writer;
  }

  private afterWrite(chunk: Chunk<Waiting>, error: Error | undefined): void {
    if (error !== undefined) {
      this.firstFailure ??= error;
      this.failure.reject(error);
      return;
    }
    this.stored.push(chunk.key);
    const { callbacks, tickets } = chunk.meta;
    for (let index = 0; index < callbacks.length; index++) callbacks[index]!(tickets[index]!);
    if (this.room === undefined || this.pendingChars() >= MAX_PENDING_CHARS) return;
    this.room.resolve(undefined);
    this.room = undefined;
  }
}
