import type { ChangeType } from "../config/types.js";

/** What became of one row. */
export type ResultOutcome = "published" | "rejected" | "skipped" | "unchanged";

/**
 * One line of a results file: gzip-compressed JSON Lines, one object per row that reached a
 * decision. Every key is always present (null where it does not apply), so Athena, DuckDB and
 * Spark infer one schema for every file. Values that vary in shape (the row's data, its key, its
 * Airbyte meta) are JSON text, so the schema never depends on the rows.
 */
export interface ResultLine {
  /** The catalog's sync_id, or the run's own id when the catalog has none. */
  sync_id: string;
  /** The run (one write, or one redrive) that decided the outcome: a row published twice has two results. */
  run_id: string;
  /** ISO 8601, UTC, when the outcome was decided. */
  recorded_at: string;
  outcome: ResultOutcome;
  namespace: string | null;
  stream: string;
  /** The primary key's values, as a JSON array; null for streams without one. */
  primary_key: string | null;
  change: ChangeType | null;
  message_id: string | null;
  /** The target queue's URL (or name, when it never resolved). */
  queue: string | null;
  sqs_message_id: string | null;
  sequence_number: string | null;
  bytes: number | null;
  /** `s3://bucket/key` of a body offloaded under `large_messages`. */
  s3_pointer: string | null;
  /** A stable code (see REJECTED_REASONS in the results writer), for queries. */
  rejected_reason: string | null;
  /** What the connector says of the rejection in its logs. */
  rejected_message: string | null;
  skipped_reason: string | null;
  /** Rejected rows only: the record as it came in, so that redrive can send it again. */
  data: string | null;
  emitted_at: number | null;
  meta: string | null;
}

/** The folder of a namespace-less stream: every results key has the same depth, for partitioned tables. */
export const NO_NAMESPACE_FOLDER = "no_namespace";

function folder(name: string): string {
  return encodeURIComponent(name);
}

/** `<bucket_path>/`: every sync's results ("" for the bucket's top level). */
export function resultsRoot(bucketPath: string): string {
  const base = bucketPath.replace(/^\/+|\/+$/g, "");
  return base === "" ? "" : `${base}/`;
}

/** `<bucket_path>/<sync_id>/`: every result of one sync, in Airbyte's layout. */
export function syncPrefix(bucketPath: string, syncId: string): string {
  return `${resultsRoot(bucketPath)}${folder(syncId)}/`;
}

/** `<bucket_path>/<sync_id>/<namespace>/<stream>/`. */
export function streamPrefix(bucketPath: string, syncId: string, namespace: string | undefined, stream: string): string {
  return `${syncPrefix(bucketPath, syncId)}${folder(namespace ?? NO_NAMESPACE_FOLDER)}/${folder(stream)}/`;
}

/** A results file's name, as Airbyte names its files: `{YYYY_MM_DD}_{epoch ms}_{part}.jsonl.gz`. */
export function partName(at: Date, part: number): string {
  const day = at.toISOString().slice(0, 10).replaceAll("-", "_");
  return `${day}_${at.getTime()}_${part}.jsonl.gz`;
}

/** Beside the stream folders: the run's summary (status, counts, files), written at start and at the end. */
export function summaryKey(bucketPath: string, syncId: string, runId: string): string {
  return `${syncPrefix(bucketPath, syncId)}_sync_summary_${folder(runId)}.json`;
}
