// Each outcome as the ResultLine a results file holds (src/results/format.ts).

import type { ChangeType } from "../config/types.js";
import type { Receipt } from "../delivery/types.js";
import type { ConfiguredStream } from "../protocol/messages.js";
import { readFieldPath } from "../compose/paths.js";
import type { ResultOutcome } from "./format.js";
import type { RejectedReason } from "./reasons.js";

/** The row an outcome is about. */
export interface ResultRow {
  stream: ConfiguredStream;
  data: Record<string, unknown>;
  change: ChangeType | undefined;
  /** Undefined for rows skipped before a message id was made. */
  messageId?: string | undefined;
  /** The record's own; undefined for rows the connector makes itself (found removed). */
  emittedAt?: number | undefined;
  meta?: unknown;
}

/** Which sync and run every line names. */
export interface RunIds {
  syncId: string;
  runId: string;
}

export interface Rejection {
  reason: RejectedReason;
  message: string;
  /** The queue the row was meant for, when it got that far. */
  queue: string | undefined;
}

export interface Publication {
  queue: string;
  bytes: number;
  receipt: Receipt;
}

/** A string JSON writes as it is, between quotes: no quote, backslash, control character or surrogate. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes.
const VERBATIM = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** JSON.stringify's answer, without its call for the numbers and plain strings nearly every value is. */
function json(value: string | number | null | undefined): string {
  if (value === undefined || value === null) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? `${value}` : "null";
  return VERBATIM.test(value) ? `"${value}"` : JSON.stringify(value);
}

const CHANGE_JSON: Readonly<Record<ChangeType, string>> = { added: '"added"', changed: '"changed"', removed: '"removed"' };

let lastQueue = "";
let lastQueueJson = json(lastQueue);

/** Nearly every row of a sync goes to the queue the row before it went to. */
function queueJson(queue: string | undefined): string {
  if (queue === undefined) return "null";
  if (queue !== lastQueue) {
    lastQueue = queue;
    lastQueueJson = json(queue);
  }
  return lastQueueJson;
}

/** The primary key's values as JSON text, itself as JSON: `"[1234]"`. */
function primaryKeyOf(row: ResultRow): string {
  const paths = row.stream.primary_key;
  if (paths === undefined || paths.length === 0) return "null";
  if (paths.length === 1) {
    const value = readFieldPath(row.data, paths[0]!);
    if (typeof value === "number" && Number.isFinite(value)) return `"[${value}]"`;
  }
  return json(JSON.stringify(paths.map((path) => readFieldPath(row.data, path) ?? null)));
}

/** A line's start, `{"sync_id":…` up to `"primary_key":`, and the millisecond it was decided in. */
interface Start {
  ms: number;
  ids: RunIds;
  text: string;
}

/** Per stream and outcome, the last line start made: rows decided in the same millisecond share it. */
const starts = new WeakMap<ConfiguredStream, Partial<Record<ResultOutcome, Start>>>();

function startOf(ids: RunIds, outcome: ResultOutcome, stream: ConfiguredStream): string {
  const ms = Date.now();
  let ofStream = starts.get(stream);
  if (ofStream === undefined) {
    ofStream = {};
    starts.set(stream, ofStream);
  }
  const last = ofStream[outcome];
  if (last !== undefined && last.ms === ms && last.ids === ids) return last.text;
  const text =
    `{"sync_id":${json(ids.syncId)},"run_id":${json(ids.runId)},"recorded_at":"${new Date(ms).toISOString()}",` +
    `"outcome":"${outcome}","namespace":${json(stream.stream.namespace)},"stream":${json(stream.stream.name)},"primary_key":`;
  ofStream[outcome] = { ms, ids, text };
  return text;
}

/**
 * The keys every outcome has values for, in ResultLine's order, up to `message_id`; each outcome
 * writes the rest, with its nulls as constant text. Lines are written out directly, not built as an
 * object and stringified: at a result per row, that costs a measurable share of a sync's CPU.
 */
function head(ids: RunIds, outcome: ResultOutcome, row: ResultRow): string {
  return `${startOf(ids, outcome, row.stream)}${primaryKeyOf(row)},"change":${row.change === undefined ? "null" : CHANGE_JSON[row.change]},"message_id":${json(row.messageId)}`;
}

/** A rejected row, with the record as it came in, so that it can be sent again. */
export function rejectedLine(ids: RunIds, row: ResultRow, rejection: Rejection): string {
  return (
    `${head(ids, "rejected", row)},"queue":${queueJson(rejection.queue)},` +
    `"sqs_message_id":null,"sequence_number":null,"bytes":null,"s3_pointer":null,` +
    `"rejected_reason":${json(rejection.reason)},"rejected_message":${json(rejection.message)},"skipped_reason":null,` +
    `"data":${json(JSON.stringify(row.data))},"emitted_at":${json(row.emittedAt)},` +
    `"meta":${row.meta === undefined ? "null" : json(JSON.stringify(row.meta))}}`
  );
}

export function publishedLine(ids: RunIds, row: ResultRow, publication: Publication): string {
  const { receipt } = publication;
  return (
    `${head(ids, "published", row)},"queue":${queueJson(publication.queue)},"sqs_message_id":${json(receipt.sqsMessageId)},` +
    `"sequence_number":${json(receipt.sequenceNumber)},"bytes":${json(publication.bytes)},"s3_pointer":${json(receipt.offloadedTo)},` +
    `"rejected_reason":null,"rejected_message":null,"skipped_reason":null,"data":null,"emitted_at":null,"meta":null}`
  );
}

/** A row skipped by the `events` filter, or unchanged since the snapshot. */
export function skippedLine(ids: RunIds, row: ResultRow, reason: "event_filter" | "unchanged"): string {
  const unchanged = reason === "unchanged";
  return (
    `${head(ids, unchanged ? "unchanged" : "skipped", row)},"queue":null,"sqs_message_id":null,"sequence_number":null,"bytes":null,"s3_pointer":null,` +
    `"rejected_reason":null,"rejected_message":null,"skipped_reason":${unchanged ? "null" : `"${reason}"`},"data":null,"emitted_at":null,"meta":null}`
  );
}
