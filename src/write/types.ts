// The write pipeline's port to whoever watches it (run summary, progress reports).
import type { ChangeType } from "../config/types.js";

/** Sees what happens to every row, for the run summary and progress reports. */
export interface WriteObserver {
  recordRead(stream: string): void;
  skipped(stream: string, change: ChangeType | undefined, reason: "event_filter" | "unchanged"): void;
  /** `offloaded`: the body went to S3 and SQS got a pointer to it (large_messages). */
  published(stream: string, change: ChangeType, bytes: number, offloaded: boolean): void;
  rejected(stream: string, change: ChangeType | undefined, messageId: string, reason: string): void;
}
