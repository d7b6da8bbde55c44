// Which rows of a sync are still rejected: a row may have several results (a sync retried after a
// kill, an earlier redrive), and only its latest decides.

import { UserFacingError } from "../errors.js";
import type { ResultRead } from "./read.js";

/**
 * The rejected rows' records are held until every result has been read, so that a later result can
 * still clear a row: past this many bytes of them the read stops rather than exhaust the heap.
 */
export const MAX_HELD_REJECTED_BYTES = 512 * 1024 * 1024;

interface Latest {
  time: number;
  /** The result when it is a rejection; undefined when the row's latest result is another outcome. */
  rejected: ResultRead | undefined;
}

/**
 * A row's identity across runs: its stream and primary key, or its message id when the stream has
 * no primary key (the default message id hashes the record, so it is stable while message_id is
 * unchanged). A result that names neither is a row of its own.
 */
function rowIdentity({ result, key, lineNumber }: ResultRead): string {
  const id = result.primary_key ?? result.message_id;
  const kind = result.primary_key !== null ? "key" : result.message_id !== null ? "message" : `line ${key}:${lineNumber}`;
  return JSON.stringify([result.namespace, result.stream, kind, id]);
}

function heldBytes({ result }: ResultRead): number {
  return (result.data?.length ?? 0) + (result.meta?.length ?? 0);
}

/**
 * Collects a sync's results and keeps, per row, the latest (by `recorded_at`; the one read later
 * when two are recorded at the same time). Results of rows that were never rejected are not held:
 * files are read in key order, which is the order their runs started in, so a row's rejection is
 * read before the results of the runs that came after it.
 */
export class LatestResults {
  private readonly rows = new Map<string, Latest>();
  private held = 0;

  add(read: ResultRead): void {
    const identity = rowIdentity(read);
    const time = Date.parse(read.result.recorded_at);
    const known = this.rows.get(identity);
    if (known !== undefined && known.time > time) return;
    const rejected = read.result.outcome === "rejected" ? read : undefined;
    if (known === undefined && rejected === undefined) return;
    this.held += (rejected ? heldBytes(rejected) : 0) - (known?.rejected ? heldBytes(known.rejected) : 0);
    if (this.held > MAX_HELD_REJECTED_BYTES) {
      throw new UserFacingError(
        `The sync's rejected rows hold more than ${MAX_HELD_REJECTED_BYTES / 1024 / 1024} MiB of records, more than one redrive holds at once: ` +
          "redrive one stream at a time with --stream.",
      );
    }
    this.rows.set(identity, { time, rejected });
  }

  /** The rows whose latest result is a rejection, in the order they were first read. */
  rejected(): ResultRead[] {
    return [...this.rows.values()].flatMap((latest) => (latest.rejected ? [latest.rejected] : []));
  }
}
