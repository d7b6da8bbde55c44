import { randomUUID } from "node:crypto";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../config/types.js";
import { awsErrorCode, awsHttpStatus } from "./error-code.js";
import { describeS3Failure, type S3Permission, type S3Place } from "./s3-explain.js";

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

export type ProbeResult = { ok: true; note: string } | { ok: false; message: string };

/**
 * Proves objects can be stored in a place (large message bodies, sync results): writes a small
 * probe object under its prefix, then deletes it. Only the write is required; a refused delete is
 * reported, not failed.
 */
export async function probeS3Place(s3: S3Client, place: S3Place, config: Config): Promise<ProbeResult> {
  const probe = await probeS3Write(s3, place);
  const where = `S3 bucket "${place.bucket}" (${place.setting})`;
  if (probe.ok) return { ok: true, note: `stored and deleted a probe object in ${where}` };
  if (probe.permission === "s3:PutObject") {
    return {
      ok: false,
      message: `Could not store a probe object in ${describeS3Failure(probe.error, place, probe.permission, config)}.${unansweredProbeNote(probe)}`,
    };
  }
  return {
    ok: true,
    note:
      `stored a probe object in ${where} but could not delete it (${awsErrorCode(probe.error)}): ` +
      `delete ${probe.key} by hand, or grant s3:DeleteObject so that check cleans up after itself`,
  };
}
