// S3 buckets on the emulators, pods for the connector, and syncs with a snapshot store in S3.
import assert from "node:assert/strict";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { JournalEntry } from "../../src/changes/snapshot/home.js";
import { catalogOf, recordLine, stateLine } from "./airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./cli.js";
import { emulatorConfigFile, uniqueQueueName, type Emulator } from "./emulators.js";
import { createBucket as createNamedBucket, testS3Client as s3Client } from "./s3.js";
import { tempDirectory } from "./temp-directory.js";

let bucketCounter = 0;

/** Creates a bucket with a name no other test uses and returns its name. */
export async function createBucket(endpoint: string): Promise<string> {
  const bucket = `snapshots-${process.pid}-${++bucketCounter}`;
  const s3 = s3Client(endpoint);
  try {
    await createNamedBucket(s3, bucket);
  } finally {
    s3.destroy();
  }
  return bucket;
}

/** The keys under `prefix`, sorted. */
export async function listKeys(endpoint: string, bucket: string, prefix: string): Promise<string[]> {
  const s3 = s3Client(endpoint);
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])).sort();
  } finally {
    s3.destroy();
  }
}

/** The text of an object. */
export async function readObject(endpoint: string, bucket: string, key: string): Promise<string> {
  const s3 = s3Client(endpoint);
  try {
    const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await output.Body?.transformToString()) ?? "";
  } finally {
    s3.destroy();
  }
}

/** A fresh HOME and TMPDIR, as a new pod would have: nothing of an earlier sync is left on disk. */
export function freshPodEnv(extra: Record<string, string> = {}): Record<string, string> {
  const root = tempDirectory("pod");
  return { HOME: root, TMPDIR: root, ...extra };
}

export type Row = Record<string, unknown> & { id: number };

export interface Published {
  change: string;
  row: Row;
}

export const BODY = '{"change":"{{ change }}","row":{{ row | json }}}';

export const STREAM = "orders";

/** A full_refresh catalog of the stream, keyed by id. */
export const fullRefresh = writeTempJson(catalogOf([{ name: STREAM, primaryKey: [["id"]], syncMode: "full_refresh" }]));

export function order(id: number, status: string): Row {
  return { id, status };
}

export function inputOf(rows: Row[]): string {
  return [...rows.map((row) => recordLine(STREAM, row)), stateLine({ done: true })].join("\n") + "\n";
}

export function sortPublished(messages: Published[]): Published[] {
  const rank = { added: 0, changed: 1, removed: 2 } as Record<string, number>;
  return messages.sort((a, b) => (rank[a.change] ?? 9) - (rank[b.change] ?? 9) || a.row.id - b.row.id);
}

export function logsOf(result: CliResult): string[] {
  return result.messages.flatMap((message) => (message.type === "LOG" ? [message.log.message] : []));
}

/** A queue and an S3 prefix; each sync runs as in a new pod (fresh HOME and TMPDIR). */
export async function s3Connection(
  emulator: Emulator,
  snapshot: Record<string, unknown> = {},
  options: { storeEndpoint?: string; settings?: Record<string, unknown> } = {},
) {
  const queueName = uniqueQueueName("s3-snapshot");
  const queueUrl = await emulator.createQueue(queueName);
  const bucket = await createBucket(emulator.endpoint);
  const prefix = `destination-sqs/${queueName}/`;
  const store = { type: "s3", bucket, prefix, endpoint: options.storeEndpoint ?? emulator.endpoint, force_path_style: true };
  const configFile = (extraSnapshot: Record<string, unknown> = {}): string =>
    emulatorConfigFile(emulator.endpoint, {
      ...options.settings,
      queue: { source: "static", value: queueName },
      message_body: { format: "template", template: BODY },
      change_detection: { mode: "snapshot", store, ...snapshot, ...extraSnapshot },
    });
  return {
    endpoint: emulator.endpoint,
    bucket,
    prefix,
    configFile,
    async run(
      input: string,
      options: { catalog?: string | undefined; snapshot?: Record<string, unknown>; env?: Record<string, string> } = {},
    ): Promise<CliResult> {
      return runCli(["write", "--config", configFile(options.snapshot), "--catalog", options.catalog ?? fullRefresh], {
        stdin: input,
        env: freshPodEnv(options.env),
      });
    },
    async sync(input: string, options: { catalog?: string; snapshot?: Record<string, unknown> } = {}): Promise<CliResult> {
      const result = await this.run(input, options);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      return result;
    },
    async published(expected?: number): Promise<Published[]> {
      const received = await emulator.receiveAll(queueUrl, expected === undefined ? {} : { expected });
      return sortPublished(received.map((message) => JSON.parse(message.body) as Published));
    },
  };
}

export type Connection = Awaited<ReturnType<typeof s3Connection>>;

/** Every entry a journal read yields, in order. */
export async function journalEntries(read: AsyncIterable<JournalEntry>): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  for await (const entry of read) entries.push(entry);
  return entries;
}
