import type { SendMessageBatchRequestEntry } from "@aws-sdk/client-sqs";
import type { BatchEntry, BatchResult } from "./types.js";

/** A batch entry as SendMessageBatch takes it. */
export function requestEntry({ id, message }: BatchEntry): SendMessageBatchRequestEntry {
  return {
    Id: id,
    MessageBody: message.body,
    MessageGroupId: message.groupId,
    MessageDeduplicationId: message.dedupId,
    DelaySeconds: message.delaySeconds,
    MessageAttributes: message.attributes,
  };
}

/** What SendMessageBatch answers, as the SDK returns it and as AWS JSON carries it. */
export interface BatchAnswer {
  Successful?:
    | {
        Id?: string | undefined;
        MessageId?: string | undefined;
        SequenceNumber?: string | undefined;
        MD5OfMessageBody?: string | undefined;
        MD5OfMessageAttributes?: string | undefined;
      }[]
    | undefined;
  Failed?:
    | { Id?: string | undefined; SenderFault?: boolean | undefined; Code?: string | undefined; Message?: string | undefined }[]
    | undefined;
}

export function batchResultOf(answer: BatchAnswer): BatchResult {
  return {
    successful: (answer.Successful ?? []).map((entry) => ({
      id: entry.Id ?? "",
      sqsMessageId: entry.MessageId,
      sequenceNumber: entry.SequenceNumber,
      md5OfBody: entry.MD5OfMessageBody,
      md5OfAttributes: entry.MD5OfMessageAttributes,
    })),
    failed: (answer.Failed ?? []).map((entry) => ({
      id: entry.Id ?? "",
      senderFault: entry.SenderFault ?? false,
      code: entry.Code ?? "UnknownError",
      message: entry.Message,
    })),
  };
}
