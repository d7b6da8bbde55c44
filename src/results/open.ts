import { randomUUID } from "node:crypto";
import type { AwsClients } from "../aws/clients.js";
import type { Config } from "../config/types.js";
import type { ConfiguredStream } from "../protocol/messages.js";
import { resultsWriteFailure } from "./errors.js";
import { summaryKey } from "./format.js";
import { ResultParts } from "./parts.js";
import { SyncResults } from "./recorder.js";
import { RunSummaryObject } from "./run-summary.js";

/** A new id for one run (a write, or a redrive): every result it records names it. */
export function newRunId(): string {
  return randomUUID();
}

/** The catalog's sync_id (Airbyte's job id, the same on every stream), or the run's own id when it has none. */
export function syncIdOf(catalog: Map<string, ConfiguredStream>, runId: string): string {
  for (const stream of catalog.values()) if (stream.sync_id !== undefined) return String(stream.sync_id);
  return runId;
}

/**
 * The recorder of a run's outcomes when object_storage_config stores them (undefined with
 * "None", which costs nothing), under the catalog's sync unless `run.syncId` names another (redrive
 * records under the sync it redrives). Writes the run's summary as "running" first, which proves the
 * bucket before a row is read; fails as the sync would on a bucket that refuses it.
 */
export async function openSyncResults(
  config: Config,
  catalog: Map<string, ConfiguredStream>,
  clients: Pick<AwsClients, "resultsS3">,
  run: { runId: string; syncId?: string | undefined },
): Promise<SyncResults | undefined> {
  const storage = config.object_storage_config;
  if (storage.storage_type !== "S3") return undefined;
  const s3 = clients.resultsS3(storage);
  const { runId } = run;
  const syncId = run.syncId ?? syncIdOf(catalog, runId);
  const startedAt = new Date();
  const bucket = storage.s3_bucket_name;
  const summary = new RunSummaryObject(s3, bucket, summaryKey(storage.bucket_path, syncId, runId), {
    sync_id: syncId,
    run_id: runId,
    sync_results: config.sync_results,
    started_at: startedAt.toISOString(),
  });
  await summary.start().catch((error: unknown) => {
    throw resultsWriteFailure(error, storage, summary.key, config);
  });
  const parts = new ResultParts({
    s3,
    bucket,
    bucketPath: storage.bucket_path,
    syncId,
    startedAt,
    failure: (error, key) => resultsWriteFailure(error, storage, key, config),
  });
  return new SyncResults(parts, summary, { syncId, runId }, config.sync_results);
}
