// Sends one row for preview --send through the sender chain write uses, in a request of its own,
// and judges SQS's answer: stored with matching MD5s, stored with an MD5 that does not match what
// was sent, or refused (with SQS's code and the connector's advice).
import { failureCode } from "../aws/explain.js";
import { classifySendError, sendFailureOf } from "../aws/send-failure.js";
import { bodyMd5 } from "../delivery/batch-outcome.js";
import { attributesMd5 } from "../delivery/attributes-md5.js";
import { Cancellation, requestCancelled } from "../delivery/cancellation.js";
import { refusalAdvice } from "../delivery/errors.js";
import type { BatchSender, OutgoingMessage } from "../delivery/types.js";
import { isUploadFailureCode } from "../delivery/upload-failure.js";
import { UserFacingError } from "../errors.js";
import type { RecordingSender } from "./recording-sender.js";

/** An MD5 SQS answered, against the one of what was sent. Both are absent for a message without attributes. */
export interface Md5Check {
  sent?: string;
  answered?: string;
  matches: boolean;
}

export type RowSendResult =
  | {
      kind: "stored" | "md5_mismatch";
      sqsMessageId?: string;
      sequenceNumber?: string;
      body: Md5Check;
      attributes: Md5Check;
      /** The body SQS got, in bytes: the S3 pointer when the body was offloaded. */
      sentBodyBytes: number;
      /** Where the body went when it was offloaded (`s3://bucket/key`). */
      offloadedTo?: string;
    }
  | { kind: "refused"; code: string; message: string; explanation: string };

export interface RowSender {
  /** The chain write uses, with the recorder at its bottom. */
  chain: BatchSender;
  recorder: RecordingSender;
  timeoutMs: number;
}

/** Sends `message` as entry `id` (unique across the run). Never throws for what SQS or S3 answered. */
export async function sendRow(sender: RowSender, message: OutgoingMessage, id: string): Promise<RowSendResult> {
  const cancellation = new Cancellation();
  const timer = setTimeout(() => cancellation.cancel(requestCancelled(`no answer within ${sender.timeoutMs} ms`)), sender.timeoutMs);
  try {
    const result = await sender.chain.sendBatch(message.queueUrl, [{ id, message }], cancellation);
    const failure = result.failed.find((entry) => entry.id === id);
    if (failure) return refused(failure.code, failure.message ?? failure.code);
    const stored = result.successful.find((entry) => entry.id === id);
    const exchange = sender.recorder.exchange(id);
    if (!stored || !exchange?.stored) return refused("MissingFromResponse", "SQS's answer did not mention the message");
    const { sent } = exchange;
    const body = md5Check(bodyMd5(sent.body), exchange.stored.md5OfBody);
    const attributes = md5Check(attributesMd5(sent.attributes), exchange.stored.md5OfAttributes);
    return {
      kind: body.matches && attributes.matches ? "stored" : "md5_mismatch",
      ...(stored.sqsMessageId ? { sqsMessageId: stored.sqsMessageId } : {}),
      ...(stored.sequenceNumber ? { sequenceNumber: stored.sequenceNumber } : {}),
      body,
      attributes,
      sentBodyBytes: Buffer.byteLength(sent.body),
      ...(stored.offloadedTo ? { offloadedTo: stored.offloadedTo } : {}),
    };
  } catch (error) {
    // A bucket refusing the connector (large_messages) is already worded for the user.
    if (error instanceof UserFacingError)
      return { kind: "refused", code: failureCode(error) ?? "Error", message: error.detail ?? error.message, explanation: error.message };
    const classified = classifySendError(sendFailureOf(error));
    return refused(classified.code, classified.message);
  } finally {
    clearTimeout(timer);
  }
}

function refused(code: string, message: string): RowSendResult {
  // An upload's failure message names the bucket and key and says what to do.
  const explanation = isUploadFailureCode(code) ? message : `${refusalAdvice(code)}.`;
  return { kind: "refused", code, message, explanation };
}

function md5Check(sent: string | undefined, answered: string | undefined): Md5Check {
  return { ...(sent ? { sent } : {}), ...(answered ? { answered } : {}), matches: sent === answered };
}
