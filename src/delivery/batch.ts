import type { BatchEntry } from "./types.js";
import type { Lane, MessageGroup } from "./lane.js";

/** One SendMessageBatch request's worth of entries from lane `L`, and its retry history. */
export interface Batch<L extends Lane = Lane> {
  lane: L;
  entries: BatchEntry[];
  /** The group each entry belongs to, by position: its FIFO lock is held until the entry settles. */
  groups: MessageGroup[];
  /** How many times this batch (or the batch it was split from) has failed. */
  failures: number;
  /** When it first failed (performance.now()), or -1 when it has not failed yet. */
  firstFailureAt: number;
}

/** The entries at `positions`, as a batch that keeps every entry's id and the failure history. */
export function retryBatchOf<L extends Lane>(batch: Batch<L>, positions: number[]): Batch<L> {
  if (positions.length === batch.entries.length) return batch;
  return {
    lane: batch.lane,
    entries: positions.map((position) => batch.entries[position]!),
    groups: positions.map((position) => batch.groups[position]!),
    failures: batch.failures,
    firstFailureAt: batch.firstFailureAt,
  };
}
