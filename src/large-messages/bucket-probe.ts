import { randomUUID } from "node:crypto";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { awsErrorCode } from "../aws/error-code.js";

export type ProbeResult = { ok: true; note: string } | { ok: false; message: string };

const HINTS: Record<string, string> = {
  AccessDenied: "the connector's credentials (or the role they assume) lack s3:PutObject on it: grant s3:PutObject on the bucket's objects",
  NoSuchBucket: "the bucket does not exist: create it, or fix large_messages.bucket (and large_messages.region)",
  PermanentRedirect: "the bucket is in another region: set large_messages.region to the bucket's region",
  AuthorizationHeaderMalformed: "the bucket is in another region: set large_messages.region to the bucket's region",
  InvalidAccessKeyId: "S3 does not know the access key id: check the credentials in the connector's configuration",
  SignatureDoesNotMatch: "the secret access key does not match the access key id: check the credentials in the connector's configuration",
};

/**
 * Proves large message bodies can be stored: writes a small probe object under the prefix, then
 * deletes it. Only the write is required; a refused delete is reported, not failed.
 */
export async function probeBucket(s3: S3Client, bucket: string, prefix: string): Promise<ProbeResult> {
  const key = `${prefix}destination-sqs-check-${randomUUID()}`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "{}", ContentType: "application/json" }));
  } catch (error) {
    const code = awsErrorCode(error);
    const hint = HINTS[code] ?? `check that the bucket exists, that S3 is reachable, and that the connector may s3:PutObject there`;
    return {
      ok: false,
      message: `Could not store a probe object in S3 bucket "${bucket}" (large_messages.bucket) with s3:PutObject: ${code}; ${hint}.`,
    };
  }
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return { ok: true, note: `stored and deleted a probe object in S3 bucket "${bucket}" (large_messages)` };
  } catch (error) {
    return {
      ok: true,
      note:
        `stored a probe object in S3 bucket "${bucket}" (large_messages) but could not delete it (${awsErrorCode(error)}): ` +
        `delete ${key} by hand, or grant s3:DeleteObject so that check cleans up after itself`,
    };
  }
}
