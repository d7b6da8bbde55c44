// The one path from a record to a message: detect its change, apply `events`, compose it under
// every queue rule. Write and preview both go through it, so preview shows what write would do.

import type { QueueUrlCheck } from "../aws/queue-hosts.js";
import type { ChangeDetector, ChangeFollowUp, PublishHooks, RemovedRow } from "../changes/types.js";
import { createComposer, type ComposedMessage, type Composer, type RowInput } from "../compose/composer.js";
import { isRejection } from "../compose/rejection.js";
import type { ChangeType, Config } from "../config/types.js";
import type { ConfiguredStream, RecordMessage } from "../protocol/messages.js";
import { type RejectedReason, rejectedReasonOfSetting } from "../results/reasons.js";

export type SkipReason = "unchanged" | "event_filter";

/** What one row becomes. `change` is undefined when the row's change could not be decided. */
export type RowOutcome =
  | { kind: "skipped"; change: ChangeType | undefined; reason: SkipReason }
  | {
      kind: "rejected";
      change: ChangeType | undefined;
      messageId: string;
      reason: string;
      /** The stable code of the reason, for the sync results. */
      code: RejectedReason;
      hooks: PublishHooks;
    }
  | { kind: "message"; change: ChangeType; message: ComposedMessage; hooks: PublishHooks };

const NO_HOOKS: PublishHooks = Object.freeze({});
const UNCHANGED: RowOutcome = Object.freeze({ kind: "skipped", change: undefined, reason: "unchanged" });

interface RowPipelineOptions {
  detector: ChangeDetector;
  /** Refuses queue URLs naming a host other than this connector's SQS (rows must not steer requests). */
  checkQueueUrl: QueueUrlCheck;
  /** The catalog's streams: their destination objects are checked before the first row. */
  streams: Iterable<ConfiguredStream>;
}

export class RowPipeline {
  private readonly composer: Composer;
  private readonly detector: ChangeDetector;
  private readonly events: ReadonlySet<ChangeType>;

  constructor(config: Config, options: RowPipelineOptions) {
    this.composer = createComposer(config, { checkQueueUrl: options.checkQueueUrl, streams: options.streams });
    this.detector = options.detector;
    this.events = new Set(config.events);
  }

  /** A record of `stream` (which the catalog holds), read from input line `lineNumber`. */
  record(record: RecordMessage, stream: ConfiguredStream, lineNumber: number): RowOutcome {
    const detection = this.detector.detect(record, stream, lineNumber);
    if (detection.kind === "unchanged") return UNCHANGED;
    if (detection.kind === "reject") {
      const messageId = this.composer.messageIdOf(rowInput(stream, record.data, "added", record.emitted_at, undefined, record.meta));
      const reason = `Row with message id ${JSON.stringify(messageId)} (input line ${lineNumber}) was rejected: ${detection.reason}`;
      return { kind: "rejected", change: undefined, messageId, reason, code: "change_undecided", hooks: NO_HOOKS };
    }
    const row = rowInput(stream, record.data, detection.change, record.emitted_at, detection.previous, record.meta);
    return this.changed(row, detection.followUp);
  }

  /** A row the detector found removed from `stream`, which ended complete. */
  removed(stream: ConfiguredStream, row: RemovedRow): RowOutcome {
    return this.changed(rowInput(stream, row.data, "removed", Date.now(), row.data, undefined), row.followUp);
  }

  private changed(row: RowInput, followUp: ChangeFollowUp | undefined): RowOutcome {
    const { change } = row;
    if (!this.events.has(change)) {
      followUp?.skip();
      return { kind: "skipped", change, reason: "event_filter" };
    }
    const message = this.composer.compose(row);
    if (isRejection(message)) {
      const code = rejectedReasonOfSetting(message.setting);
      return { kind: "rejected", change, messageId: message.messageId, reason: message.reason, code, hooks: NO_HOOKS };
    }
    return { kind: "message", change, message, hooks: followUp?.publish() ?? NO_HOOKS };
  }
}

function rowInput(
  stream: ConfiguredStream,
  data: Record<string, unknown>,
  change: ChangeType,
  emittedAt: number,
  previous: Record<string, unknown> | undefined,
  /** The record's `meta`, which templates can read. */
  meta: unknown,
): RowInput {
  return {
    data,
    change,
    previous,
    stream: stream.stream.name,
    namespace: stream.stream.namespace,
    emittedAt,
    primaryKey: stream.primary_key,
    syncId: stream.sync_id,
    generationId: stream.generation_id,
    meta,
    destinationObject: stream.destination_object_name,
  };
}
