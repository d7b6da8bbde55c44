import type { Readable } from "node:stream";
import { createClassifier, type Classifier } from "./changes/classify.js";
import { CheckpointTracker, type Checkpoint } from "./checkpoint.js";
import { createComposer, type Composer } from "./compose/composer.js";
import type { ChangeType, Config } from "./config/types.js";
import { Delivery } from "./delivery/delivery.js";
import type { BatchSender, OutgoingMessage } from "./delivery/types.js";
import { UserFacingError } from "./errors.js";
import { parseMessage, readLines } from "./protocol/input.js";
import { streamKey, type ConfiguredStream, type RecordMessage } from "./protocol/messages.js";
import type { MessageWriter } from "./protocol/output.js";
import { RejectionPolicy, type RejectedRow } from "./rejections.js";
import { isQueueUrl, QueueNotFoundError } from "./aws/queues.js";

export interface WriteOptions {
  config: Config;
  catalog: Map<string, ConfiguredStream>;
  input: Readable;
  writer: MessageWriter;
  sender: BatchSender;
  /** Turns a bare queue name into its URL; throws QueueNotFoundError when there is none. */
  resolveQueue(name: string): Promise<string>;
  /** Aborted on SIGTERM/SIGINT: stop reading, abandon what is in flight, echo no further STATE. */
  signal?: AbortSignal;
}

export interface WriteSummary {
  recordsRead: number;
  published: number;
  rejected: number;
  skipped: number;
  statesEmitted: number;
}

/** How long a partly filled batch waits for more rows before it goes out. */
const LINGER_MS = 20;

/**
 * The write command: reads Airbyte messages, turns each record into an SQS message and echoes
 * each STATE once every record before it has been acknowledged, rejected or skipped.
 */
export async function runWrite(options: WriteOptions): Promise<WriteSummary> {
  return new WriteRun(options).run();
}

class WriteRun {
  private readonly config: Config;
  private readonly classify: Classifier;
  private readonly composer: Composer;
  private readonly tracker: CheckpointTracker;
  private readonly rejections: RejectionPolicy;
  private readonly delivery: Delivery;
  private readonly queueUrls = new Map<string, string>();
  private readonly events: ReadonlySet<ChangeType>;
  /** Rows whose dead-letter envelope is on its way; their message is not the row's own. */
  private readonly deadLetters = new WeakSet<OutgoingMessage>();
  /** Record data kept until its message settles, so a rejection can carry the row to the dead-letter queue. */
  private readonly pendingRows = new Map<OutgoingMessage, RecordMessage>();
  private failure: Error | undefined;
  private readonly summary: WriteSummary = { recordsRead: 0, published: 0, rejected: 0, skipped: 0, statesEmitted: 0 };

  constructor(private readonly options: WriteOptions) {
    this.config = options.config;
    this.classify = createClassifier(this.config.change_detection);
    this.composer = createComposer(this.config);
    this.events = new Set(this.config.events);
    this.tracker = new CheckpointTracker((checkpoint) => this.emitCheckpoint(checkpoint));
    this.rejections = new RejectionPolicy(this.config.rejected_rows, this.config.max_message_bytes);
    this.delivery = new Delivery(
      options.sender,
      {
        fifo: this.config.queue_type === "fifo",
        maxInFlight: this.config.max_in_flight,
        maxBatchBytes: this.config.max_message_bytes,
        retryMaxMs: this.config.retry_max_seconds * 1000,
        lingerMs: LINGER_MS,
        requestTimeoutMs: this.config.request_timeout_seconds * 1000,
      },
      {
        acknowledged: (message) => this.acknowledged(message),
        rejected: (message, reason) => this.deliveryRejected(message, reason),
      },
    );
    this.delivery.failed.catch((error: Error) => this.fail(error));
  }

