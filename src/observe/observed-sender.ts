import type { Cancellation } from "../delivery/cancellation.js";
import { type SendFailure, sendFailureOf } from "../aws/send-failure.js";
import type { BatchEntry, BatchResult, BatchSender, OutgoingMessage } from "../delivery/types.js";

/** One SendMessageBatch call as the delivery layer made it: which rows, which attempt, what came back. */
export type BatchCall = {
  queueUrl: string;
  entries: BatchEntry[];
  /** 1 for a first send; n when some entry of the batch is being sent for the n-th time. */
  attempt: number;
  /** Body plus attribute bytes of the entries. */
  bytes: number;
  latencyMs: number;
} & ({ result: BatchResult; error?: undefined } | { result?: undefined; error: SendFailure });

/** What has been sent so far, retries included. Counted here so a failed sync can report it too. */
export interface SendCounts {
  requestsSent: number;
  messagesSent: number;
  /** Entries sent again after a failed attempt. */
  entriesRetried: number;
  bytesSent: number;
  requestsInFlight: number;
  messagesInFlight: number;
}

export function noSends(): SendCounts {
  return { requestsSent: 0, messagesSent: 0, entriesRetried: 0, bytesSent: 0, requestsInFlight: 0, messagesInFlight: 0 };
}

/**
 * A BatchSender that counts what goes through it and reports each call to `onCall` (the API call
 * log). A message's attempt number is how many times its object has been handed to sendBatch:
 * delivery retries the same OutgoingMessage objects, and only ones SQS did not accept.
 */
export class ObservedSender implements BatchSender {
  private readonly counts = noSends();
  /** Sends so far of messages SQS has not accepted yet; accepted ones are never sent again, so they need no entry. */
  private readonly unacceptedSends = new WeakMap<OutgoingMessage, number>();

  constructor(
    private readonly inner: BatchSender,
    private readonly onCall?: (call: BatchCall) => void,
  ) {}

  get stats(): SendCounts {
    return { ...this.counts };
  }

  async sendBatch(queueUrl: string, entries: BatchEntry[], cancellation: Cancellation): Promise<BatchResult> {
    let attempt = 1;
    let bytes = 0;
    for (const { message } of entries) {
      const earlier = this.unacceptedSends.get(message);
      if (earlier !== undefined) {
        this.counts.entriesRetried++;
        attempt = Math.max(attempt, earlier + 1);
      }
      bytes += message.bytes;
    }
    this.counts.requestsSent++;
    this.counts.messagesSent += entries.length;
    this.counts.bytesSent += bytes;
    this.counts.requestsInFlight++;
    this.counts.messagesInFlight += entries.length;
    const started = this.onCall ? performance.now() : 0;
    try {
      const result = await this.inner.sendBatch(queueUrl, entries, cancellation);
      if (result.successful.length < entries.length) this.rememberUnaccepted(entries, result);
      this.onCall?.({ queueUrl, entries, attempt, bytes, latencyMs: performance.now() - started, result });
      return result;
    } catch (error) {
      const failure = sendFailureOf(error);
      this.rememberUnaccepted(entries);
      this.onCall?.({ queueUrl, entries, attempt, bytes, latencyMs: performance.now() - started, error: failure });
      throw failure;
    } finally {
      this.counts.requestsInFlight--;
      this.counts.messagesInFlight -= entries.length;
    }
  }

  /** Records a send of each entry SQS did not accept (all of them when the call threw), so a resend counts as a retry. */
  private rememberUnaccepted(entries: BatchEntry[], result?: BatchResult): void {
    const accepted = new Set(result?.successful.map(({ id }) => id));
    for (const { id, message } of entries) {
      if (!accepted.has(id)) this.unacceptedSends.set(message, (this.unacceptedSends.get(message) ?? 0) + 1);
    }
  }
}
