// The change detection port: what the write pipeline asks of every detector.
import type { ChangeType } from "../config/types.js";
import type { ConfiguredStream, RecordMessage } from "../protocol/messages.js";

/**
 * What the pipeline must do around one published row. `journaled`: the message must not leave
 * before this resolves (the row is then durably noted as about to be published; a rejection
 * means it never may). `onPublished` runs once SQS has stored the message, `onRejected` once the
 * row is given up instead (rejected, or refused by SQS).
 */
export interface PublishHooks {
  journaled?: Promise<void> | undefined;
  onPublished?: (() => void) | undefined;
  onRejected?: (() => void) | undefined;
}

/**
 * What a stateful detector does once the row pipeline has decided a changed row's fate: `publish`
 * when its message is about to be delivered (answering what must happen around that message), or
 * `skip` when it is not published (its change type is left out of `events`), so nobody waits for
 * it. A row rejected instead gets neither: the detector finds it again next sync.
 */
export interface ChangeFollowUp {
  publish(): PublishHooks;
  skip(): void;
}

/** What a record means for the queue. */
export type Detection =
  | { kind: "change"; change: ChangeType; previous?: Record<string, unknown> | undefined; followUp?: ChangeFollowUp | undefined }
  | { kind: "unchanged" }
  | { kind: "reject"; setting: string; reason: string };

/** A row that disappeared from a stream that ended complete, to publish as `removed`. */
export interface RemovedRow {
  data: Record<string, unknown>;
  followUp?: ChangeFollowUp | undefined;
}

/** Decides each record's change type; stateful detectors also find removed rows. */
export interface ChangeDetector {
  /** `lineNumber`: the input line the record was read from. */
  detect(record: RecordMessage, stream: ConfiguredStream, lineNumber: number): Detection;
  /** The stream ended complete this sync: the rows to publish as removed. */
  completed(stream: ConfiguredStream): Iterable<RemovedRow>;
  /** A Clear job ended the stream: forgets what is stored of it (the rows to publish as removed, if asked to). */
  cleared(stream: ConfiguredStream): Iterable<RemovedRow>;
  /** The sync is over; `succeeded` is false when it failed or was stopped. Later calls do nothing. */
  close(succeeded: boolean): void | Promise<void>;
}
