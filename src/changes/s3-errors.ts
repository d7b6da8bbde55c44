import { awsCallFailure } from "../aws/explain.js";
import { awsErrorCode, awsHttpStatus } from "../aws/error-code.js";
import type { Config } from "../config/types.js";
import { UserFacingError } from "../errors.js";
import type { S3Location } from "./s3-location.js";

/** The S3 permission each snapshot-store call needs. */
export type S3Permission = "s3:GetObject" | "s3:PutObject" | "s3:DeleteObject" | "s3:ListBucket";

const ACCESS_DENIED = new Set(["AccessDenied", "Forbidden", "AllAccessDisabled"]);

/** HTTP 412: a conditional write (If-None-Match / If-Match) found the object not as expected. */
export function isPreconditionFailed(error: unknown): boolean {
  return awsHttpStatus(error) === 412 || awsErrorCode(error) === "PreconditionFailed";
}

/** HTTP 404 on an object: it does not exist (a missing bucket is reported apart). */
export function isMissingObject(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code === "NoSuchKey" || code === "NotFound";
}

/**
 * A failed snapshot-store call as an error naming the bucket and prefix, and, when S3 denied it,
 * the permission to grant. Other failures are explained as for any AWS call.
 */
export function snapshotStoreFailure(error: unknown, location: S3Location, permission: S3Permission, config: Config): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const code = awsErrorCode(error);
  const detail = `${code}: ${error instanceof Error ? error.message : String(error)}`;
  if (code === "NoSuchBucket") {
    return new UserFacingError(
      `The snapshot store's bucket "${location.bucket}" does not exist (change_detection.store.bucket). Create it, or correct the bucket name and its region.`,
      "config_error",
      detail,
    );
  }
  if (ACCESS_DENIED.has(code)) {
    const resource =
      permission === "s3:ListBucket" ? `arn:aws:s3:::${location.bucket}` : `arn:aws:s3:::${location.bucket}/${location.prefix}*`;
    return new UserFacingError(
      `The snapshot store ${location} refused the connector's credentials ${permission} (${code}): grant ${permission} on ${resource} to them (or to role_arn's role).`,
      "config_error",
      detail,
    );
  }
  const explained = awsCallFailure(error, { permission, config });
  // Credential problems are explained as for SQS; anything else is about this bucket and its endpoint.
  const reason =
    explained.failureType === "config_error"
      ? explained.message
      : `${permission} failed with ${code} (${error instanceof Error ? error.message : String(error)}). Check change_detection.store (bucket, region, endpoint) and that this host can reach it.`;
  return new UserFacingError(`The snapshot store ${location} could not be used: ${reason}`, explained.failureType, detail);
}
