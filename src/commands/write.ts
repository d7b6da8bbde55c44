import type { Readable } from "node:stream";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { QueueUrlCheck } from "../aws/queue-hosts.js";
import { isQueueUrl, QueueNotFoundError } from "../aws/queues.js";
import { ClearJobDetection } from "../write/clear-job.js";
import type { ChangeDetector, PublishHooks } from "../changes/types.js";
import { CheckpointTracker, type Checkpoint } from "../write/checkpoint.js";
import type { ComposedMessage } from "../compose/composer.js";
import type { ChangeType, Config } from "../config/types.js";
import { type ConcurrencyLimit, concurrencyLimitFor } from "../delivery/concurrency-limit.js";
import { Delivery } from "../delivery/delivery.js";
import type { BatchSender, OutgoingMessage, Receipt } from "../delivery/types.js";
import { deferred } from "../deferred.js";
import { UserFacingError } from "../errors.js";
import { isUploadFailureCode } from "../delivery/upload-failure.js";
import { LargeMessagePolicy } from "../large-messages/policy.js";
import { lineHandlingError, parseMessage, readLineBatches } from "../protocol/input.js";
import {
  streamKey,
  streamLabel,
  type ConfiguredStream,
  type RecordMessage,
  type StateMessage,
  type TraceMessage,
} from "../protocol/messages.js";
import type { MessageWriter } from "../protocol/output.js";
import { echoedStateLine } from "../protocol/state-echo.js";
import type { Rejection, ResultRow } from "../results/lines.js";
import type { SyncResults } from "../results/recorder.js";
import { RejectionPolicy } from "../write/rejections.js";
import { RowPipeline, type RowOutcome } from "../write/row-pipeline.js";
import { SendGate } from "../write/send-gate.js";
import type { WriteObserver } from "../write/types.js";
import { MAX_BATCH_REQUEST_BYTES } from "../sqs-limits.js";

interface WriteOptions {
  config: Config;
  catalog: Map<string, ConfiguredStream>;
  input: Readable;
  writer: MessageWriter;
  sender: BatchSender;
  /** Refuses queue URLs naming a host other than this connector's SQS; see queueUrlCheck. */
  checkQueueUrl: QueueUrlCheck;
  /** Turns a bare queue name into its URL; throws QueueNotFoundError when there is none. */
  resolveQueue(name: string): Promise<string>;
  /**
   * Aborted on SIGTERM/SIGINT: stop reading, abandon what is in flight and whatever is awaited
   * (a queue lookup, room in delivery), echo no further STATE. Its reason, when a
   * UserFacingError, is the error the write fails with.
   */
  signal?: AbortSignal;
  observer?: WriteObserver;
  detector: ChangeDetector;
  /** The limit on requests in flight; default one made from `concurrency` and `max_in_flight`. */
  concurrency?: ConcurrencyLimit;
  /** Where rows' outcomes are recorded (object_storage_config); none with storage "None". */
  results?: SyncResults | undefined;
}

/** How long a partly filled batch waits for more rows before it goes out. */
const LINGER_MS = 20;

/**
 * Records handled between two turns of the event loop. Delivery may have room for thousands of
 * rows; filling it in one go would leave SQS's answers unread for tens of ms, and each slot would
 * sit idle that long before its next request went out.
 */
const RECORDS_PER_TURN = 64;

/** Where a row came from: the record's fields its result keeps (none for rows the connector makes). */
interface RowOrigin {
  data: Record<string, unknown>;
  emittedAt: number | undefined;
  meta: unknown;
}

/** The row a message was made from, carried along so its outcome can be reported and recorded. */
interface RowRef extends PublishHooks, RowOrigin {
  stream: ConfiguredStream;
  change: ChangeType;
  /** Set on rows the connector makes itself (found removed), which STATE counts leave out. */
  generated?: true;
  /** Set on the dead-letter envelope of a rejected row: settles that row once the envelope is stored. */
  deadLetter?: () => void;
}

interface RowMessage extends OutgoingMessage {
  row: RowRef;
}

/** The stream a STATE covers: one stream for a STREAM state, all of them (undefined) for GLOBAL and LEGACY. */
function coveredStream(state: StateMessage): string | undefined {
  const descriptor = state.type === "STREAM" ? state.stream?.stream_descriptor : undefined;
  return typeof descriptor?.name === "string" ? streamKey(descriptor.name, descriptor.namespace) : undefined;
}

