import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { Cancellation } from "./cancellation.js";
import type { ConcurrencyLimit } from "./concurrency-limit.js";

/** One message ready for SQS: composed, validated and routed to a queue URL. */
export interface OutgoingMessage {
  queueUrl: string;
  /** The row's message id, as the user configured it: names the row in logs and rejections. */
  messageId: string;
  body: string;
  /** Body plus attribute names, types and values, as SQS counts them toward its size limit. */
  bytes: number;
  groupId?: string | undefined;
  dedupId?: string | undefined;
  delaySeconds?: number | undefined;
  attributes?: Record<string, MessageAttributeValue> | undefined;
  /** Opaque to delivery; handed back in the callbacks (the checkpoint ticket). */
  ticket: number;
}

/** One entry of a SendMessageBatch request. `id` is unique within the request. */
export interface BatchEntry {
  id: string;
  message: OutgoingMessage;
}

export interface EntryFailure {
  id: string;
  senderFault: boolean;
  code: string;
  message?: string | undefined;
}

/** What SQS answered for one message it stored. */
export interface Receipt {
  /** SQS's own id for the stored message. */
  sqsMessageId?: string | undefined;
  /** FIFO queues only: the message's place in its group. */
  sequenceNumber?: string | undefined;
  /** The MD5 of the body SQS stored; delivery has checked it against what was sent. */
  md5OfBody?: string | undefined;
  md5OfAttributes?: string | undefined;
  /** Where the body went when it was offloaded to S3 (`s3://bucket/key`). */
  offloadedTo?: string | undefined;
}

/** An entry SQS accepted, by the request's `id`. */
export interface SuccessfulEntry extends Receipt {
  id: string;
}

export interface BatchResult {
  successful: SuccessfulEntry[];
  failed: EntryFailure[];
}

/** Sends one SendMessageBatch request. Rejects with a SendFailure when the request fails as a whole (see delivery/errors.ts). */
export interface BatchSender {
  sendBatch(queueUrl: string, entries: BatchEntry[], cancellation: Cancellation): Promise<BatchResult>;
}

/** What delivery reports of each message `M` it was given. */
export interface DeliveryCallbacks<M extends OutgoingMessage = OutgoingMessage> {
  /** SQS stored the message, and answered with the receipt. */
  acknowledged(message: M, receipt: Receipt): void;
  /** SQS refused the message for a reason retrying cannot fix (SenderFault, unknown queue). */
  rejected(message: M, reason: string, code: string): void;
}

export interface DeliveryOptions {
  fifo: boolean;
  /** The in-flight limit when `concurrency` is not given. */
  maxInFlight: number;
  /** Decides how many requests may be in flight; default exactly maxInFlight. */
  concurrency?: ConcurrencyLimit;
  /** The most bytes one request's messages may add up to. */
  maxBatchBytes: number;
  /** How long a message may keep failing with retriable errors before delivery fails. */
  retryMaxMs: number;
  /** How long a partly filled batch may wait for more messages before it is sent. */
  lingerMs: number;
  /** Abandon and retry a request that has not answered after this long. Default: no limit of delivery's own. */
  requestTimeoutMs?: number;
  /** submit() makes its caller wait while this many messages are unsettled. Default: current limit × 10 × 2, at least 2,560. */
  maxBufferedMessages?: number;
  /** submit() makes its caller wait while this many message bytes are unsettled. Default: by the heap limit (see buffer-limit). */
  maxBufferedBytes?: number;
}

/** Delivery's outcomes; what requests carried is counted by the observed sender (SendCounts). */
export interface DeliveryStats {
  acknowledged: number;
  rejected: number;
  /** Requests in flight now. */
  inFlight: number;
  /** Messages submitted and not yet acknowledged or rejected. */
  unsettled: number;
}
