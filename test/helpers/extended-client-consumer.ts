// Consumers of offloaded messages as applications run them: the third-party sns-sqs-big-payload
// library (the @5app build on AWS SDK v3), which resolves SQS Extended Client pointers marked with the
// SQSLargePayloadSize attribute ("extendedLibraryCompatibility"), fetching their bodies from S3.
import { S3 } from "@aws-sdk/client-s3";
import { SQS, type Message } from "@aws-sdk/client-sqs";
import { setTimeout as sleep } from "node:timers/promises";
import type { SqsConsumerOptions, SqsMessage } from "@5app/sns-sqs-big-payload/dist/sqs-consumer.js";
import { tsImport } from "tsx/esm/api";
import { TEST_CREDENTIALS, TEST_REGION } from "./config.js";
import type { ReceivedMessage } from "./emulators.js";

// The module itself: the package's index re-exports it without a file extension, which TypeScript's
// NodeNext resolution does not follow.
const LIBRARY = "@5app/sns-sqs-big-payload/dist/sqs-consumer.js";
type ConsumerLibrary = typeof import("@5app/sns-sqs-big-payload/dist/sqs-consumer.js");
let library: Promise<ConsumerLibrary> | undefined;

/**
 * The library, loaded the way a service built with a TypeScript loader or bundler gets it: its ES
 * modules import their siblings without file extensions, which Node.js's own resolver refuses.
 */
function consumerLibrary(): Promise<ConsumerLibrary> {
  library ??= tsImport(LIBRARY, import.meta.url) as Promise<ConsumerLibrary>;
  return library;
}

/** How long the library's consumer waits for messages in one receive. */
const WAIT_TIME_SECONDS = 1;

export interface ConsumedMessage {
  body: string;
  /** Whether the library fetched the body from S3. */
  fromS3: boolean;
  /** The S3 key, when the body came from S3. */
  key?: string;
}

/** The SQS and S3 clients a consumer of `endpoint` uses (path-style S3, as the emulators serve it). */
function consumerClients(endpoint: string): Pick<SqsConsumerOptions, "sqs" | "s3"> & { destroy(): void } {
  const sqs = new SQS({ region: TEST_REGION, endpoint, credentials: TEST_CREDENTIALS });
  const s3 = new S3({ region: TEST_REGION, endpoint, forcePathStyle: true, credentials: TEST_CREDENTIALS });
  const destroy = (): void => {
    sqs.destroy();
    s3.destroy();
  };
  return { sqs, s3, destroy };
}

function consumed({ payload, s3PayloadMeta }: SqsMessage): ConsumedMessage {
  return { body: String(payload), fromS3: s3PayloadMeta !== undefined, ...(s3PayloadMeta ? { key: s3PayloadMeta.Key } : {}) };
}

/**
 * The message's body as the library hands it to the application, for messages a test received
 * itself (with every attribute); checks the size attribute of a body that came from S3.
 */
export async function consume(endpoint: string, message: ReceivedMessage): Promise<ConsumedMessage> {
  const { SqsConsumer, SqsConsumerEvents } = await consumerLibrary();
  const clients = consumerClients(endpoint);
  let result: ConsumedMessage | undefined;
  let failure: unknown;
  const consumer = SqsConsumer.create({
    queueUrl: "unused: the message is handed over",
    ...clients,
    getPayloadFromS3: true,
    extendedLibraryCompatibility: true,
    handleMessage: async (handed) => {
      result = consumed(handed);
    },
  });
  consumer.on(SqsConsumerEvents.processingError, ({ err }: { err: unknown }) => (failure = err));
  const sdkMessage: Message = { MessageId: message.sqsMessageId, Body: message.body, MessageAttributes: message.messageAttributes };
  try {
    await consumer.processMessage(sdkMessage, { deleteAfterProcessing: false });
  } finally {
    clients.destroy();
  }
  if (result === undefined) throw new Error(`the consumer library did not hand the message over: ${String(failure)}`);
  if (result.fromS3) {
    const size = message.messageAttributes.SQSLargePayloadSize;
    if (size?.DataType !== "Number" || size.StringValue !== String(Buffer.byteLength(result.body))) {
      throw new Error(`the size attribute ${JSON.stringify(size)} does not give the body's ${Buffer.byteLength(result.body)} bytes`);
    }
  }
  return result;
}

/**
 * Runs the library's own consumer on the queue, as an application would, until `expected`
 * messages were handled (at most about 20 s); each is deleted once handled.
 */
export async function consumeQueue(endpoint: string, queueUrl: string, expected: number): Promise<ConsumedMessage[]> {
  const { SqsConsumer, SqsConsumerEvents } = await consumerLibrary();
  const clients = consumerClients(endpoint);
  const handled: ConsumedMessage[] = [];
  const failures: unknown[] = [];
  const consumer = SqsConsumer.create({
    queueUrl,
    ...clients,
    getPayloadFromS3: true,
    extendedLibraryCompatibility: true,
    waitTimeSeconds: WAIT_TIME_SECONDS,
    handleMessage: async (handed) => {
      handled.push(consumed(handed));
    },
  });
  for (const event of [SqsConsumerEvents.error, SqsConsumerEvents.processingError]) consumer.on(event, (error) => failures.push(error));
  const ended = new Promise<void>((resolve) => consumer.on(SqsConsumerEvents.pollEnded, () => resolve()));
  consumer.start();
  for (let look = 0; look < 400 && handled.length < expected && failures.length === 0; look++) await sleep(50);
  consumer.stop();
  // The library returns without "poll-ended" when stopped during a receive: that receive ends within its wait time.
  await Promise.race([ended, sleep(WAIT_TIME_SECONDS * 1000 + 500)]);
  clients.destroy();
  if (failures.length > 0) throw new Error(`the consumer library failed: ${failures.map(String).join("; ")}`);
  return handled;
}
