// The redrive command: a sync's rejected rows, read back from object_storage_config, sent again
// through the current configuration, each as the change it was recorded with; no STATE, no snapshot.
import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { recordedChangeDetector } from "../changes/recorded.js";
import type { ChangeDetector } from "../changes/types.js";
import type { ChangeType, Config, ObjectStorageS3 } from "../config/types.js";
import { UserFacingError } from "../errors.js";
import { streamKey, streamLabel, type ConfiguredStream } from "../protocol/messages.js";
import type { MessageWriter } from "../protocol/output.js";
import { syncPrefix } from "../results/format.js";
import { readSyncResults, type ResultRead, type ResultsBucket } from "../results/read.js";
import { LatestResults } from "../results/rejected-rows.js";

/** What the redrive command was asked for. */
export interface RedriveRequest {
  syncId: string;
  stream?: string | undefined;
  dryRun: boolean;
}

/** The rows to send again: each as an input line of write's, with the change it was recorded with. */
export interface RedriveRows {
  /** How many results files were read, and how many lines they held. */
  files: number;
  results: number;
  /** One RECORD line per row; row `n`'s change is `changes[n - 1]`. */
  lines: string[];
  changes: (ChangeType | null)[];
}

interface RedriveOptions {
  request: RedriveRequest;
  config: Config;
  catalog: Map<string, ConfiguredStream>;
  /** Where the sync's results are, and the client of their bucket. */
  results: ResultsBucket & { s3: S3Client };
  writer: MessageWriter;
  /** Sends the rows (or, with --dry-run, shows them), deciding each row's change with `detector`. */
  send(rows: RedriveRows, detector: ChangeDetector): Promise<RedriveCounts>;
}

/** Runs a redrive; its exit status: 0 only when every row was sent (or, with --dry-run, would be). */
export async function runRedrive(options: RedriveOptions): Promise<0 | 1> {
  const { request, results, writer } = options;
  const rows = await rejectedRows(readSyncResults(results.s3, results, request), { bucket: results.bucket, catalog: options.catalog });
  const where = `s3://${results.bucket}/${syncPrefix(results.bucketPath, request.syncId)}`;
  if (rows.files === 0) {
    await writer.log(
      "WARN",
      `No results files were found under ${where}: nothing to redrive. --sync names the sync's folder under object_storage_config.bucket_path.`,
    );
    return 0;
  }
  await writer.log("INFO", `Read ${rows.results} results from ${rows.files} files under ${where}: ${rows.lines.length} rows to redrive.`);
  const counts =
    rows.lines.length === 0
      ? { sent: 0, rejected: 0, skipped: 0 }
      : await options.send(rows, recordedChangeDetector(rows.changes, options.config));
  const outcome = redriveOutcome(request, rows, counts);
  await writer.log(outcome.level, outcome.message);
  return outcome.exitCode;
}

/** The rows' lines as write and preview read their input. */
export function redriveInput(rows: RedriveRows): Readable {
  return Readable.from(rows.lines.map((line) => Buffer.from(`${line}\n`)));
}

/** object_storage_config's bucket, which redrive reads the sync's results from. */
export function resultsStorage(config: Config): ObjectStorageS3 {
  // A configuration written before object_storage_config existed has none.
  const storage = config.object_storage_config as Config["object_storage_config"] | undefined;
  if (storage?.storage_type === "S3") return storage;
  throw new UserFacingError(
    'Redrive reads a sync\'s rejected rows from object_storage_config, which is not "S3" in this configuration: ' +
      "set object_storage_config to the bucket the syncs wrote their results to.",
  );
}

/**
 * The rows of the sync whose latest result is a rejection, turned back into the records they were.
 * A row of a stream the catalog lacks stops the redrive before anything is sent.
 */
async function rejectedRows(
  results: AsyncIterable<ResultRead>,
  where: { bucket: string; catalog: Map<string, ConfiguredStream> },
): Promise<RedriveRows> {
  const latest = new LatestResults();
  const files = new Set<string>();
  let count = 0;
  for await (const read of results) {
    files.add(read.key);
    count++;
    latest.add(read);
  }
  const rows: RedriveRows = { files: files.size, results: count, lines: [], changes: [] };
  for (const read of latest.rejected()) {
    const { result } = read;
    if (!where.catalog.has(streamKey(result.stream, result.namespace))) {
      throw new UserFacingError(
        `Line ${read.lineNumber} of the results file s3://${where.bucket}/${read.key} is a rejected row of stream ` +
          `"${streamLabel(result.stream, result.namespace)}", which is not in the catalog: pass the catalog that has it, or --stream to redrive the other streams.`,
      );
    }
    rows.lines.push(recordLine(read));
    rows.changes.push(result.change);
  }
  return rows;
}

/** The RECORD input line of a rejected row: its data and meta as recorded (JSON text, checked when read). */
function recordLine({ result }: ResultRead): string {
  const namespace = result.namespace === null ? "" : `,"namespace":${JSON.stringify(result.namespace)}`;
  const meta = result.meta === null ? "" : `,"meta":${result.meta}`;
  return `{"type":"RECORD","record":{"stream":${JSON.stringify(result.stream)}${namespace},"data":${result.data},"emitted_at":${result.emitted_at}${meta}}}`;
}

/** What became of the redriven rows. */
export interface RedriveCounts {
  sent: number;
  rejected: number;
  /** Left out by the `events` setting. */
  skipped: number;
}

/** The closing line of a redrive, and its exit status. */
function redriveOutcome(
  request: RedriveRequest,
  rows: RedriveRows,
  counts: RedriveCounts,
): { level: "INFO" | "WARN"; message: string; exitCode: 0 | 1 } {
  const complete = counts.sent === rows.lines.length;
  const found = `${rows.lines.length} rejected row${rows.lines.length === 1 ? "" : "s"} in ${rows.files} results file${rows.files === 1 ? "" : "s"}`;
  const sent = request.dryRun ? `${counts.sent} would be sent` : `${counts.sent} sent`;
  const left = counts.skipped > 0 ? `, ${counts.skipped} left out by the events setting` : "";
  const what = `Redrive of sync ${JSON.stringify(request.syncId)}${request.stream === undefined ? "" : `, stream "${request.stream}"`}`;
  const message =
    `${what}: ${found}; ${sent}, ${counts.rejected} still rejected${left}.` +
    (request.dryRun ? " Nothing was sent (--dry-run)." : "") +
    (complete ? "" : " Fix the configuration for the reasons logged above and redrive again: only rows still rejected are sent again.");
  return { level: complete ? "INFO" : "WARN", message, exitCode: complete ? 0 : 1 };
}
