import { createHash } from "node:crypto";
import type { Cancellation } from "../../src/delivery/cancellation.js";
import { SendFailure } from "../../src/aws/send-failure.js";
import type { Delivery } from "../../src/delivery/delivery.js";
import type { BatchEntry, BatchResult, BatchSender, DeliveryOptions, OutgoingMessage, Receipt } from "../../src/delivery/types.js";

export function outgoing(queueUrl: string, n: number, fields: Partial<OutgoingMessage> = {}): OutgoingMessage {
  const body = fields.body ?? JSON.stringify({ n, group: fields.groupId ?? null });
  return {
    queueUrl,
    messageId: `row-${n}`,
    body,
    bytes: Buffer.byteLength(body),
    ticket: n,
    ...fields,
  };
}

export function md5(body: string): string {
  return createHash("md5").update(body, "utf8").digest("hex");
}

export function succeedAll(entries: BatchEntry[]): BatchResult {
  return { successful: entries.map((entry) => ({ id: entry.id, md5OfBody: md5(entry.message.body) })), failed: [] };
}

/** A request SQS refused, as a BatchSender reports it. */
export function serviceError(code: string, message: string, httpStatus = 400): SendFailure {
  return new SendFailure([code], httpStatus, message);
}

export function throttlingError(): SendFailure {
  return serviceError("ThrottlingException", "Rate exceeded");
}

/** A service error as the AWS SDK throws it: named by its code, with the HTTP status in its metadata. */
export function sdkServiceError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

export interface SentRequest {
  queueUrl: string;
  entries: BatchEntry[];
}

/** What the fake answers a request: a result, an error to throw, or undefined for "all succeeded". */
export type Responder = (request: SentRequest, index: number) => BatchResult | SendFailure | undefined;

/**
 * A BatchSender that records every request, answers after a short random delay (or when released,
 * with `hold`), and measures concurrency: requests in flight, and batches in flight per message group.
 */
export class FakeSender implements BatchSender {
  readonly requests: SentRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** The most batches seen in flight at once holding the same (queue, message group). */
  maxBatchesPerGroup = 0;
  private readonly groupsInFlight = new Map<string, number>();
  private held: (() => void)[] = [];

  constructor(
    private readonly respond: Responder = () => undefined,
    private readonly options: { hold?: boolean; maxDelayMs?: number } = {},
  ) {}

  async sendBatch(queueUrl: string, entries: BatchEntry[], cancellation: Cancellation): Promise<BatchResult> {
    const request = { queueUrl, entries: [...entries] };
    const index = this.requests.push(request) - 1;
    const groups = [...new Set(entries.map((entry) => `${queueUrl}|${entry.message.groupId ?? ""}`))];
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    for (const group of groups) {
      const count = (this.groupsInFlight.get(group) ?? 0) + 1;
      this.groupsInFlight.set(group, count);
      this.maxBatchesPerGroup = Math.max(this.maxBatchesPerGroup, count);
    }
    try {
      await this.wait();
      cancellation.throwIfCancelled();
      const answer = this.respond(request, index);
      if (answer instanceof SendFailure) throw answer;
      return answer ?? succeedAll(entries);
    } finally {
      this.inFlight--;
      for (const group of groups) this.groupsInFlight.set(group, this.groupsInFlight.get(group)! - 1);
    }
  }

  /** Lets every held request answer. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const resume of held) resume();
  }

  get heldCount(): number {
    return this.held.length;
  }

  private wait(): Promise<void> {
    if (this.options.hold) return new Promise((resolve) => this.held.push(resolve));
    const delay = Math.random() * (this.options.maxDelayMs ?? 2);
    return new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Resolves once `predicate` holds, checking after each turn of the event loop (at most `turns` times). */
export async function eventually(predicate: () => boolean, turns = 10_000): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error("condition never held");
}

/** Whether `promise` is still pending after the event loop has had a few turns. */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  return !settled;
}

export function options(overrides: Partial<DeliveryOptions> = {}): DeliveryOptions {
  return { fifo: false, maxInFlight: 8, maxBatchBytes: 1_048_576, retryMaxMs: 30_000, lingerMs: 5, ...overrides };
}

/** Callbacks that record what delivery reported. */
export function recorder() {
  const acknowledged: OutgoingMessage[] = [];
  const receipts: Receipt[] = [];
  const rejected: { message: OutgoingMessage; reason: string; code: string }[] = [];
  return {
    acknowledged,
    receipts,
    rejected,
    callbacks: {
      acknowledged: (message: OutgoingMessage, receipt: Receipt) => {
        acknowledged.push(message);
        receipts.push(receipt);
      },
      rejected: (message: OutgoingMessage, reason: string, code: string) => rejected.push({ message, reason, code }),
    },
  };
}

export async function submitAll(delivery: Delivery, messages: OutgoingMessage[]): Promise<void> {
  for (const message of messages) await delivery.submit(message);
}

export function range(count: number): number[] {
  return Array.from({ length: count }, (_, n) => n);
}

/** Fails the entries from `from` on (a suffix of the batch, so each group's failed entries are its last ones). */
export function failSuffix(entries: BatchEntry[], from: number, code = "InternalError"): BatchResult {
  return {
    successful: succeedAll(entries.slice(0, from)).successful,
    failed: entries.slice(from).map((entry) => ({ id: entry.id, senderFault: false, code, message: "try again" })),
  };
}
