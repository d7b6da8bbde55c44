import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { type Chunk, GzipChunkWriter } from "../../../aws/gzip-chunks.js";
import type { ChangeType, Config } from "../../../config/types.js";
import { UserFacingError } from "../../../errors.js";
import { MAX_LINE_BYTES } from "../../../protocol/input.js";
import { MAX_BUFFERED_BYTES } from "../../../delivery/buffer-limit.js";
import { snapshotStoreCall, snapshotStoreFailure } from "./errors.js";
import type { S3Location } from "./location.js";
import { gzipLines, type LineBounds, UntrustedObjectError } from "./read.js";
import type { ChangeJournal, JournalEntry, NotedEntry } from "../home.js";

const JOURNAL_FOLDER = "journal/";
/** A chunk is written once it holds this many entries, or JOURNAL_LINGER_MS after its first one. */
const CHUNK_ENTRIES = 2000;
const JOURNAL_LINGER_MS = 100;
/** Listing pages read at start: 1,000 keys each. */
const MAX_LIST_PAGES = 1000;
const CHANGES: ReadonlySet<string> = new Set<ChangeType>(["added", "changed", "removed"]);
/** A journal object's name: when, which sync, which of its chunks (see startChunk). */
const CHUNK_NAME = /^\d{13}-.+-\d{6}\.jsonl\.gz$/;

/**
 * What a journal object this connector wrote can hold. A line is one row, which came in one input
 * line, with its key, made of the row's values: at most twice the longest input line, plus the
 * stream's names. A chunk holds at most CHUNK_ENTRIES lines, whose messages wait unsettled for it
 * to be written: delivery holds at most MAX_BUFFERED_BYTES of them, plus the row that fills it.
 */
export const JOURNAL_BOUNDS: LineBounds = {
  maxLineBytes: 2 * MAX_LINE_BYTES + 64 * 1024,
  maxBytes: MAX_BUFFERED_BYTES + 2 * (2 * MAX_LINE_BYTES + 64 * 1024),
  maxLines: CHUNK_ENTRIES,
};

/** A journal chunk's own state: how many of its entries' rows have no outcome yet. */
interface Pending {
  rows: number;
}

/**
 * The write-ahead journal of a snapshot in S3. Every row this sync publishes is first noted in a
 * small gzip-compressed object under `journal/`, created with `If-None-Match: *` and never
 * rewritten; entries are grouped into chunks written one after another while the previous chunk's
 * messages are sent. A commit whose copy holds the outcome of every row of a chunk (or, for
 * journals read at start, holds them as uncertain keys) covers it, and covered chunks are deleted.
 */
export class SnapshotJournal implements ChangeJournal {
  private readonly writer: GzipChunkWriter<Pending>;
  private sequence = 0;
  /** Chunks not covered by a commit yet, oldest first. */
  private readonly chunks: Chunk<Pending>[] = [];

  constructor(
    private readonly s3: S3Client,
    private readonly location: S3Location,
    private readonly config: Config,
    private readonly syncId: string,
    /** Journal objects read at start: the first commit covers them. */
    private loadedKeys: string[],
  ) {
    this.writer = new GzipChunkWriter({
      s3,
      bucket: location.bucket,
      maxLines: CHUNK_ENTRIES,
      maxBytes: Number.POSITIVE_INFINITY,
      lingerMs: JOURNAL_LINGER_MS,
      open: () => {
        const name = `${String(Date.now()).padStart(13, "0")}-${this.syncId}-${String(++this.sequence).padStart(6, "0")}.jsonl.gz`;
        return { key: this.location.key(JOURNAL_FOLDER + name), meta: { rows: 0 } };
      },
      failure: (error) => snapshotStoreFailure(error, this.location, "s3:PutObject", this.config),
    });
  }

  note(entry: JournalEntry): NotedEntry {
    // The row goes in as JSON, not as a string of JSON: escaping its every quote would cost more than the rest.
    const chunk = this.writer.add(
      `${JSON.stringify([entry.namespace, entry.stream, entry.change, entry.key]).slice(0, -1)},${entry.data}]`,
    );
    if (chunk.meta.rows++ === 0) this.chunks.push(chunk);
    let settled = false;
    return {
      durable: chunk.durable,
      settled: () => {
        if (settled) return;
        settled = true;
        chunk.meta.rows--;
      },
    };
  }

