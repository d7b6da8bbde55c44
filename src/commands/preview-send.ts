// preview --send N: the first N rows that compose, sent for real through write's sender chain, each
// in a request of its own, after their target queues' settings have been read and judged.
// No STATE is echoed and no snapshot store is opened.
import type { Readable } from "node:stream";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { failureCode } from "../aws/explain.js";
import type { QueueUrlCheck } from "../aws/queue-hosts.js";
import { storelessDetector } from "../changes/detector.js";
import type { Config } from "../config/types.js";
import type { BatchSender, OutgoingMessage } from "../delivery/types.js";
import { UserFacingError } from "../errors.js";
import { LargeMessagePolicy } from "../large-messages/policy.js";
import type { ConfiguredStream } from "../protocol/messages.js";
import { describeAttributes } from "./preview.js";
import type { QueueSample } from "./queue-findings.js";
import { inspectQueue, queueDelaySeconds, refusalInContext, type QueueInspection } from "./queue-inspection.js";
import { RecordingSender } from "./recording-sender.js";
import { type RowSendResult, sendRow } from "./row-send.js";
import { readSample, type SampledRow } from "./sample-rows.js";
import { reportSummary, type RowReport, type SendReport } from "./send-report.js";

interface SendPreviewOptions {
  config: Config;
  catalog: Map<string, ConfiguredStream>;
  input: Readable;
  /** How many rows to send. */
  rows: number;
  /** For GetQueueAttributes. */
  sqs: SQSClient;
  /** Turns a bare queue name into its URL, as write does; throws a UserFacingError when it cannot. */
  resolveQueue(name: string): Promise<string>;
  checkQueueUrl: QueueUrlCheck;
  /** The SQS sender at the bottom of write's chain. */
  sender: BatchSender;
  /** Builds the rest of write's chain above a sender (large-message offloading). */
  chain(sender: BatchSender): BatchSender;
}

/** A sampled row with its queue resolved, or with the reason it could not be. */
type RoutedRow = SampledRow & ({ queueUrl: string } | { unrouted: RowSendResult & { kind: "refused" } });

export async function runSendPreview(options: SendPreviewOptions): Promise<SendReport> {
  const { config } = options;
  const sample = await readSample({ ...options, detector: storelessDetector(config, options.catalog.values()) });
  const routed: RoutedRow[] = [];
  for (const row of sample.rows) routed.push(await route(row, options));

  const inspections = new Map<string, QueueInspection>();
  for (const [queueUrl, queueSample] of queueSamples(routed, config)) {
    inspections.set(queueUrl, await inspectQueue(options.sqs, queueUrl, queueSample, config));
  }

  const recorder = new RecordingSender(options.sender);
  const rowSender = { chain: options.chain(recorder), recorder, timeoutMs: config.request_timeout_seconds * 1000 };
  const rows: RowReport[] = [];
  for (const [index, row] of routed.entries()) {
    if ("unrouted" in row) {
      rows.push(rowReport(config, row, undefined, row.unrouted, undefined));
      continue;
    }
    const message: OutgoingMessage = { ...row.message, queueUrl: row.queueUrl, ticket: index };
    const inspection = inspections.get(row.queueUrl);
    rows.push(rowReport(config, row, row.queueUrl, await sendRow(rowSender, message, String(index)), inspection));
  }
  const queues = [...inspections.values()];
  return { queues, rows, not_sent: sample.unsent, summary: reportSummary(rows, sample.unsent.length) };
}

async function route(row: SampledRow, options: SendPreviewOptions): Promise<RoutedRow> {
  try {
    return { ...row, queueUrl: await options.resolveQueue(row.message.queue) };
  } catch (error) {
    if (!(error instanceof UserFacingError)) throw error;
    const code = failureCode(error) ?? "QueueDoesNotExist";
    return { ...row, unrouted: { kind: "refused", code, message: error.detail ?? error.message, explanation: error.message } };
  }
}

/** What the rows bound for each queue carry. */
function queueSamples(rows: RoutedRow[], config: Config): Map<string, QueueSample> {
  const policy = LargeMessagePolicy.of(config);
  const samples = new Map<string, { rows: number; largestBytes: number; groupIds: Set<string> }>();
  for (const row of rows) {
    if (!("queueUrl" in row)) continue;
    let sample = samples.get(row.queueUrl);
    if (!sample) {
      sample = { rows: 0, largestBytes: 0, groupIds: new Set() };
      samples.set(row.queueUrl, sample);
    }
    sample.rows++;
    const { bytes, groupId } = row.message;
    if (!policy.offloads(bytes)) sample.largestBytes = Math.max(sample.largestBytes, bytes);
    if (groupId !== undefined) sample.groupIds.add(groupId);
  }
  return samples;
}

function rowReport(
  config: Config,
  row: SampledRow,
  queueUrl: string | undefined,
  result: RowSendResult,
  inspection: QueueInspection | undefined,
): RowReport {
  const { message } = row;
  const queueDelay = queueDelaySeconds(inspection);
  const delay =
    message.delaySeconds !== undefined
      ? { delay_seconds: message.delaySeconds, delay_from: "row" as const }
      : queueDelay !== undefined
        ? { delay_seconds: queueDelay, delay_from: "queue" as const }
        : {};
  const base = {
    record: row.record,
    line: row.line,
    stream: row.stream,
    ...(row.primaryKey ? { primary_key: row.primaryKey } : {}),
    change: row.change,
    queue: message.queue,
    ...(queueUrl ? { queue_url: queueUrl } : {}),
    message_id: message.messageId,
    ...(message.groupId === undefined ? {} : { group_id: message.groupId }),
    ...(message.dedupId === undefined ? {} : { dedup_id: message.dedupId }),
    bytes: message.bytes,
    body_bytes: Buffer.byteLength(message.body),
    ...delay,
    ...(message.attributes ? { attributes: describeAttributes(message.attributes) } : {}),
  };
  if (result.kind === "refused") {
    const explanation = refusalInContext(result, message.bytes, inspection, config);
    return { ...base, outcome: "refused", error: { code: result.code, message: result.message, explanation } };
  }
  return {
    ...base,
    outcome: result.kind,
    ...(result.sqsMessageId ? { sqs_message_id: result.sqsMessageId } : {}),
    ...(result.sequenceNumber ? { sequence_number: result.sequenceNumber } : {}),
    md5_of_body: result.body,
    md5_of_attributes: result.attributes,
    ...(result.offloadedTo ? { offloaded_to: result.offloadedTo, sent_body_bytes: result.sentBodyBytes } : {}),
  };
}
