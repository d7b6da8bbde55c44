// Lines joined by newlines and gzip-compressed as they come, a block at a time, so that an object
// being filled is held compressed (about a tenth of its size) rather than as strings.

import { constants, gzipSync } from "node:zlib";

/**
 * Lines are compressed this many bytes at a time. Each block is compressed at once, on the
 * calling thread, as a gzip member of its own: an object is a series of members, which RFC 1952
 * allows and every gzip reader (zcat, DuckDB, Athena, Spark, Node's gunzip) reads as one stream.
 * A zlib stream would carry one member across the blocks, but it compresses on the thread pool,
 * handing each block over and back, which took about three times the CPU of the compression
 * itself on the two-core machines the benchmark runs on; the member headers cost 18 bytes a block.
 */
const BLOCK_BYTES = 256 * 1024;
/** The block's first buffer: an object of a few lines (a trickle of rejections) stays small. */
const FIRST_BUFFER_BYTES = 16 * 1024;
/** The most bytes one UTF-16 code unit takes in UTF-8. */
const MAX_UTF8_BYTES_PER_UNIT = 3;
const NEWLINE = 0x0a;
/**
 * Fastest level, and an 8 KiB window rather than zlib's 32 KiB: lines of a few hundred bytes find
 * their matches in the lines just before them, and on results lines the smaller window compressed
 * a fifth faster, and a little smaller.
 */
const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED, windowBits: 13 } as const;

/**
 * One object's lines; `finish` gives the object. Each line is encoded as it is added, while it is
 * fresh in memory, and is garbage at once: nothing holds it until its block is compressed.
 */
export class GzipLines {
  private block = Buffer.allocUnsafe(0);
  private used = 0;
  private lines = 0;
  private readonly members: Buffer[] = [];

  add(line: string): void {
    const room = MAX_UTF8_BYTES_PER_UNIT * line.length + 1;
    if (room > BLOCK_BYTES) {
      // A line longer than a block is a member of its own, encoded in a buffer of its own.
      this.compressBlock();
      this.members.push(gzipSync(this.lines++ === 0 ? line : `\n${line}`, GZIP_OPTIONS));
      return;
    }
    if (this.used + room > this.block.length) this.grow(this.used + room);
    if (this.lines++ > 0) this.block[this.used++] = NEWLINE;
    this.used += this.block.write(line, this.used);
    if (this.used >= BLOCK_BYTES) this.compressBlock();
  }

  /** The object: every line added, joined by newlines (none after the last), as gzip. */
  finish(): Buffer {
    this.compressBlock();
    if (this.members.length === 0) this.members.push(gzipSync(Buffer.alloc(0), GZIP_OPTIONS));
    const body = Buffer.concat(this.members);
    this.members.length = 0;
    this.block = Buffer.allocUnsafe(0);
    return body;
  }

  /** At most twice a block: the block is compressed once it holds BLOCK_BYTES, and a line takes at most one. */
  private grow(needed: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(needed, 2 * this.block.length, FIRST_BUFFER_BYTES));
    this.block.copy(bigger, 0, 0, this.used);
    this.block = bigger;
  }

  private compressBlock(): void {
    if (this.used === 0) return;
    this.members.push(gzipSync(this.block.subarray(0, this.used), GZIP_OPTIONS));
    this.used = 0;
  }
}
