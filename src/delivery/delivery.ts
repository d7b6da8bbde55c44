import { type Deferred, deferred } from "../deferred.js";
import { UserFacingError, errorMessage } from "../errors.js";
import { MAX_BATCH_ENTRIES } from "../sqs-limits.js";
import { backoffDelayMs } from "../aws/backoff.js";
import { maxBufferedBytes } from "./buffer-limit.js";
import { Cancellation, requestCancelled } from "./cancellation.js";
import { ConcurrencyLimit, type RequestOutcome } from "./concurrency-limit.js";
import { sortOutcome } from "./batch-outcome.js";
import { type Batch, retryBatchOf } from "./batch.js";
import { fatalSendError, missingQueueReason, retriesExhaustedError } from "./errors.js";
import { FifoList } from "./fifo-list.js";
import { Lane } from "./lane.js";
import {
  type ClassifiedError,
  classifySendError,
  isThrottlingCode,
  isThrottlingError,
  type SendFailure,
  sendFailureOf,
} from "../aws/send-failure.js";
import type { BatchResult, BatchSender, DeliveryCallbacks, DeliveryOptions, DeliveryStats, OutgoingMessage } from "./types.js";

const RESOLVED: Promise<void> = Promise.resolve();
/** What may be in flight now and as much again waiting: enough to fill each slot as it frees, however high the limit. */
const BUFFERED_BATCHES_PER_REQUEST_SLOT = 2;
/**
 * The buffer holds at least 2,560 messages (four batches for each of 64 slots), so that a low limit,
 * and a CPU-bound sync whose requests come back at once, still has batches to choose from and the
 * reader is not paused every few batches.
 */
const MIN_BUFFERED_MESSAGES = 64 * MAX_BATCH_ENTRIES * 4;

function ignore(): void {}

interface Request {
  batch: Batch<ScheduledLane>;
  cancellation: Cancellation;
  /** Its one timer: first for when it is overdue (adaptive limit), then for its timeout. */
  timer: NodeJS.Timeout | undefined;
  timedOut: boolean;
  /** Overdue: no longer counted against the concurrency limit (still against max_in_flight). */
  lapsed: boolean;
  /** When the concurrency limit saw it start. */
  startedAt: number;
}

/** A lane with the state Delivery schedules it by. */
class ScheduledLane extends Lane {
  /** In the list of lanes to cut a batch from. */
  scheduled = false;
  /** Since when readyCount has been above 0 (performance.now()). */
  readySince = 0;
  /** Its ready messages have waited the linger time. */
  lingerExpired = false;
}

/** A lane's ready messages started waiting at `since`; stale once the lane's readySince moved on. */
interface LingerMark {
  lane: ScheduledLane;
  since: number;
}

/**
 * Delivers messages to SQS with SendMessageBatch: batches per queue URL (10 entries, maxBatchBytes),
 * at most the concurrency limit's requests in flight, FIFO groups kept in order with one batch in
 * flight per group, failed entries retried with backoff.
 *
 * Usage: `offer(message)` for each message; when it answers "full", `await whenRoom()` before the
 * next (that wait is how the reader is paused; `submit(message)` does both). Then `await flush()`.
 * Each message ends in exactly one callback, `acknowledged` or `rejected`, unless delivery stops first.
 *
 * Fatal failure: `failed` rejects with a UserFacingError (request refused for good, or a message
 * failing longer than retryMaxMs); from then on every pending or later `whenRoom()`/`submit()`/`flush()`
 * rejects with the same error and no callback fires. Leaving `failed` unobserved is safe.
 *
 * `abort()` stops at once: in-flight requests are abandoned, nothing is retried, no callback fires,
 * and pending or later `whenRoom()`/`submit()`/`flush()` reject with "delivery was aborted".
 */
export class Delivery<M extends OutgoingMessage = OutgoingMessage> {
  readonly failed: Promise<never>;
  private readonly rejectFailed: (error: UserFacingError) => void;
  /** Set when delivery stops: what submit() and flush() return from then on. */
  private closed: Promise<never> | undefined;
  private flushing = false;

  private readonly lanes = new Map<string, ScheduledLane>();
  private readonly dueLanes = new FifoList<ScheduledLane>();
  private readonly dueRetries = new FifoList<Batch<ScheduledLane>>();
  private readonly lingerMarks = new FifoList<LingerMark>();
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly requests = new Set<Request>();

