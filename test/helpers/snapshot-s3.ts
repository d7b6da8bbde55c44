// S3 buckets on the emulators and connector processes left running while a test watches them.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { REPO_ROOT } from "./cli.js";
import { TEST_CREDENTIALS, TEST_REGION } from "./config.js";

let bucketCounter = 0;

function s3Client(endpoint: string): S3Client {
  return new S3Client({ region: TEST_REGION, endpoint, forcePathStyle: true, credentials: TEST_CREDENTIALS });
}

/** Creates a bucket with a name no other test uses and returns its name. */
export async function createBucket(endpoint: string): Promise<string> {
  const bucket = `snapshots-${process.pid}-${++bucketCounter}`;
  const s3 = s3Client(endpoint);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
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
  const root = mkdtempSync(join(tmpdir(), "destination-sqs-pod-"));
  return { HOME: root, TMPDIR: root, ...extra };
}

/** Starts `write` with stdin left open, so that the test decides when the input ends (or kills it). */
export function startWrite(configFile: string, catalogFile: string, env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [join(REPO_ROOT, "dist", "main.js"), "write", "--config", configFile, "--catalog", catalogFile], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
}

/** Everything the process writes to stdout and stderr, once it has closed them. */
export function outputOf(child: ChildProcessWithoutNullStreams): Promise<string> {
  let text = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  return new Promise((resolve) => child.once("close", () => resolve(text)));
}

export function exitCodeOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("close", (code) => resolve(code)));
}