  /**
   * The journal objects a commit of the store as it is now covers: those read at start and the
   * written chunks whose every row has an outcome (which the store holds, so the copy does too).
   */
  covered(): string[] {
    return [...this.loadedKeys, ...this.chunks.filter((chunk) => chunk.written && chunk.meta.rows === 0).map((chunk) => chunk.key)];
  }

  /** Deletes journal objects a committed version covers; one left behind is read (harmlessly) by the next sync. */
  async remove(keys: string[]): Promise<void> {
    const removed = new Set(keys);
    this.loadedKeys = this.loadedKeys.filter((key) => !removed.has(key));
    for (let index = this.chunks.length - 1; index >= 0; index--) if (removed.has(this.chunks[index]!.key)) this.chunks.splice(index, 1);
    for (const key of keys) {
      await snapshotStoreCall(this.location, this.config, "s3:DeleteObject", () =>
        this.s3.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: key })),
      );
    }
  }

  /** Writes what is noted and waits for the writes in progress. */
  close(): Promise<void> {
    return this.writer.close();
  }
}

/** The keys of the journal objects under the prefix, oldest first. */
export async function listJournals(s3: S3Client, location: S3Location, config: Config): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const listed = await snapshotStoreCall(location, config, "s3:ListBucket", () =>
      s3.send(
        new ListObjectsV2Command({
          Bucket: location.bucket,
          Prefix: location.key(JOURNAL_FOLDER),
          Delimiter: "/",
          ContinuationToken: token,
        }),
      ),
    );
    for (const { Key } of listed.Contents ?? []) if (Key !== undefined && isJournalKey(location, Key)) keys.push(Key);
    token = listed.NextContinuationToken;
    if (!listed.IsTruncated || token === undefined) break;
  }
  return keys.sort();
}

/**
 * Whether `key` names a journal object of this store: directly in its journal folder and named as
 * this connector names chunks. Anything else there (another connection's prefix nested inside this
 * one, say) is neither read nor deleted.
 */
function isJournalKey(location: S3Location, key: string): boolean {
  const name = location.childOf(JOURNAL_FOLDER, key);
  return name !== undefined && CHUNK_NAME.test(name);
}

/**
 * The entries of one journal object, in the order they were noted, read a line at a time within
 * JOURNAL_BOUNDS; an object that breaks them, or is not a journal, fails naming it.
 */
export async function* readJournal(s3: S3Client, location: S3Location, config: Config, key: string): AsyncGenerator<JournalEntry> {
  const output = await snapshotStoreCall(location, config, "s3:GetObject", () =>
    s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key })),
  );
  try {
    for await (const { line, number } of gzipLines(output, JOURNAL_BOUNDS)) yield parseEntry(line, location, key, number);
  } catch (error) {
    if (error instanceof UntrustedObjectError) throw unreadableJournal(location, key, error.problem);
    if (error instanceof UserFacingError) throw error;
    throw snapshotStoreFailure(error, location, "s3:GetObject", config);
  }
}

function parseEntry(line: string, location: S3Location, key: string, lineNumber: number): JournalEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    parsed = undefined;
  }
  const fields: unknown[] = Array.isArray(parsed) ? parsed : [];
  const [namespace, stream, change, rowKey, row] = fields;
  if (
    fields.length !== 5 ||
    typeof namespace !== "string" ||
    typeof stream !== "string" ||
    typeof rowKey !== "string" ||
    typeof change !== "string" ||
    !CHANGES.has(change) ||
    typeof row !== "object" ||
    row === null
  ) {
    throw unreadableJournal(location, key, `line ${lineNumber} is not a journal entry`);
  }
  return { namespace, stream, change: change as ChangeType, key: rowKey, data: JSON.stringify(row) };
}

function unreadableJournal(location: S3Location, key: string, problem: string): UserFacingError {
  return new UserFacingError(
    `The snapshot journal object ${key} in bucket "${location.bucket}" is not readable (${problem}): it is not one this connector version wrote. ` +
      "Use the connector version that wrote it, or delete it (the rows it names may then not be published again after an interrupted sync).",
    "config_error",
  );
}
