// The sync results a run wrote to its bucket, downloaded and read back with DuckDB, as a user reads them.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { testS3Client } from "./s3.js";
import { listKeys } from "./snapshot-s3.js";
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

/** Copies every object under `prefix` into a new directory, keeping their keys as paths; returns the directory. */
export async function downloadObjects(endpoint: string, bucket: string, prefix: string): Promise<string> {
  const directory = tempDirectory("results");
  const s3 = testS3Client(endpoint);
  try {
    for (const key of await listKeys(endpoint, bucket, prefix)) {
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