  private unsettled = 0;
  private unsettledBytes = 0;
  private readonly maxBufferedMessages: number | undefined;
  private readonly maxBufferedBytes: number;
  private readonly limit: ConcurrencyLimit;
  private roomWaiter: Deferred<void> | undefined;
  private flushWaiter: Deferred<void> | undefined;

  /** What requests carried is counted once, by the ObservedSender; these are outcomes. */
  private readonly counts: Omit<DeliveryStats, "inFlight" | "unsettled"> = { acknowledged: 0, rejected: 0 };

  constructor(
    private readonly sender: BatchSender,
    private readonly options: DeliveryOptions,
    private readonly callbacks: DeliveryCallbacks<M>,
  ) {
    const failed = deferred<never>();
    this.failed = failed.promise;
    this.rejectFailed = failed.reject;
    this.limit = options.concurrency ?? new ConcurrencyLimit({ mode: "fixed", ceiling: options.maxInFlight });
    this.maxBufferedMessages = options.maxBufferedMessages;
    this.maxBufferedBytes = options.maxBufferedBytes ?? maxBufferedBytes();
  }

  /**
   * Queues a message. "queued": there is room for more; "full": the caller must await whenRoom()
   * before offering the next one (that is how the reader is paused). Once delivery has stopped,
   * nothing is queued and the answer is "full", so whenRoom() reports why.
   */
  offer(message: M): "queued" | "full" {
    if (this.closed !== undefined) return "full";
    this.unsettled++;
    this.unsettledBytes += message.bytes;
    const lane = this.laneOf(message.queueUrl);
    const wasReady = lane.readyCount > 0;
    lane.add(message);
    if (this.review(lane, wasReady)) this.pump();
    return this.hasRoom() ? "queued" : "full";
  }

  /** Resolves once there is room for another message (at once if there is); rejects once delivery has stopped. */
  whenRoom(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    if (this.hasRoom()) return RESOLVED;
    this.roomWaiter ??= deferred();
    return this.roomWaiter.promise;
  }

  /** offer(), then whenRoom() when the answer was "full". */
  submit(message: M): Promise<void> {
    return this.offer(message) === "queued" ? RESOLVED : this.whenRoom();
  }

  /** Sends partly filled batches now; resolves once every message submitted so far is settled. */
  flush(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    if (this.unsettled === 0) return RESOLVED;
    this.flushing = true;
    for (const lane of this.lanes.values()) {
      if (!lane.scheduled && this.isDue(lane)) this.schedule(lane);
    }
    this.pump();
    this.flushWaiter ??= deferred();
    return this.flushWaiter.promise;
  }

  abort(): void {
    if (this.closed !== undefined) return;
    const aborted = new Error("delivery was aborted");
    this.closed = Promise.reject(aborted);
    this.closed.catch(ignore);
    this.stop(aborted);
  }

  get stats(): DeliveryStats {
    return { ...this.counts, inFlight: this.requests.size, unsettled: this.unsettled };
  }

  private laneOf(queueUrl: string): ScheduledLane {
    let lane = this.lanes.get(queueUrl);
    if (lane === undefined) {
      lane = new ScheduledLane(queueUrl, this.options.fifo, this.options.maxBatchBytes);
      this.lanes.set(queueUrl, lane);
    }
    return lane;
  }

  /** What may wait unsettled follows the requests that may be in flight now, not the ceiling. */
  private hasRoom(): boolean {
    const maxMessages =
      this.maxBufferedMessages ??
      Math.max(MIN_BUFFERED_MESSAGES, this.limit.current * MAX_BATCH_ENTRIES * BUFFERED_BATCHES_PER_REQUEST_SLOT);
    return this.unsettled < maxMessages && this.unsettledBytes < this.maxBufferedBytes;
  }

  private isDue(lane: ScheduledLane): boolean {
    return lane.readyCount > 0 && (this.flushing || lane.lingerExpired || lane.isFull());
  }

  private schedule(lane: ScheduledLane): void {
    lane.scheduled = true;
    this.dueLanes.push(lane);
  }

  /** After a lane gained ready messages: starts their linger wait; schedules the lane if due, and says so. */
  private review(lane: ScheduledLane, wasReady: boolean): boolean {
    if (lane.readyCount === 0) return false;
    if (!wasReady) this.startLinger(lane);
    if (lane.scheduled || !this.isDue(lane)) return false;
    this.schedule(lane);
    return true;
  }

  private startLinger(lane: ScheduledLane): void {
    const now = performance.now();
    lane.readySince = now;
    lane.lingerExpired = this.options.lingerMs <= 0;
    if (lane.lingerExpired) return;
    this.lingerMarks.push({ lane, since: now });
    this.armLingerTimer();
  }