/** The stream whose STATE counts a row, if it is counted at all. */
function countedStream(row: RowRef): string | undefined {
  return row.generated ? undefined : streamKey(row.stream.stream.name, row.stream.stream.namespace);
}

/** A row as its result names it. */
function resultRow(row: RowRef, change: ChangeType | undefined, messageId: string): ResultRow {
  return { stream: row.stream, data: row.data, change, messageId, emittedAt: row.emittedAt, meta: row.meta };
}

/** SQS's own messages often end in a period; the sentence around them adds one. */
function withoutFinalPeriod(text: string): string {
  return text.replace(/\.+$/, "");
}

/** Why a write stopped by SIGTERM or SIGINT failed. */
export function stoppedBySignal(): UserFacingError {
  return new UserFacingError(
    "The sync was stopped by a signal before it finished; rows after the last echoed STATE will be sent again by the next sync.",
    "transient_error",
  );
}

const NO_OBSERVER: WriteObserver = {
  recordRead: () => undefined,
  skipped: () => undefined,
  published: () => undefined,
  rejected: () => undefined,
};

/**
 * The write command: reads Airbyte messages, turns each record into an SQS message and echoes
 * each STATE once every record before it has been acknowledged, rejected or skipped.
 */
export async function runWrite(options: WriteOptions): Promise<void> {
  return new WriteRun(options).run();
}

class WriteRun {
  private readonly config: Config;
  private readonly detector: ChangeDetector;
  private readonly pipeline: RowPipeline;
  private readonly observer: WriteObserver;
  /** Tracks STATE input lines, echoed as they came in. */
  private readonly tracker: CheckpointTracker<string>;
  private readonly rejections: RejectionPolicy;
  private readonly largeMessages: LargeMessagePolicy;
  private readonly delivery: Delivery<RowMessage>;
  /** Messages waiting for their rows to be journaled. */
  private readonly gate = new SendGate();
  private readonly queueUrls = new Map<string, string>();
  /** Streams whose end the source announced, complete or not. */
  private readonly endedStreams = new Set<ConfiguredStream>();
  /** Whether the source reports stream statuses; if it does, only a COMPLETE status ends a stream complete. */
  private sawStreamStatus = false;
  private readonly clearJob = new ClearJobDetection();
  /** The last record's stream and its key: records come in runs of one stream, and the key is a JSON string. */
  private lastStream: { name: string; namespace: string | null | undefined; key: string } | undefined;
  private failure: Error | undefined;
  /** Rejects with the first failure: whatever the run awaits is raced against it. */
  private readonly failed = deferred<never>();

  constructor(private readonly options: WriteOptions) {
    this.config = options.config;
    this.detector = options.detector;
    this.pipeline = new RowPipeline(this.config, {
      detector: options.detector,
      checkQueueUrl: options.checkQueueUrl,
      streams: options.catalog.values(),
    });
    this.observer = options.observer ?? NO_OBSERVER;
    this.tracker = new CheckpointTracker((checkpoint) => this.emitCheckpoint(checkpoint));
    this.rejections = new RejectionPolicy(this.config.rejected_rows, this.config.max_message_bytes);
    this.largeMessages = LargeMessagePolicy.of(this.config);
    this.delivery = new Delivery(
      options.sender,
      {
        fifo: this.config.queue_type === "fifo",
        maxInFlight: this.config.max_in_flight,
        concurrency: options.concurrency ?? concurrencyLimitFor(this.config),
        maxBatchBytes: MAX_BATCH_REQUEST_BYTES,
        retryMaxMs: this.config.retry_max_seconds * 1000,
        lingerMs: LINGER_MS,
        requestTimeoutMs: this.config.request_timeout_seconds * 1000,
      },
      {
        acknowledged: (message, receipt) => this.acknowledged(message, receipt),
        rejected: (message, reason, code) => this.deliveryRejected(message, reason, code),
      },
    );
    this.delivery.failed.catch((error: Error) => this.fail(error));
    options.results?.failed.catch((error: Error) => this.fail(error));
  }

