// The change detection port: what the write pipeline asks of every detector.
import type { ChangeType } from "../config/types.js";
import type { ConfiguredStream, RecordMessage } from "../protocol/messages.js";

/** What a record means for the queue. `onPublished` runs once SQS has stored the row's message. */
export type Detection =
  | { kind: "change"; change: ChangeType; previous?: Record<string, unknown> | undefined; onPublished?: () => void }
  | { kind: "unchanged" }
  | { kind: "reject"; setting: string; reason: string };

/** A row that disappeared from a stream that ended complete, to publish as `removed`. */
export interface RemovedRow {
  data: Record<string, unknown>;
  onPublished?: () => void;
}

/** Decides each record's change type; stateful detectors also find removed rows. */
export interface ChangeDetector {
  detect(record: RecordMessage, stream: ConfiguredStream): Detection;
  /** The stream ended complete this sync: the rows to publish as removed. */
  completed(stream: ConfiguredStream): Iterable<RemovedRow>;
  /** A Clear job ended the stream: forgets what is stored of it (the rows to publish as removed, if asked to). */
  cleared(stream: ConfiguredStream): Iterable<RemovedRow>;
  /** The sync is over; `succeeded` is false when it failed or was stopped. Later calls do nothing. */
  close(succeeded: boolean): void | Promise<void>;
}
