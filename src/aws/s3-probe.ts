import { randomUUID } from "node:crypto";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { awsHttpStatus } from "./error-code.js";
import type { S3Permission, S3Place } from "./s3-explain.js";

/**
 * Which call failed, with what; `key` names the probe object, left behind when only its delete
 * failed. `unanswered`: the write got no answer (a timeout, a lost connection), so S3 may store it
 * yet, after the delete that followed.
 */
export type S3WriteProbe =
  | { ok: true }
  | { ok: false; permission: "s3:PutObject"; error: unknown; key: string; unanswered: boolean }
  | { ok: false; permission: Extract<S3Permission, "s3:DeleteObject">; error: unknown; key: string };

/**
 * Proves the connector can write where it will write: stores a small probe object under the
 * place's prefix, then deletes it. `check` runs it for every bucket the configuration names.
 */
export async function probeS3Write(s3: S3Client, place: S3Place): Promise<S3WriteProbe> {
  const key = `${place.prefix}destination-sqs-check-${randomUUID()}`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: place.bucket, Key: key, Body: "destination-sqs check\n" }));
  } catch (error) {
    const unanswered = awsHttpStatus(error) === undefined;
    // Stored although its answer never came: delete it now (a write still on its way may land later).
    if (unanswered) await s3.send(new DeleteObjectCommand({ Bucket: place.bucket, Key: key })).catch(() => undefined);
    return { ok: false, permission: "s3:PutObject", error, key, unanswered };
  }
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: place.bucket, Key: key }));
  } catch (error) {
    return { ok: false, permission: "s3:DeleteObject", error, key };
  }
  return { ok: true };
}

/** For a failed probe write that got no answer: the phrase naming the object it may have left. */
export function unansweredProbeNote(probe: S3WriteProbe): string {
  if (probe.ok || probe.permission !== "s3:PutObject" || !probe.unanswered) return "";
  return ` The probe object ${probe.key} may still be stored by the write that got no answer: if it is there, delete it.`;
}
