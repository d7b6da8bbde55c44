// Each outcome as the ResultLine a results file holds (src/results/format.ts).

import type { ChangeType } from "../config/types.js";
import type { Receipt } from "../delivery/types.js";
import type { ConfiguredStream } from "../protocol/messages.js";
import { readFieldPath } from "../compose/paths.js";
import type { ResultLine, ResultOutcome } from "./format.js";
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

function json(value: string | number | null | undefined): string {
  return value === undefined || value === null ? "null" : JSON.stringify(value);
}

function primaryKeyOf(row: ResultRow): string | null {
  const paths = row.stream.primary_key;
  if (paths === undefined || paths.length === 0) return null;
  return JSON.stringify(paths.map((path) => readFieldPath(row.data, path) ?? null));
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

/** What only some outcomes have; the rest of their keys are null. */
type Detail = Partial<
  Pick<
    ResultLine,
    Exclude<
      keyof ResultLine,
      "sync_id" | "run_id" | "recorded_at" | "outcome" | "namespace" | "stream" | "primary_key" | "change" | "message_id"
    >
  >
>;

/**
 * One line of JSON in ResultLine's key order, written out directly: at a result per row, building
 * an object and stringifying it costs a measurable share of a sync's CPU.
 */
function line(ids: RunIds, outcome: ResultOutcome, row: ResultRow, detail: Detail): string {
  return (
    `${runKeysOf(ids)},"recorded_at":${nowJson()},"outcome":"${outcome}",` +
    `${streamKeysOf(row.stream)},"primary_key":${json(primaryKeyOf(row))},"change":${json(row.change)},` +
    `"message_id":${json(row.messageId)},"queue":${json(detail.queue)},"sqs_message_id":${json(detail.sqs_message_id)},` +
    `"sequence_number":${json(detail.sequence_number)},"bytes":${json(detail.bytes)},"s3_pointer":${json(detail.s3_pointer)},` +
    `"rejected_reason":${json(detail.rejected_reason)},"rejected_message":${json(detail.rejected_message)},` +
    `"skipped_reason":${json(detail.skipped_reason)},"data":${json(detail.data)},"emitted_at":${json(detail.emitted_at)},` +
    `"meta":${json(detail.meta)}}`
  );
}

/** A rejected row, with the record as it came in, so that it can be sent again. */
export function rejectedLine(ids: RunIds, row: ResultRow, rejection: Rejection): string {
  return line(ids, "rejected", row, {
    queue: rejection.queue ?? null,
    rejected_reason: rejection.reason,
    rejected_message: rejection.message,
    data: JSON.stringify(row.data),
    emitted_at: row.emittedAt ?? null,
    meta: row.meta === undefined ? null : JSON.stringify(row.meta),
  });
}

export function publishedLine(ids: RunIds, row: ResultRow, publication: Publication): string {
  const { receipt } = publication;
  return line(ids, "published", row, {
    queue: publication.queue,
    bytes: publication.bytes,
    sqs_message_id: receipt.sqsMessageId ?? null,
    sequence_number: receipt.sequenceNumber ?? null,
    s3_pointer: receipt.offloadedTo ?? null,
  });
}

/** A row skipped by the `events` filter, or unchanged since the snapshot. */
export function skippedLine(ids: RunIds, row: ResultRow, reason: "event_filter" | "unchanged"): string {
  if (reason === "unchanged") return line(ids, "unchanged", row, {});
  return line(ids, "skipped", row, { skipped_reason: reason });
}
