// The redrive scenarios' setup: a queue, a bucket with a sync's results files, and the fixed configuration.
import type { AirbyteMessage } from "../../src/protocol/messages.js";
import { catalogOf } from "./airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./cli.js";
import { emulatorConfigFile, uniqueQueueName, type Emulator } from "./emulators.js";
import { putObject, rejectedRow, resultLine, resultsFile, resultsKey } from "./results.js";
import { createBucket, testS3Client } from "./s3.js";

export const BUCKET_PATH = "results/";
export const CATALOG = writeTempJson(
  catalogOf([
    { name: "people", primaryKey: [["id"]] },
    { name: "orders", namespace: "shop", primaryKey: [["id"]] },
  ]),
);

let bucketCounter = 0;

export interface Setup {
  queueUrl: string;
  bucket: string;
  /** A config file for the fixed configuration: the body carries the change; `delay` must be a number of seconds. */
  config: string;
}

export async function setUp(emulator: Emulator): Promise<Setup> {
  const queueName = uniqueQueueName("redrive");
  const queueUrl = await emulator.createQueue(queueName);
  const bucket = `redrive-${process.pid}-${++bucketCounter}`;
  await createBucket(testS3Client(emulator.endpoint), bucket);
  const config = emulatorConfigFile(emulator.endpoint, {
    queue: { source: "static", value: queueName },
    message_id: { source: "column", column: "id" },
    message_body: { format: "template", template: '{"id": {{ row.id }}, "name": "{{ row.name }}", "change": "{{ change }}"}' },
    delay_seconds: { source: "column", column: "delay" },
    object_storage_config: {
      storage_type: "S3",
      s3_bucket_name: bucket,
      s3_bucket_region: "us-east-1",
      bucket_path: BUCKET_PATH,
      s3_endpoint: emulator.endpoint,
      force_path_style: true,
    },
  });
  return { queueUrl, bucket, config };
}

export async function put(emulator: Emulator, setup: Setup, key: string, body: Buffer | string): Promise<void> {
  await putObject(testS3Client(emulator.endpoint), setup.bucket, key, body);
}

export function redrive(setup: Setup, ...extra: string[]): Promise<CliResult> {
  return runCli(["redrive", "--config", setup.config, "--catalog", CATALOG, "--sync", "42", ...extra]);
}

export function logsOf(messages: AirbyteMessage[], level?: string): string[] {
  return messages.flatMap((message) =>
    message.type === "LOG" && (level === undefined || message.log.level === level) ? [message.log.message] : [],
  );
}

export function bodies(received: { body: string }[]): Record<string, unknown>[] {
  return received.map((message) => JSON.parse(message.body) as Record<string, unknown>).sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * Sync 42 of stream "people", two runs: rows 1 and 3 rejected (a template that has since been fixed),
 * row 2 published, row 4 rejected by the first run and published by the second, row 5 rejected for a
 * delay the fixed configuration still refuses; and a summary object beside the stream folders.
 */
export async function peopleResults(emulator: Emulator, setup: Setup): Promise<void> {
  await put(
    emulator,
    setup,
    resultsKey(BUCKET_PATH, "people", 0),
    resultsFile([
      rejectedRow({ id: 1, name: "Ada", delay: 0 }),
      resultLine({ outcome: "published", primary_key: "[2]", change: "added", message_id: "2" }),
      rejectedRow({ id: 3, name: "Grace", delay: 0 }, { change: "changed", meta: JSON.stringify({ changes: [] }) }),
      rejectedRow({ id: 4, name: "Alan", delay: 0 }),
      rejectedRow({ id: 5, name: "Edsger", delay: "soon" }),
    ]),
  );
  await put(
    emulator,
    setup,
    resultsKey(BUCKET_PATH, "people", 1),
    resultsFile([
      resultLine({ run_id: "run-2", recorded_at: "2026-12-01T11:00:00.000Z", outcome: "published", primary_key: "[4]", message_id: "4" }),
    ]),
  );
  await put(emulator, setup, `${BUCKET_PATH}42/_sync_summary_run-2.json`, "{}");
}
