// Snapshot store in S3: the time to commit (copy, compress, upload) and to load (lock, download,
// decompress, open) the snapshot of N rows, and the bytes stored per row, on fauxqs's S3; and what
// journaling N published rows costs (time to write every chunk, requests, bytes).
//
//   node --import tsx bench/snapshot-s3.ts [--rows 1000000]
//
// run.ts runs it too and adds its table to bench/results.md.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CreateBucketCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { startFauxqs } from "fauxqs";
import { createAwsClients } from "../src/aws/clients.js";
import type { NotedEntry } from "../src/changes/snapshot/home.js";
import { S3SnapshotHome, type S3SnapshotOptions } from "../src/changes/snapshot/s3/home.js";
import { SnapshotStore } from "../src/changes/snapshot/store.js";
import { validateConfig } from "../src/config/load.js";
import { recordData } from "./input.js";

export interface SnapshotS3Result {
  rows: number;
  commitMs: number;
  loadMs: number;
  storedBytes: number;
  /** Noting every row in the journal and writing all its chunks. */
  journalMs: number;
  journalObjects: number;
  journalBytes: number;
}

export async function measureSnapshotInS3(rows: number): Promise<SnapshotS3Result> {
  const server = await startFauxqs({ port: 0, logger: false });
  const endpoint = server.address;
  const settings = { bucket: "bench-snapshots", prefix: "destination-sqs/bench/", endpoint, force_path_style: true };
  const config = validateConfig(
    {
      region: "us-east-1",
      endpoint,
      credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "test" },
      queue: { source: "static", value: "bench" },
      change_detection: { mode: "snapshot", store: { type: "s3", ...settings } },
    },
    "the bench config",
  );
  const s3 = createAwsClients(config).s3(settings);
  const scratch = mkdtempSync(join(tmpdir(), "destination-sqs-bench-s3-"));
  const options: S3SnapshotOptions = {
    s3,
    config,
    settings,
    dryRun: false,
    timing: { commitEveryMs: 3_600_000, leaseMs: 3_600_000 },
    log: async () => undefined,
  };
  try {
    await s3.send(new CreateBucketCommand({ Bucket: settings.bucket }));
    const home = await S3SnapshotHome.open(options);
    const store = SnapshotStore.open(home.path, { reset: false, dryRun: false, rowSaved: () => undefined });
    const stream = store.stream("users", null);
    for (let id = 1; id <= rows; id++) store.save(stream.id, `[${id}]`, "", JSON.stringify(recordData(id, 1000)), false);

    // As a backfill would: every row noted as added, and (as the write pipeline holds at most a few
    // thousand messages) the oldest waiting for its chunk once 4,000 are. Making the rows is not timed.
    let journalMs = 0;
    const waiting: NotedEntry[] = [];
    const settle = async (entry: NotedEntry | undefined): Promise<void> => {
      await entry?.durable;
      entry?.settled();
    };
    for (let id = 1; id <= rows; id++) {
      const data = JSON.stringify(recordData(id, 1000));
      const start = performance.now();
      waiting.push(home.journal!.note({ namespace: "", stream: "users", key: `[${id}]`, change: "added", data }));
      if (waiting.length > 4000) await settle(waiting.shift());
      journalMs += performance.now() - start;
    }
    const drainStart = performance.now();
    await Promise.all(waiting.map(settle));
    journalMs += performance.now() - drainStart;
    const journals = await s3.send(
      new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: `${settings.prefix}journal/`, MaxKeys: 100_000 }),
    );
    const journalBytes = (journals.Contents ?? []).reduce((sum, object) => sum + (object.Size ?? 0), 0);

    const commitStart = performance.now();
    await home.finish(store);
    const commitMs = performance.now() - commitStart;

    const loadStart = performance.now();
    const loaded = await S3SnapshotHome.open(options);
    const reopened = SnapshotStore.open(loaded.path, { reset: false, dryRun: false, rowSaved: () => undefined });
    const loadMs = performance.now() - loadStart;
    await loaded.finish(reopened);

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: `${settings.prefix}snapshots/` }));
    const storedBytes = (listed.Contents ?? []).reduce((sum, object) => sum + (object.Size ?? 0), 0);
    return { rows, commitMs, loadMs, storedBytes, journalMs, journalObjects: journals.KeyCount ?? 0, journalBytes };
  } finally {
    s3.destroy();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function snapshotS3Table(result: SnapshotS3Result): string {
  const fmt = (value: number, digits = 0): string =>
    value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return [
    "| snapshot in S3 (fauxqs) | rows | commit s (copy, gzip, upload) | load s (lock, download, gunzip, open) | stored MB | bytes / row |",
    "|---|---:|---:|---:|---:|---:|",
    `| ~250-byte rows, whole rows stored | ${fmt(result.rows)} | ${fmt(result.commitMs / 1000, 2)} | ${fmt(result.loadMs / 1000, 2)} | ${fmt(result.storedBytes / 1e6, 1)} | ${fmt(result.storedBytes / result.rows, 1)} |`,
    "",
    "| journal in S3 (fauxqs) | rows published | s to note and write them all | PUT requests | MB | bytes / row |",
    "|---|---:|---:|---:|---:|---:|",
    `| ~250-byte rows, all added | ${fmt(result.rows)} | ${fmt(result.journalMs / 1000, 2)} | ${fmt(result.journalObjects)} | ${fmt(result.journalBytes / 1e6, 1)} | ${fmt(result.journalBytes / result.rows, 1)} |`,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const index = process.argv.indexOf("--rows");
  const rows = index < 0 ? 1_000_000 : Number(process.argv[index + 1]);
  process.stdout.write(`${snapshotS3Table(await measureSnapshotInS3(rows))}\n`);
}