  async run(): Promise<void> {
    const { signal } = this.options;
    const onAbort = (): void => {
      this.fail(signal?.reason instanceof UserFacingError ? signal.reason : stoppedBySignal());
      this.options.input.destroy();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let recordsThisTurn = 0;
      for await (const lines of readLineBatches(this.options.input)) {
        for (const line of lines) {
          this.throwIfFailed();
          const message = parseMessage(line);
          if (message.type === "RECORD") {
            if (++recordsThisTurn === RECORDS_PER_TURN) {
              recordsThisTurn = 0;
              await yieldToEventLoop();
              // STATE and WARN lines are written as records settle: a slow stdout pauses the reader.
              await this.unlessFailed(this.options.writer.whenDrained());
              // Results not yet stored pause it too: their parts hold memory until S3 takes them.
              const room = this.options.results?.whenRoom();
              if (room !== undefined) await this.unlessFailed(room);
            }
            // Awaited only when delivery asks the reader to wait (or a queue name is being looked up).
            try {
              const waiting = this.handleRecord(message.record, line.lineNumber);
              if (waiting !== undefined) await this.unlessFailed(waiting);
            } catch (error) {
              throw lineHandlingError(error, line.lineNumber);
            }
          } else if (message.type === "STATE") {
            this.clearJob.stateReceived(message.state);
            this.tracker.stateReceived(line.text, coveredStream(message.state));
          } else if (message.type === "TRACE") await this.unlessFailed(this.handleTrace(message.trace));
        }
      }
      this.throwIfFailed();
      // A source that reports statuses and sent no COMPLETE for a stream may have failed part-way:
      // finding its unseen rows removed would publish false removals.
      if (!this.sawStreamStatus) {
        for (const stream of this.options.catalog.values()) await this.unlessFailed(this.streamCompleted(stream));
      }
      await this.unlessFailed(this.gate.drained());
      await this.delivery.flush();
      this.throwIfFailed();
      await this.unlessFailed(this.closeResults());
      this.throwIfFailed();
      await this.detector.close(true);
    } catch (error) {
      // Bad input stops reading, but what was accepted before it is still delivered and checkpointed.
      if (this.failure === undefined) {
        await this.unlessFailed(
          this.gate
            .drained()
            .then(() => this.delivery.flush())
            .then(() => this.closeResults()),
        ).catch(() => undefined);
      }
      this.delivery.abort();
      // The sync's own failure is the one to report; a snapshot that could not be committed only means more is republished.
      await Promise.resolve()
        .then(() => this.detector.close(false))
        .catch((closeError: unknown) =>
          this.options.writer.log("WARN", `The snapshot could not be saved after the failure: ${(closeError as Error).message}`),
        );
      throw this.failure ?? error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private handleRecord(record: RecordMessage, lineNumber: number): Promise<void> | undefined {
    const key = this.streamKeyOf(record);
    const stream = this.options.catalog.get(key);
    if (!stream) {
      throw new UserFacingError(
        `Input line ${lineNumber} is a record for stream "${streamLabel(record.stream, record.namespace)}", which is not in the configured catalog. Add the stream to the catalog or stop the source from sending it.`,
      );
    }
    this.observer.recordRead(record.stream);
    this.clearJob.recordReceived(stream);
    const ticket = this.tracker.recordReceived(key);
    const origin: RowOrigin = { data: record.data, emittedAt: record.emitted_at, meta: record.meta };
    return this.handleOutcome(this.pipeline.record(record, stream, lineNumber), stream, origin, ticket, undefined);
  }

  private streamKeyOf({ stream: name, namespace }: RecordMessage): string {
    const last = this.lastStream;
    if (last !== undefined && last.name === name && last.namespace === namespace) return last.key;
    const key = streamKey(name, namespace);
    this.lastStream = { name, namespace, key };
    return key;
  }

  private async handleTrace(trace: TraceMessage): Promise<void> {
    const status = trace.stream_status;
    if (trace.type !== "STREAM_STATUS" || !status) return;
    this.sawStreamStatus = true;
    if (status.status !== "COMPLETE" && status.status !== "INCOMPLETE") return;
    const stream = this.options.catalog.get(streamKey(status.stream_descriptor.name, status.stream_descriptor.namespace));
    if (!stream || this.endedStreams.has(stream)) return;
    if (status.status === "COMPLETE") await this.streamCompleted(stream);
    else this.endedStreams.add(stream);
  }

  /** Publishes the rows the detector finds removed from a stream that ended complete. */
  private async streamCompleted(stream: ConfiguredStream): Promise<void> {
    this.endedStreams.add(stream);
    const removedRows = this.clearJob.isCleared(stream) ? this.detector.cleared(stream) : this.detector.completed(stream);
    for (const removed of removedRows) {
      this.throwIfFailed();
      const outcome = this.pipeline.removed(stream, removed);
      // A row the connector makes itself holds no STATE back: it gets a ticket only when it is sent.
      if (outcome.kind === "skipped") {
        this.observer.skipped(stream.stream.name, outcome.change, outcome.reason);
        if (this.options.results?.all) this.options.results.skipped({ stream, data: removed.data, change: outcome.change }, outcome.reason);
      } else
        await this.handleOutcome(
          outcome,
          stream,
          { data: removed.data, emittedAt: undefined, meta: undefined },
          this.tracker.recordReceived(),
          true,
        );
    }
  }

  /** Acts on what the row pipeline made of a row; a promise only when the caller has to wait (room in delivery, a queue lookup). */
  private handleOutcome(
    outcome: RowOutcome,
    stream: ConfiguredStream,
    origin: RowOrigin,
    ticket: number,
    generated: true | undefined,
  ): Promise<void> | undefined {
    if (outcome.kind === "skipped") {
      this.observer.skipped(stream.stream.name, outcome.change, outcome.reason);
      const { results } = this.options;
      if (results?.all) results.skipped({ ...origin, stream, change: outcome.change }, outcome.reason, this.settleStored, ticket);
      else this.tracker.settle(ticket);
      return undefined;
    }
    const { journaled, onPublished, onRejected } = outcome.hooks;
    // One literal of one shape (no spread): a RowRef is made for every row, on the hot path.
    const row: RowRef = {
      stream,
      change: outcome.change ?? "added",
      data: origin.data,
      emittedAt: origin.emittedAt,
      meta: origin.meta,
      journaled,
      onPublished,
      onRejected,
    };
    if (generated) row.generated = true;
    if (outcome.kind === "rejected") {
      return this.reject(
        outcome.messageId,
        row,
        { reason: outcome.code, message: outcome.reason, queue: undefined },
        ticket,
        outcome.change,
      );
    }
    return this.publish(outcome.message, row, ticket);
  }

  /** Resolves the message's queue and hands it on; a promise only when the caller has to wait. */
  private publish(message: ComposedMessage, row: RowRef, ticket: number): Promise<void> | undefined {
    const queueUrl = this.queueUrl(message.queue);
    if (typeof queueUrl === "string") return this.submit(message, queueUrl, ticket, row);
    return queueUrl.then(
      (url) => this.submit(message, url, ticket, row),
      (error: unknown) => {
        if (!(error instanceof QueueNotFoundError)) throw error;
        const rejection = { reason: "queue_not_found", message: error.message, queue: message.queue } as const;
        return this.reject(message.messageId, row, rejection, ticket, row.change);
      },
    );
  }

  /**
   * Hands the message to delivery, once its row is journaled if it must be; a promise only when
   * delivery (or the gate) is full and the reader must wait.
   */
  private submit(composed: ComposedMessage, queueUrl: string, ticket: number, row: RowRef): Promise<void> | undefined {
    const { messageId, body, bytes, groupId, dedupId, delaySeconds, attributes } = composed;
    const message: RowMessage = { queueUrl, messageId, body, bytes, groupId, dedupId, delaySeconds, attributes, ticket, row };
    if (row.journaled === undefined) return this.offer(message);
    return this.gate.hold(
      row.journaled,
      bytes,
      () => this.offer(message),
      (error) => this.fail(error),
    );
  }

  /** A promise only when delivery is full and the reader must wait. */
  private offer(message: RowMessage): Promise<void> | undefined {
    return this.delivery.offer(message) === "queued" ? undefined : this.delivery.whenRoom();
  }

  private queueUrl(queue: string): string | Promise<string> {
    if (isQueueUrl(queue)) return queue;
    const known = this.queueUrls.get(queue);
    if (known !== undefined) return known;
    return this.options.resolveQueue(queue).then((url) => {
      this.queueUrls.set(queue, url);
      return url;
    });
  }

  private acknowledged(message: RowMessage, receipt: Receipt): void {
    const { row } = message;
    if (row.deadLetter) {
      row.deadLetter();
      return;
    }
    row.onPublished?.();
    this.observer.published(row.stream.stream.name, row.change, message.bytes, this.largeMessages.offloads(message.bytes));
    const { results } = this.options;
    if (!results?.all) {
      this.tracker.settle(message.ticket);
      return;
    }
    const publication = { queue: message.queueUrl, bytes: message.bytes, receipt };
    results.published(resultRow(row, row.change, message.messageId), publication, this.settleStored, message.ticket);
  }

  /**
   * Settles a row once its result is stored: one function for every row, called with the row's
   * ticket, so that a row waiting for its result's part holds no closure (nor its row or message).
   */
  private readonly settleStored = (ticket: number): void => this.tracker.settle(ticket);

  private deliveryRejected(message: RowMessage, reason: string, code: string): void {
    const { row } = message;
    if (row.deadLetter) {
      this.fail(
        new UserFacingError(
          `The dead-letter queue ${message.queueUrl} refused rejected row ${message.messageId}: ${reason}. Check rejected_rows.queue_url and that the credentials may send to it.`,
        ),
      );
      return;
    }
    try {
      const upload = isUploadFailureCode(code);
      const rejection: Rejection = {
        reason: upload ? "upload_failed" : "sqs_refused",
        message: upload
          ? `The message body could not be stored in S3 (large_messages): ${withoutFinalPeriod(reason)}.`
          : `SQS refused the message for queue ${message.queueUrl}: ${withoutFinalPeriod(reason)}.`,
        queue: message.queueUrl,
      };
      const deadLetter = this.applyPolicy(message.messageId, row, rejection, message.ticket, row.change);
      // Queued without waiting: this runs in delivery's callback. The reader waits for room before
      // its next row, so a dead letter counts toward the same backpressure as every message.
      if (deadLetter !== undefined) this.delivery.offer(deadLetter);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  /**
   * Applies the rejected-rows policy and hands a dead letter to delivery like any message; a
   * promise only when delivery is full and the reader must wait. Throws when the sync must stop.
   */
  private reject(
    messageId: string,
    row: RowRef,
    rejection: Rejection,
    ticket: number,
    change: ChangeType | undefined,
  ): Promise<void> | undefined {
    const deadLetter = this.applyPolicy(messageId, row, rejection, ticket, change);
    return deadLetter === undefined ? undefined : this.offer(deadLetter);
  }

  /**
   * Applies the rejected-rows policy, and records the row's result: the dead letter to send, if
   * any. The row is settled once everything it needs is stored: its result, and its dead letter.
   * Throws when the sync must stop (its result is still written, if the run can write it).
   */
  private applyPolicy(
    messageId: string,
    row: RowRef,
    rejection: Rejection,
    ticket: number,
    change: ChangeType | undefined,
  ): RowMessage | undefined {
    const reason = rejection.message;
    row.onRejected?.();
    const streamName = row.stream.stream.name;
    this.observer.rejected(streamName, change, messageId, reason);
    const { results } = this.options;
    const record = (onStored?: () => void): void => results?.rejected(resultRow(row, change, messageId), rejection, onStored);
    let outcome: ReturnType<RejectionPolicy["handle"]>;
    try {
      outcome = this.rejections.handle({
        messageId,
        stream: streamName,
        namespace: row.stream.stream.namespace,
        data: row.data,
        reason,
        ticket,
      });
    } catch (error) {
      record();
      throw error;
    }
    const settle = (): void => this.tracker.settle(ticket, countedStream(row));
    if (outcome.kind === "skipped") {
      void this.options.writer.log("WARN", `Rejected row ${messageId} of stream "${streamName}": ${reason}`);
      if (results === undefined) settle();
      else record(settle);
      return undefined;
    }
    // Sent to the dead-letter queue: settled once both the envelope and the row's result are stored.
    let waiting = results === undefined ? 1 : 2;
    const settleWhenBothStored = (): void => {
      if (--waiting === 0) settle();
    };
    record(settleWhenBothStored);
    return { ...outcome.message, row: { ...row, deadLetter: settleWhenBothStored } };
  }

  /** Writes the results still held; a write that fails reaches `fail` through `results.failed`. */
  private closeResults(): Promise<void> {
    return this.options.results?.close() ?? Promise.resolve();
  }

  private emitCheckpoint({ state, recordCount, rejectedCount }: Checkpoint<string>): void {
    if (this.failure) return;
    const stats = { recordCount, ...(rejectedCount > 0 ? { rejectedRecordCount: rejectedCount } : {}) };
    void this.options.writer.emitEchoed(echoedStateLine(state, stats));
  }

  /** Records the first failure and stops delivery, so that nothing waits on it any longer. */
  private fail(error: Error): void {
    this.failure ??= error;
    this.failed.reject(this.failure);
    this.delivery.abort();
  }

  /** `promise`, or the run's failure if that comes first (a queue lookup may hang until its deadline). */
  private unlessFailed<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failed.promise]);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
