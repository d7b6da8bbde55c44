import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { isS3ConfigFailure, s3Advice, s3Failure } from "../aws/s3-explain.js";
import type { Config } from "../config/types.js";
import { bodyMd5 } from "../delivery/batch-outcome.js";
import type { Cancellation } from "../delivery/cancellation.js";
import { classifySendError, sendFailureOf } from "../aws/send-failure.js";
import type { BatchEntry, BatchResult, BatchSender, EntryFailure, OutgoingMessage, SuccessfulEntry } from "../delivery/types.js";
import { objectKey, payloadSizeAttribute, pointerBody } from "./extended-client-format.js";
import { Limiter } from "./limiter.js";
import type { LargeMessagePolicy } from "./policy.js";
import { UPLOAD_FAILURE_CODE_PREFIX } from "../delivery/upload-failure.js";

/** Bodies uploaded at once: enough to keep batches flowing, few enough to bound the memory uploads take. */
const DEFAULT_MAX_CONCURRENT_UPLOADS = 16;

/** A message whose body goes to S3: where, the pointer message SQS gets instead, and whether it is stored. */
interface Offload {
  bucket: string;
  key: string;
  pointer: OutgoingMessage;
  stored: boolean;
}

interface OffloadingOptions {
  fifo: boolean;
  /** For the error that stops the sync when the bucket refuses the connector (its credentials are named). */
  config: Config;
  maxConcurrentUploads?: number;
}

/**
 * A BatchSender that stores the body of each large message (as the policy decides) in S3 before
 * the batch goes to SQS with the pointer in its place. An upload that fails comes back as a failed
 * entry, so delivery retries it (retriable error) or rejects the row (permanent error) under the
 * same rules and retry budget as SQS's own failures. A bucket that refuses the connector (denied,
 * missing, another region, credentials refused) is no row's fault: sendBatch throws the
 * user-facing error that stops the sync, whatever the rejected-rows policy.
 */
export class OffloadingSender implements BatchSender {
  private readonly offloads = new WeakMap<OutgoingMessage, Offload>();
  private readonly uploads: Limiter;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    private readonly inner: BatchSender,
    private readonly s3: S3Client,
    private readonly policy: LargeMessagePolicy,
    private readonly options: OffloadingOptions,
  ) {
    if (policy.s3 === undefined) throw new Error("OffloadingSender needs a large_messages policy with an S3 bucket");
    this.bucket = policy.s3.bucket;
    this.prefix = policy.s3.prefix;
    this.uploads = new Limiter(options.maxConcurrentUploads ?? DEFAULT_MAX_CONCURRENT_UPLOADS);
  }

  async sendBatch(queueUrl: string, entries: BatchEntry[], cancellation: Cancellation): Promise<BatchResult> {
    const large = entries.filter(({ message }) => this.policy.offloads(message.bytes));
    if (large.length === 0) return this.inner.sendBatch(queueUrl, entries, cancellation);
    const signal = cancellation.toSignal();
    const uploadFailures = new Map<string, EntryFailure>();
    await Promise.all(
      large.map(async ({ id, message }) => {
        const failure = await this.store(id, this.offloadOf(message), message.body, signal);
        if (failure !== undefined) uploadFailures.set(id, failure);
      }),
    );
    cancellation.throwIfCancelled();

    const sent: BatchEntry[] = [];
    const pointers = new Map<string, Offload>();
    const failed: EntryFailure[] = [];
    // On a FIFO queue, a message held back holds back the rest of its group, which must stay in order.
    const heldGroups = new Set<string | undefined>();
    for (const entry of entries) {
      const { id, message } = entry;
      const failure = uploadFailures.get(id) ?? (heldGroups.has(message.groupId) ? heldBack(id) : undefined);
      if (failure !== undefined) {
        failed.push(failure);
        if (this.options.fifo) heldGroups.add(message.groupId);
        continue;
      }
      const offload = this.offloads.get(message);
      if (offload !== undefined) pointers.set(id, offload);
      sent.push(offload === undefined ? entry : { id, message: offload.pointer });
    }
    if (sent.length === 0) return { successful: [], failed };
    const result = await this.inner.sendBatch(queueUrl, sent, cancellation);
    return {
      successful: result.successful.map((success) => checkedPointer(success, pointers.get(success.id))),
      failed: [...result.failed, ...failed],
    };
  }

  /** The message's offload, made once: retries send the same pointer message (the API call log counts attempts by it). */
  private offloadOf(message: OutgoingMessage): Offload {
    let offload = this.offloads.get(message);
    if (offload !== undefined) return offload;
    const key = objectKey(this.prefix, message.messageId, message.body);
    const body = pointerBody(this.bucket, key);
    const bodyBytes = Buffer.byteLength(message.body);
    const size = payloadSizeAttribute(this.policy.sizeAttribute, bodyBytes);
    const pointer: OutgoingMessage = {
      ...message,
      body,
      bytes: message.bytes - bodyBytes + Buffer.byteLength(body) + size.bytes,
      attributes: { ...message.attributes, [this.policy.sizeAttribute]: size.value },
    };
    offload = { bucket: this.bucket, key, pointer, stored: false };
    this.offloads.set(message, offload);
    return offload;
  }

  private async store(id: string, offload: Offload, body: string, signal: AbortSignal): Promise<EntryFailure | undefined> {
    if (offload.stored) return undefined;
    try {
      await this.uploads.run(() => {
        if (signal.aborted) throw signal.reason;
        return this.s3.send(
          new PutObjectCommand({ Bucket: offload.bucket, Key: offload.key, Body: body, ContentType: "application/json" }),
          {
            abortSignal: signal,
          },
        );
      });
      offload.stored = true;
      return undefined;
    } catch (error) {
      const place = { setting: "large_messages", bucket: this.bucket, prefix: this.prefix } as const;
      if (isS3ConfigFailure(error)) throw s3Failure(error, place, "s3:PutObject", this.options.config);
      const classified = classifySendError(sendFailureOf(error));
      const advice = s3Advice(classified.code, place, "s3:PutObject");
      return {
        id,
        senderFault: classified.kind !== "retry",
        code: UPLOAD_FAILURE_CODE_PREFIX + classified.code,
        message: `PutObject of the message body to s3://${offload.bucket}/${offload.key} failed: ${classified.message}${advice === undefined ? "" : `; ${advice}`}`,
      };
    }
  }
}

/**
 * SQS answers with the MD5 of the pointer it stored, which is checked here: delivery checks answers
 * against the original body. A pointer that matches comes back naming where the body went.
 */
function checkedPointer(success: SuccessfulEntry, offload: Offload | undefined): SuccessfulEntry {
  if (offload === undefined) return success;
  if (success.md5OfBody !== undefined && success.md5OfBody !== bodyMd5(offload.pointer.body)) return success;
  return { ...success, md5OfBody: undefined, offloadedTo: `s3://${offload.bucket}/${offload.key}` };
}

function heldBack(id: string): EntryFailure {
  return {
    id,
    senderFault: false,
    code: "HeldBack",
    message: "not sent: an earlier message of its FIFO group is waiting for its body to be stored in S3",
  };
}
