import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Cancellation } from "./cancellation.js";
import { sendFailureOf } from "../aws/send-failure.js";
import { batchResultOf, requestEntry } from "./send-message-batch.js";
import type { BatchEntry, BatchResult, BatchSender } from "./types.js";

/**
 * Sends batches with the AWS SDK. The client is expected to have `md5: false` and `maxAttempts: 1`:
 * delivery checks each entry's MD5 itself and owns every retry, so the SDK must do neither.
 */
export class SdkBatchSender implements BatchSender {
  constructor(private readonly client: SQSClient) {}

  async sendBatch(queueUrl: string, entries: BatchEntry[], cancellation: Cancellation): Promise<BatchResult> {
    try {
      const output = await this.client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries.map(requestEntry) }), {
        abortSignal: cancellation.toSignal(),
      });
      return batchResultOf(output);
    } catch (error) {
      throw sendFailureOf(error);
    }
  }
}
