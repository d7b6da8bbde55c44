// Whole syncs with large messages on the emulators, shared by the fast suite and the slow one.
import assert from "node:assert/strict";
import type { ApiCallLine } from "../../src/observe/api-call-log.js";
import { API_CALL_PREFIX } from "../../src/observe/api-call-log.js";
import { SUMMARY_PREFIX, type SyncSummary } from "../../src/observe/summary.js";
import type { AirbyteMessage } from "../../src/protocol/messages.js";
import { describeRun, type SyncResult } from "./compose-e2e.js";
import { type Emulator, uniqueQueueName } from "./emulators.js";
import { consume } from "./extended-client-consumer.js";
import { createBucket, testS3Client } from "./s3.js";

export function logMessages(messages: AirbyteMessage[]): string[] {
  return messages.flatMap((message) => (message.type === "LOG" ? [message.log.message] : []));
}

export function summaryOf(result: SyncResult): SyncSummary {
  const line = logMessages(result.messages).find((text) => text.startsWith(SUMMARY_PREFIX));
  assert.ok(line, `a SYNC_SUMMARY line\n${describeRun(result)}`);
  return JSON.parse(line.slice(SUMMARY_PREFIX.length)) as SyncSummary;
}

export function apiCalls(result: SyncResult): ApiCallLine[] {
  return logMessages(result.messages)
    .filter((text) => text.startsWith(API_CALL_PREFIX))
    .map((text) => JSON.parse(text.slice(API_CALL_PREFIX.length)) as ApiCallLine);
}

/** Rows of about `bytes` bytes, each body `{"id":…,"text":…}`. */
export function sizedRow(id: string, bytes: number): Record<string, unknown> {
  return { id, text: "é".repeat(Math.floor(bytes / 2)) };
}

export const THRESHOLD = 64 * 1024;

export interface Setup {
  queueName: string;
  queueUrl: string;
  bucket: string;
}

export async function setUp(emulator: Emulator, fifo = false): Promise<Setup> {
  const queueName = uniqueQueueName("large", fifo);
  const queueUrl = await emulator.createQueue(queueName);
  const bucket = `payloads-${process.pid}-${queueName.replace(/\W/g, "-").toLowerCase()}`.slice(0, 63);
  const s3 = testS3Client(emulator.endpoint);
  await createBucket(s3, bucket);
  s3.destroy();
  return { queueName, queueUrl, bucket };
}

export function largeSettings(emulator: Emulator, setup: Setup, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    queue: { source: "static", value: setup.queueName },
    message_id: { source: "column", column: "id" },
    large_messages: {
      policy: "s3",
      bucket: setup.bucket,
      prefix: "destination-sqs/",
      threshold_bytes: THRESHOLD,
      endpoint: emulator.endpoint,
      force_path_style: true,
    },
    ...extra,
  };
}

/** Every message of the queue as the Extended Client consumer library hands it over, in the order received. */
export async function consumeAll(emulator: Emulator, queueUrl: string, expected: number) {
  const received = await emulator.receiveAll(queueUrl, { expected });
  return await Promise.all(received.map(async (message) => ({ ...(await consume(emulator.endpoint, message)), received: message })));
}
