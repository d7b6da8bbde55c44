// What a run records of its rows' outcomes: every rejected row, and with sync_results "all" every
// other outcome too. A row whose result is recorded is handled (its STATE may pass) only once its
// part is stored: the caller settles it in `onStored`, called with the `ticket` it gave.

import type { SyncResultsSetting } from "../config/types.js";
import { type Publication, publishedLine, type Rejection, rejectedLine, type ResultRow, type RunIds, skippedLine } from "./lines.js";
import type { OnStored, ResultParts } from "./parts.js";
import type { RunEnd, RunSummaryObject } from "./run-summary.js";

export class SyncResults {
  /** Whether every outcome is recorded, or only rejections. */
  readonly all: boolean;

  constructor(
    private readonly parts: ResultParts,
    private readonly summary: RunSummaryObject,
    private readonly ids: RunIds,
    setting: SyncResultsSetting,
  ) {
    this.all = setting === "all";
  }

  get runId(): string {
    return this.ids.runId;
  }

  get syncId(): string {
    return this.ids.syncId;
  }

  /** Rejects with the first results write that failed: the sync must stop. */
  get failed(): Promise<never> {
    return this.parts.failed;
  }

  /** `onStored` is the row's own: a rejected row may also wait for its dead letter. */
  rejected(row: ResultRow, rejection: Rejection, onStored?: () => void): void {
    this.parts.add(row.stream, rejectedLine(this.ids, row, rejection), onStored);
  }

  /** With "all" only: the caller asks `all` first. */
  published(row: ResultRow, publication: Publication, onStored?: OnStored, ticket?: number): void {
    this.parts.add(row.stream, publishedLine(this.ids, row, publication), onStored, ticket);
  }

  /** With "all" only: the caller asks `all` first. */
  skipped(row: ResultRow, reason: "event_filter" | "unchanged", onStored?: OnStored, ticket?: number): void {
    this.parts.add(row.stream, skippedLine(this.ids, row, reason), onStored, ticket);
  }

  /** A promise when the results not yet stored take too much memory: the reader waits for it. */
  whenRoom(): Promise<void> | undefined {
    return this.parts.whenRoom();
  }

  /** Writes every part still open; rejects with the first write that failed, as `failed` does. */
  close(): Promise<void> {
    return this.parts.close();
  }

  /** Rewrites the run's summary with how it ended and the files it stored. */
  finish(end: RunEnd): Promise<void> {
    return this.summary.finish(end, this.parts.files);
  }
}