  private armLingerTimer(): void {
    const mark = this.lingerMarks.peek();
    if (this.lingerTimer !== undefined || mark === undefined) return;
    const delay = Math.max(0, mark.since + this.options.lingerMs - performance.now());
    // flush() sends lingering batches without it, so this timer alone must not keep the process alive.
    this.lingerTimer = setTimeout(this.onLingerTimer, delay).unref();
  }

  private readonly onLingerTimer = (): void => {
    this.lingerTimer = undefined;
    const now = performance.now();
    for (let mark = this.lingerMarks.peek(); mark !== undefined; mark = this.lingerMarks.peek()) {
      if (mark.since + this.options.lingerMs > now) break;
      this.lingerMarks.shift();
      const { lane } = mark;
      if (lane.readyCount === 0 || lane.readySince !== mark.since) continue;
      lane.lingerExpired = true;
      if (!lane.scheduled) this.schedule(lane);
    }
    this.pump();
    this.armLingerTimer();
  };

  /** Sends while request slots are free: due retries first, then a batch from each due lane in turn. */
  private pump(): void {
    while (this.closed === undefined && this.limit.allowsAnother(this.requests.size)) {
      const retry = this.dueRetries.shift();
      if (retry !== undefined) {
        this.send(retry);
        continue;
      }
      const lane = this.dueLanes.shift();
      if (lane === undefined) return;
      lane.scheduled = false;
      if (!this.isDue(lane)) continue;
      const { entries, groups } = lane.cut();
      if (lane.readyCount > 0) this.review(lane, false);
      this.send({ lane, entries, groups, failures: 0, firstFailureAt: -1 });
    }
  }

