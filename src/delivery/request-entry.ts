import type { SendMessageBatchRequestEntry } from "@aws-sdk/client-sqs";
import type { BatchEntry } from "./types.js";

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
