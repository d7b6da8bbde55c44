import { randomUUID } from "node:crypto";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { S3Permission, S3Place } from "./s3-explain.js";

/** Which call failed, with what; `key` names the probe object, left behind when only its delete failed. */
type S3WriteProbe =
  | { ok: true }
  | { ok: false; permission: Extract<S3Permission, "s3:PutObject" | "s3:DeleteObject">; error: unknown; key: string };

/**
 * Proves the connector can write where it will write: stores a small probe object under the
 * place's prefix, then deletes it. `check` runs it for every bucket the configuration names.
 */
export async function probeS3Write(s3: S3Client, place: S3Place): Promise<S3WriteProbe> {
  const key = `${place.prefix}destination-sqs-check-${randomUUID()}`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: place.bucket, Key: key, Body: "destination-sqs check\n" }));
  } catch (error) {
    return { ok: false, permission: "s3:PutObject", error, key };
  }
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: place.bucket, Key: key }));
  } catch (error) {
    return { ok: false, permission: "s3:DeleteObject", error, key };
  }
  return { ok: true };
}