  private send(batch: Batch<ScheduledLane>): void {
    const request: Request = {
      batch,
      cancellation: new Cancellation(),
      timer: undefined,
      timedOut: false,
      lapsed: false,
      startedAt: this.limit.started(),
    };
    this.requests.add(request);
    this.armTimer(request, 0);
    let answer: Promise<BatchResult>;
    try {
      answer = this.sender.sendBatch(batch.lane.queueUrl, batch.entries, request.cancellation);
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer
      .then(
        (result) => this.onAnswer(request, result),
        (error: unknown) =>
          // A sender that knows the failure is the configuration's (a large-message bucket refusing the connector) says so itself.
          error instanceof UserFacingError && !request.timedOut
            ? this.onSenderStop(request, error)
            : this.onRequestError(request, sendFailureOf(error)),
      )
      .catch((error: unknown) => this.fail(unexpectedError(error)));
  }

  /**
   * Arms the request's timer, `elapsedMs` after it was sent: for when it is overdue if that comes
   * before its timeout, else for its timeout.
   */
  private armTimer(request: Request, elapsedMs: number): void {
    const timeoutMs = this.options.requestTimeoutMs;
    const remainingMs = (timeoutMs ?? Number.POSITIVE_INFINITY) - elapsedMs;
    const overdueMs = request.lapsed ? Number.POSITIVE_INFINITY : this.limit.overdueAfterMs;
    if (overdueMs < remainingMs) {
      request.timer = setTimeout(() => {
        request.lapsed = true;
        this.limit.lapsed();
        this.armTimer(request, overdueMs);
        this.pump();
      }, overdueMs);
    } else if (Number.isFinite(remainingMs)) {
      request.timer = setTimeout(() => {
        request.timedOut = true;
        request.cancellation.cancel(requestCancelled(`no answer within ${timeoutMs} ms`));
      }, remainingMs);
    }
  }

  /** Forgets a finished request; false when delivery has stopped and the outcome no longer matters. */
  private finish(request: Request, outcome: RequestOutcome): boolean {
    clearTimeout(request.timer);
    if (!this.requests.delete(request)) return false;
    this.limit.finished(request.startedAt, outcome, request.lapsed);
    return this.closed === undefined;
  }

  private onAnswer(request: Request, result: BatchResult): void {
    const throttled = result.failed.some((failure) => !failure.senderFault && isThrottlingCode(failure.code));
    if (!this.finish(request, throttled ? "throttled" : "answered")) return;
    const { batch } = request;
    const outcome = sortOutcome(batch.entries, result);
    for (let index = 0; index < outcome.acknowledged.length; index++) {
      if (this.closed !== undefined) return;
      const message = this.settle(batch, outcome.acknowledged[index]!);
      this.counts.acknowledged++;
      this.callbacks.acknowledged(message, outcome.receipts[index]!);
    }
    for (const { position, reason, code } of outcome.rejected) {
      if (this.closed !== undefined) return;
      this.reject(batch, position, reason, code);
    }
    if (this.closed !== undefined) return;
    if (outcome.retry.length > 0) {
      this.retryLater(retryBatchOf(batch, outcome.retry), { code: outcome.retryCode, message: outcome.retryMessage });
    }
    this.afterSettling();
  }

  private onSenderStop(request: Request, error: UserFacingError): void {
    if (this.finish(request, "failed")) this.fail(error);
  }

  private onRequestError(request: Request, failure: SendFailure): void {
    const outcome = request.timedOut ? "timed out" : isThrottlingError(failure) ? "throttled" : "failed";
    if (!this.finish(request, outcome)) return;
    const { batch } = request;
    const classified: ClassifiedError = request.timedOut
      ? { kind: "retry", code: "RequestTimeout", message: `no answer within ${this.options.requestTimeoutMs} ms` }
      : classifySendError(failure);
    if (classified.kind === "fatal") {
      this.fail(fatalSendError(classified, batch.lane.queueUrl));
      return;
    }
    if (classified.kind === "retry") {
      this.retryLater(batch, classified);
    } else {
      const reason = missingQueueReason(classified, batch.lane.queueUrl);
      for (let position = 0; position < batch.entries.length && this.closed === undefined; position++) {
        this.reject(batch, position, reason, classified.code);
      }
    }
    this.afterSettling();
  }

  /** The entry at `position` is done: releases its group lock and its room in the buffer. */
  private settle(batch: Batch<ScheduledLane>, position: number): M {
    const { lane } = batch;
    // Lanes and batches hold only what submit() took, so every entry's message is an M.
    const message = batch.entries[position]!.message as M;
    const wasReady = lane.readyCount > 0;
    lane.settle(batch.groups[position]!);
    this.unsettled--;
    this.unsettledBytes -= message.bytes;
    this.review(lane, wasReady);
    return message;
  }

  private reject(batch: Batch<ScheduledLane>, position: number, reason: string, code: string): void {
    const message = this.settle(batch, position);
    this.counts.rejected++;
    this.callbacks.rejected(message, reason, code);
  }

  private retryLater(batch: Batch<ScheduledLane>, last: { code: string; message: string }): void {
    const now = performance.now();
    if (batch.firstFailureAt < 0) batch.firstFailureAt = now;
    batch.failures++;
    const failingMs = now - batch.firstFailureAt;
    if (failingMs >= this.options.retryMaxMs) {
      this.fail(retriesExhaustedError(batch.lane.queueUrl, last, failingMs, this.options.retryMaxMs));
      return;
    }
    // The last attempt happens at the deadline, so a message that never succeeds fails on time.
    const delay = Math.min(backoffDelayMs(batch.failures), this.options.retryMaxMs - failingMs);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.dueRetries.push(batch);
      this.pump();
    }, delay);
    this.retryTimers.add(timer);
  }

  private afterSettling(): void {
    if (this.closed !== undefined) return;
    this.pump();
    if (this.roomWaiter !== undefined && this.hasRoom()) {
      this.roomWaiter.resolve();
      this.roomWaiter = undefined;
    }
    if (this.flushing && this.unsettled === 0) {
      this.flushing = false;
      this.flushWaiter?.resolve();
      this.flushWaiter = undefined;
    }
  }

  private fail(error: UserFacingError): void {
    if (this.closed !== undefined) return;
    this.closed = this.failed;
    this.rejectFailed(error);
    this.stop(error);
  }

  /** Abandons in-flight requests, cancels timers, and rejects whoever waits on submit() or flush(). */
  private stop(reason: Error): void {
    this.limit.abandon();
    for (const request of this.requests) {
      clearTimeout(request.timer);
      request.cancellation.cancel(requestCancelled("delivery stopped"));
    }
    this.requests.clear();
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.roomWaiter?.reject(reason);
    this.flushWaiter?.reject(reason);
    this.roomWaiter = undefined;
    this.flushWaiter = undefined;
  }
}

/** A callback's own UserFacingError stops delivery as it is; anything else thrown is a bug. */
function unexpectedError(error: unknown): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const message = errorMessage(error);
  const detail = error instanceof Error ? (error.stack ?? message) : message;
  return new UserFacingError(`Delivery to SQS failed unexpectedly: ${message}. Please report this.`, "system_error", detail);
}