  async run(): Promise<WriteSummary> {
    const { signal } = this.options;
    const onAbort = (): void => {
      this.fail(new UserFacingError("The sync was stopped by a signal before it finished; nothing after the last echoed STATE is checkpointed.", "transient_error"));
      this.options.input.destroy();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const line of readLines(this.options.input)) {
        this.throwIfFailed();
        const message = parseMessage(line);
        if (message.type === "RECORD") await this.handleRecord(message.record, line.lineNumber);
        else if (message.type === "STATE") this.tracker.stateReceived(message.state);
      }
      this.throwIfFailed();
      await this.delivery.flush();
      this.throwIfFailed();
      return this.summary;
    } catch (error) {
      // Bad input stops reading, but what was accepted before it is still delivered and checkpointed.
      if (this.failure === undefined) await this.delivery.flush().catch(() => undefined);
      this.delivery.abort();
      throw this.failure ?? error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private async handleRecord(record: RecordMessage, lineNumber: number): Promise<void> {
    const stream = this.options.catalog.get(streamKey(record.stream, record.namespace));
    if (!stream) {
      throw new UserFacingError(
        `Input line ${lineNumber} is a record for stream "${streamKey(record.stream, record.namespace)}", which is not in the configured catalog. Add the stream to the catalog or stop the source from sending it.`,
      );
    }
    this.summary.recordsRead++;
    const ticket = this.tracker.recordReceived();
    const classification = this.classify(record.data);
    if (classification.kind === "reject") {
      return this.reject({ messageId: `line ${lineNumber}`, stream: record.stream, namespace: record.namespace, data: record.data, reason: classification.reason, ticket });
    }
    if (!this.events.has(classification.change)) {
      this.summary.skipped++;
      this.tracker.settle(ticket);
      return;
    }
    const composed = this.composer.compose({
      data: record.data,
      change: classification.change,
      stream: record.stream,
      namespace: record.namespace,
      emittedAt: record.emitted_at,
      primaryKey: stream.primary_key,
    });
    if (!composed.ok) {
      return this.reject({ messageId: composed.messageId, stream: record.stream, namespace: record.namespace, data: record.data, reason: composed.reason, ticket });
    }
    const { queue, ...fields } = composed.message;
    let queueUrl: string;
    try {
      queueUrl = await this.queueUrl(queue);
    } catch (error) {
      if (!(error instanceof QueueNotFoundError)) throw error;
      return this.reject({ messageId: fields.messageId, stream: record.stream, namespace: record.namespace, data: record.data, reason: error.message, ticket });
    }
    const outgoing: OutgoingMessage = { ...fields, queueUrl, ticket };
    if (this.config.rejected_rows.policy === "dead_letter") this.pendingRows.set(outgoing, record);
    await this.delivery.submit(outgoing);
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

  private acknowledged(message: OutgoingMessage): void {
    const wasDeadLetter = this.deadLetters.has(message);
    this.pendingRows.delete(message);
    if (!wasDeadLetter) this.summary.published++;
    this.tracker.settle(message.ticket, wasDeadLetter);
  }

  private deliveryRejected(message: OutgoingMessage, reason: string): void {
    if (this.deadLetters.has(message)) {
      this.fail(new UserFacingError(`The dead-letter queue ${message.queueUrl} refused rejected row ${message.messageId}: ${reason}. Check rejected_rows.queue_url and its permissions.`));
      return;
    }
    const record = this.pendingRows.get(message);
    this.pendingRows.delete(message);
    try {
      this.reject({
        messageId: message.messageId,
        stream: record?.stream ?? "",
        namespace: record?.namespace,
        data: record?.data ?? {},
        reason: `SQS refused the message for queue ${message.queueUrl}: ${reason}.`,
        ticket: message.ticket,
      });
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private reject(row: RejectedRow): void {
    this.summary.rejected++;
    const outcome = this.rejections.handle(row);
    if (outcome.kind === "skipped") {
      void this.options.writer.log("WARN", `Rejected row ${row.messageId} of stream "${row.stream}": ${row.reason}`);
      this.tracker.settle(row.ticket, true);
      return;
    }
    this.deadLetters.add(outcome.message);
    void this.delivery.submit(outcome.message);
  }

  private emitCheckpoint({ state, recordCount, rejectedCount }: Checkpoint): void {
    if (this.failure) return;
    this.summary.statesEmitted++;
    void this.options.writer.emit({
      type: "STATE",
      state: { ...state, destinationStats: { recordCount, ...(rejectedCount > 0 ? { rejectedRecordCount: rejectedCount } : {}) } },
    });
  }

  /** Records the first failure and stops delivery, so that nothing waits on it any longer. */
  private fail(error: Error): void {
    this.failure ??= error;
    this.delivery.abort();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
