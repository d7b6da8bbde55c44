// The sync results a run wrote to its bucket, downloaded and read back with DuckDB, as a user reads them.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { TEST_CREDENTIALS, TEST_REGION } from "./config.js";
import { type Emulator, emulatorConfigFile, uniqueQueueName } from "./emulators.js";
import type { IamAccessKey } from "./iam.js";
import { createBucket } from "./snapshot-s3.js";
import { tempDirectory } from "./temp-directory.js";

/** object_storage_config for the results bucket on an emulator (path style, as fauxqs and moto serve S3). */
export function resultsStorage(endpoint: string, bucket: string, bucketPath = "results"): Record<string, unknown> {
  return {
    storage_type: "S3",
    s3_bucket_name: bucket,
    s3_bucket_region: "us-east-1",
    bucket_path: bucketPath,
    s3_endpoint: endpoint,
    force_path_style: true,
  };
}

/**
 * A queue, a results bucket, and a config file that sends to the one and records in the other: the
 * body is the column `payload` (a row whose payload is not JSON is rejected) and rejected rows are
 * skipped, unless `settings` says otherwise.
 */
export async function resultsSetup(
  emulator: Emulator,
  name: string,
  settings: Record<string, unknown> = {},
): Promise<{ queue: string; bucket: string; config: string }> {
  const queue = uniqueQueueName(name);
  await emulator.createQueue(queue);
  const bucket = await createBucket(emulator.endpoint);
  const config = emulatorConfigFile(emulator.endpoint, {
    queue: { source: "static", value: queue },
    message_body: { format: "column", column: "payload" },
    rejected_rows: { policy: "skip" },
    object_storage_config: resultsStorage(emulator.endpoint, bucket),
    ...settings,
  });
  return { queue, bucket, config };
}

/**
 * Copies every object under `prefix` into a new directory, keeping their keys as paths; returns the
 * directory. `credentials`: a key allowed to read the bucket, where the emulator enforces IAM.
 */
export async function downloadObjects(endpoint: string, bucket: string, prefix: string, credentials?: IamAccessKey): Promise<string> {
  const directory = tempDirectory("results");
  const s3 = new S3Client({ region: TEST_REGION, endpoint, forcePathStyle: true, credentials: credentials ?? TEST_CREDENTIALS });
  try {
    // Listed whole and filtered here: moto 5.2 with IAM enforcement miscomputes the signature of a Prefix holding "/".
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const { Key: key } of listed.Contents ?? []) {
      if (key === undefined || !key.startsWith(prefix)) continue;
      const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const path = join(directory, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await output.Body!.transformToByteArray());
    }
  } finally {
    s3.destroy();
  }
  return directory;
}

/** Runs `sql` in DuckDB, where `results` is a view of every .jsonl.gz file under `directory`. */
export async function queryResults(directory: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run(
      `CREATE VIEW results AS SELECT * FROM read_json('${directory}/**/*.jsonl.gz', format = 'newline_delimited', compression = 'gzip', union_by_name = true)`,
    );
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The run summaries (`_sync_summary_<run id>.json`) under `directory`, parsed. */
export function runSummaries(directory: string): Record<string, unknown>[] {
  return readdirSync(directory, { recursive: true, encoding: "utf8" })
    .filter((path) => /(^|\/)_sync_summary_[^/]+\.json$/.test(path))
    .map((path) => JSON.parse(readFileSync(join(directory, path), "utf8")) as Record<string, unknown>);
}
