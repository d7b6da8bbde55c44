import type { S3Client } from "@aws-sdk/client-s3";
import { awsErrorCode } from "../aws/error-code.js";
import { describeS3Failure } from "../aws/s3-explain.js";
import { probeS3Write, unansweredProbeNote } from "../aws/s3-probe.js";
import type { Config } from "../config/types.js";

export type ProbeResult = { ok: true; note: string } | { ok: false; message: string };

/**
 * Proves large message bodies can be stored: writes a small probe object under the prefix, then
 * deletes it. Only the write is required; a refused delete is reported, not failed.
 */
export async function probeBucket(s3: S3Client, bucket: string, prefix: string, config: Config): Promise<ProbeResult> {
  const place = { setting: "large_messages", bucket, prefix } as const;
  const probe = await probeS3Write(s3, place);
  if (probe.ok) return { ok: true, note: `stored and deleted a probe object in S3 bucket "${bucket}" (large_messages)` };
  if (probe.permission === "s3:PutObject") {
    return {
      ok: false,
      message: `Could not store a probe object in ${describeS3Failure(probe.error, place, probe.permission, config)}.${unansweredProbeNote(probe)}`,
    };
  }
  return {
    ok: true,
    note:
      `stored a probe object in S3 bucket "${bucket}" (large_messages) but could not delete it (${awsErrorCode(probe.error)}): ` +
      `delete ${probe.key} by hand, or grant s3:DeleteObject so that check cleans up after itself`,
  };
}
