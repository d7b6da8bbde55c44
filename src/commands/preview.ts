import type { Readable } from "node:stream";
import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { QueueUrlCheck } from "../aws/queue-hosts.js";
import type { ChangeDetector } from "../changes/types.js";
import type { ComposedMessage } from "../compose/composer.js";
import type { ChangeType, Config } from "../config/types.js";
import { objectKey } from "../large-messages/extended-client-format.js";
import { LargeMessagePolicy } from "../large-messages/policy.js";
import { parseMessage, readLines } from "../protocol/input.js";
import { streamKey, streamLabel, type ConfiguredStream, type RecordMessage } from "../protocol/messages.js";
import type { MessageWriter } from "../protocol/output.js";
import { RowPipeline, type SkipReason } from "../write/row-pipeline.js";

/** The prefix of each previewed record's LOG line; the rest of the line is one JSON object. */
export const PREVIEW_PREFIX = "PREVIEW ";

interface PreviewOptions {
  config: Config;
  catalog: Map<string, ConfiguredStream>;
  input: Readable;
  writer: MessageWriter;
  /** How many records to preview before stopping. */
  limit: number;
  /** Opened as a dry run: it decides as a sync would but records nothing. */
  detector: ChangeDetector;
  /** The queue-host rule write applies. */
  checkQueueUrl: QueueUrlCheck;
}

/** The SQS message a record would become. */
interface PreviewedMessage {
  /** As the queue setting yielded it: bare names are not looked up. */
  queue: string;
  message_id: string;
  group_id?: string;
  dedup_id?: string;
  delay_seconds?: number;
  attributes?: Record<string, { data_type: string; value: string }>;
  /** Body plus attributes, as SQS counts them toward its size limit. */
  bytes: number;
  body: string;
  /** Where the body would be stored when it goes through S3 (large_messages); SQS would get a pointer to it. */
  offloaded_to_s3?: { bucket: string; key: string; body_bytes: number };
}

/** One previewed record, as printed after PREVIEW_PREFIX. */
export type PreviewEntry = { record: number; line: number; stream: string; change?: ChangeType } & (
  | ({ outcome: "message" } & PreviewedMessage)
  | { outcome: "rejected"; message_id?: string; reason: string }
  | { outcome: "skipped"; reason: string }
  | { outcome: "error"; reason: string }
);

interface PreviewCounts {
  records: number;
  messages: number;
  rejected: number;
  skipped: number;
  errors: number;
}

/**
 * The preview command: reads Airbyte messages like write and shows, for the first `limit` records,
 * the SQS message each would become (or why it would be rejected or skipped). Sends nothing and
 * makes no AWS call; the change detector is closed as after a failed sync, so it records nothing.
 */
export async function runPreview(options: PreviewOptions): Promise<PreviewCounts> {
  const { config, writer, limit, detector } = options;
  const pipeline = new RowPipeline(config, { detector, checkQueueUrl: options.checkQueueUrl, streams: options.catalog.values() });
  const counts: PreviewCounts = { records: 0, messages: 0, rejected: 0, skipped: 0, errors: 0 };
  try {
    for await (const line of readLines(options.input)) {
      if (counts.records >= limit) break;
      const message = parseMessage(line);
      if (message.type !== "RECORD") continue;
      counts.records++;
      const entry = previewRecord(options, pipeline, message.record, { record: counts.records, line: line.lineNumber });
      counts[COUNTED_AS[entry.outcome]]++;
      await writer.log(entry.outcome === "message" ? "INFO" : "WARN", PREVIEW_PREFIX + JSON.stringify(entry));
    }
  } finally {
    await detector.close(false);
  }
  await writer.log(
    "INFO",
    `Preview of ${counts.records} record${counts.records === 1 ? "" : "s"}: ${counts.messages} would be sent, ` +
      `${counts.rejected} rejected, ${counts.skipped} skipped, ${counts.errors} would stop the sync. Nothing was sent to SQS.`,
  );
  return counts;
}

const COUNTED_AS = { message: "messages", rejected: "rejected", skipped: "skipped", error: "errors" } as const;

/** Why the row pipeline skipped a row, in words. */
export const SKIPPED_BECAUSE: Record<SkipReason, (change: ChangeType | undefined) => string> = {
  unchanged: () => "unchanged since the last published version",
  event_filter: (change) => `the events setting does not include "${change}"`,
};

function previewRecord(
  options: PreviewOptions,
  pipeline: RowPipeline,
  record: RecordMessage,
  position: { record: number; line: number },
): PreviewEntry {
  const base = { ...position, stream: streamLabel(record.stream, record.namespace) };
  const stream = options.catalog.get(streamKey(record.stream, record.namespace));
  if (!stream) return { ...base, outcome: "error", reason: notInCatalog(base.stream) };
  const outcome = pipeline.record(record, stream, position.line);
  const change = outcome.change === undefined ? {} : { change: outcome.change };
  switch (outcome.kind) {
    case "skipped":
      return { ...base, ...change, outcome: "skipped", reason: SKIPPED_BECAUSE[outcome.reason](outcome.change) };
    case "rejected":
      return { ...base, ...change, outcome: "rejected", message_id: outcome.messageId, reason: outcome.reason };
    case "message":
      return { ...base, change: outcome.change, outcome: "message", ...describeMessage(outcome.message, options.config) };
  }
}

/** Why a record of a stream the catalog lacks is not previewed or sent. */
export function notInCatalog(stream: string): string {
  return `Stream "${stream}" is not in the configured catalog: write would stop here.`;
}

function describeMessage(message: ComposedMessage, config: Config): PreviewedMessage {
  const largeMessages = LargeMessagePolicy.of(config);
  const s3 = largeMessages.offloads(message.bytes) ? largeMessages.s3 : undefined;
  return {
    queue: message.queue,
    message_id: message.messageId,
    ...(message.groupId === undefined ? {} : { group_id: message.groupId }),
    ...(message.dedupId === undefined ? {} : { dedup_id: message.dedupId }),
    ...(message.delaySeconds === undefined ? {} : { delay_seconds: message.delaySeconds }),
    ...(message.attributes === undefined ? {} : { attributes: describeAttributes(message.attributes) }),
    bytes: message.bytes,
    body: message.body,
    ...(s3 === undefined
      ? {}
      : {
          offloaded_to_s3: {
            bucket: s3.bucket,
            key: objectKey(s3.prefix, message.messageId, message.body),
            body_bytes: Buffer.byteLength(message.body),
          },
        }),
  };
}

export function describeAttributes(
  attributes: Record<string, MessageAttributeValue>,
): Record<string, { data_type: string; value: string }> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, attribute]) => [
      name,
      {
        data_type: attribute.DataType ?? "String",
        value: attribute.StringValue ?? Buffer.from(attribute.BinaryValue ?? new Uint8Array()).toString("base64"),
      },
    ]),
  );
}
