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
let clockText = "";

/** The time as ISO 8601: formatted once per millisecond, however many rows share it. */
function now(): string {
  const ms = Date.now();
  if (ms !== clockMs) {
    clockMs = ms;
    clockText = new Date(ms).toISOString();
  }
  return clockText;
}

function primaryKeyOf(row: ResultRow): string | null {
  const paths = row.stream.primary_key;
  if (paths === undefined || paths.length === 0) return null;
  return JSON.stringify(paths.map((path) => readFieldPath(row.data, path) ?? null));
}

/** Every key in ResultLine's order, so that every line has the same shape. */
function line(ids: RunIds, outcome: ResultOutcome, row: ResultRow): ResultLine {
  return {
    sync_id: ids.syncId,
    run_id: ids.runId,
    recorded_at: now(),
    outcome,
    namespace: row.stream.stream.namespace ?? null,
    stream: row.stream.stream.name,
    primary_key: primaryKeyOf(row),
    change: row.change ?? null,
    message_id: row.messageId ?? null,
    queue: null,
    sqs_message_id: null,
    sequence_number: null,
    bytes: null,
    s3_pointer: null,
    rejected_reason: null,
    rejected_message: null,
    skipped_reason: null,
    data: null,
    emitted_at: null,
    meta: null,
  };
}

/** A rejected row, with the record as it came in, so that it can be sent again. */
export function rejectedLine(ids: RunIds, row: ResultRow, rejection: Rejection): ResultLine {
  const result = line(ids, "rejected", row);
  result.queue = rejection.queue ?? null;
  result.rejected_reason = rejection.reason;
  result.rejected_message = rejection.message;
  result.data = JSON.stringify(row.data);
  result.emitted_at = row.emittedAt ?? null;
  result.meta = row.meta === undefined ? null : JSON.stringify(row.meta);
  return result;
}

export function publishedLine(ids: RunIds, row: ResultRow, publication: Publication): ResultLine {
  const result = line(ids, "published", row);
  const { receipt } = publication;
  result.queue = publication.queue;
  result.bytes = publication.bytes;
  result.sqs_message_id = receipt.sqsMessageId ?? null;
  result.sequence_number = receipt.sequenceNumber ?? null;
  result.s3_pointer = receipt.offloadedTo ?? null;
  return result;
}

/** A row skipped by the `events` filter, or unchanged since the snapshot. */
export function skippedLine(ids: RunIds, row: ResultRow, reason: "event_filter" | "unchanged"): ResultLine {
  if (reason === "unchanged") return line(ids, "unchanged", row);
  const result = line(ids, "skipped", row);
  result.skipped_reason = reason;
  return result;
}
