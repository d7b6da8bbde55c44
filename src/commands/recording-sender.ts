import type { Cancellation } from "../delivery/cancellation.js";
import type { BatchEntry, BatchResult, BatchSender, OutgoingMessage, SuccessfulEntry } from "../delivery/types.js";

/** One entry as it went to SQS, and SQS's answer for it if it stored it. */
export interface Exchange {
  /** The message as sent: with large_messages, the pointer that replaced the body. */
  sent: OutgoingMessage;
  stored?: SuccessfulEntry;
}

/**
 * A BatchSender that passes every batch on and remembers, by entry id, what went to SQS and what SQS
 * answered before anything above it (the offloading sender) reads the answer. preview --send puts it
 * where write puts the observed sender, so its MD5 checks compare SQS's answer with the very bytes sent.
 */
export class RecordingSender implements BatchSender {
  private readonly exchanges = new Map<string, Exchange>();

  constructor(private readonly inner: BatchSender) {}

  async sendBatch(queueUrl: string, entries: BatchEntry[], cancellation: Cancellation): Promise<BatchResult> {
    for (const { id, message } of entries) this.exchanges.set(id, { sent: message });
    const result = await this.inner.sendBatch(queueUrl, entries, cancellation);
    for (const stored of result.successful) {
      const exchange = this.exchanges.get(stored.id);
      if (exchange) exchange.stored = stored;
    }
    return result;
  }

  /** What was sent under entry id `id` (ids are unique across the run), if it reached SQS. */
  exchange(id: string): Exchange | undefined {
    return this.exchanges.get(id);
  }
}
