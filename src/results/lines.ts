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

let clockMs = 0;
let clockJson = "";

/** The time as a JSON string of ISO 8601: formatted once per millisecond, however many rows share it. */
function nowJson(): string {
  const ms = Date.now();
  if (ms !== clockMs) {
    clockMs = ms;
    clockJson = `"${new Date(ms).toISOString()}"`;
  }
  return clockJson;
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

/** The primary key's values as JSON text, itself as JSON: `"[1234]"`. */
function primaryKeyOf(row: ResultRow): string {
  const paths = row.stream.primary_key;
  if (paths === undefined || paths.length === 0) return "null";
  return json(JSON.stringify(paths.map((path) => readFieldPath(row.data, path) ?? null)));
}

/** `{"sync_id":…,"run_id":…`, the same on every line of a run: serialised once. */
const runKeys = new WeakMap<RunIds, string>();

function runKeysOf(ids: RunIds): string {
  let text = runKeys.get(ids);
  if (text === undefined) {
    text = `{"sync_id":${json(ids.syncId)},"run_id":${json(ids.runId)}`;
    runKeys.set(ids, text);
  }
  return text;
}

/** `"namespace":…,"stream":…`, the same on every line of a stream: serialised once. */
const streamKeys = new WeakMap<ConfiguredStream, string>();

function streamKeysOf(stream: ConfiguredStream): string {
  let text = streamKeys.get(stream);
  if (text === undefined) {
    text = `"namespace":${json(stream.stream.namespace)},"stream":${json(stream.stream.name)}`;
    streamKeys.set(stream, text);
  }
  return text;
}

/**
 * The keys every outcome has values for, in ResultLine's order, up to `message_id`; each outcome
 * writes the rest, with its nulls as constant text. Lines are written out directly, not built as an
 * object and stringified: at a result per row, that costs a measurable share of a sync's CPU.
 */
function head(ids: RunIds, outcome: ResultOutcome, row: ResultRow): string {
  return (
    `${runKeysOf(ids)},"recorded_at":${nowJson()},"outcome":"${outcome}",${streamKeysOf(row.stream)},` +
    `"primary_key":${primaryKeyOf(row)},"change":${json(row.change)},"message_id":${json(row.messageId)}`
  );
}

/** A rejected row, with the record as it came in, so that it can be sent again. */
export function rejectedLine(ids: RunIds, row: ResultRow, rejection: Rejection): string {
  return (
    `${head(ids, "rejected", row)},"queue":${json(rejection.queue)},` +
    `"sqs_message_id":null,"sequence_number":null,"bytes":null,"s3_pointer":null,` +
    `"rejected_reason":${json(rejection.reason)},"rejected_message":${json(rejection.message)},"skipped_reason":null,` +
    `"data":${json(JSON.stringify(row.data))},"emitted_at":${json(row.emittedAt)},` +
    `"meta":${row.meta === undefined ? "null" : json(JSON.stringify(row.meta))}}`
  );
}

export function publishedLine(ids: RunIds, row: ResultRow, publication: Publication): string {
  const { receipt } = publication;
  return (
    `${head(ids, "published", row)},"queue":${json(publication.queue)},"sqs_message_id":${json(receipt.sqsMessageId)},` +
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
