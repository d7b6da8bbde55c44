// Lines joined by newlines and gzip-compressed as they come, a block at a time, so that an object
// being filled is held compressed (about a tenth of its size) rather than as strings.

import { constants, gzipSync } from "node:zlib";

/**
 * Lines are compressed this many characters at a time. Each block is compressed at once, on the
 * calling thread, as a gzip member of its own: an object is a series of members, which RFC 1952
 * allows and every gzip reader (zcat, DuckDB, Athena, Spark, Node's gunzip) reads as one stream.
 * A zlib stream would carry one member across the blocks, but it compresses on the thread pool,
 * handing each block over and back, which took about three times the CPU of the compression
 * itself on the two-core machines the benchmark runs on; the member headers cost 18 bytes a block.
 */
const BLOCK_CHARS = 256 * 1024;
/** What one block's lines are encoded into before compression: one for the process, reused. */
const SCRATCH_BYTES = 1024 * 1024;
/** The most bytes one UTF-16 code unit takes in UTF-8. */
const MAX_UTF8_BYTES_PER_UNIT = 3;
const NEWLINE = 0x0a;
/**
 * Fastest level, and an 8 KiB window rather than zlib's 32 KiB: lines of a few hundred bytes find
 * their matches in the lines just before them, and on results lines the smaller window compressed
 * a fifth faster, and a little smaller.
 */
const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED, windowBits: 13 } as const;

let scratch: Buffer | undefined;

/** A block's lines as UTF-8, each but the first after a newline (and the first too unless it starts the object). */
function encode(lines: readonly string[], startsObject: boolean): Buffer {
  let worstCase = lines.length;
  for (const line of lines) worstCase += MAX_UTF8_BYTES_PER_UNIT * line.length;
  // A block that may not fit (its last line is a long one): made the plain way, in a buffer of its own.
  if (worstCase > SCRATCH_BYTES) return Buffer.from(`${startsObject ? "" : "\n"}${lines.join("\n")}`);
  scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
  let at = 0;
  for (const line of lines) {
    if (at > 0 || !startsObject) scratch[at++] = NEWLINE;
    at += scratch.write(line, at);
  }
  return scratch.subarray(0, at);
}

/** One object's lines; `finish` gives the object. */
export class GzipLines {
  private pending: string[] = [];
  private pendingChars = 0;
  private readonly members: Buffer[] = [];

  add(line: string): void {
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= BLOCK_CHARS) this.compressPending();
  }

  /** The object: every line added, joined by newlines (none after the last), as gzip. */
  finish(): Buffer {
    this.compressPending();
    if (this.members.length === 0) this.members.push(gzipSync(Buffer.alloc(0), GZIP_OPTIONS));
    const body = Buffer.concat(this.members);
    this.members.length = 0;
    return body;
  }

  private compressPending(): void {
    if (this.pending.length === 0) return;
    const text = encode(this.pending, this.members.length === 0);
    this.members.push(gzipSync(text, GZIP_OPTIONS));
    this.pending = [];
    this.pendingChars = 0;
  }
}
