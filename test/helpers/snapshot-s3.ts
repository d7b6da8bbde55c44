// S3 buckets on the emulators and connector processes left running while a test watches them.
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
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
