// Why an S3 call failed and what to do, for every bucket the connector writes to: the snapshot
// store (change_detection.store), the large-message store (large_messages) and the sync results
// (object_storage_config). Each explanation
// names the bucket and prefix, the setting to fix and, when S3 denied the call, the permission.

import type { Config } from "../config/types.js";
import { type FailureType, UserFacingError, errorMessage } from "../errors.js";
import { AssumeRoleError } from "./credentials.js";
import { awsErrorCode } from "./error-code.js";
import { awsErrorMeaning, isCredentialsAwsError, isRetriableAwsError } from "./error-codes.js";
import { describeAwsError } from "./explain.js";

export type S3Permission = "s3:GetObject" | "s3:PutObject" | "s3:DeleteObject" | "s3:ListBucket";

/** The setting that names a bucket, where the user fixes it. */
export type S3Setting = "change_detection.store" | "large_messages" | "object_storage_config";

/** A place in a bucket the connector uses: objects go under `prefix` ("" or ending in "/"). */
export interface S3Place {
  setting: S3Setting;
  bucket: string;
  prefix: string;
}

const STORE_NAME: Record<S3Setting, string> = {
  "change_detection.store": "the snapshot store",
  large_messages: "the large-message store",
  object_storage_config: "the sync results store",
};

/** Each setting's own names for the bucket, its region, and the role whose permissions count. */
const FIELDS: Record<S3Setting, { bucket: string; region: string; role: string }> = {
  "change_detection.store": { bucket: "bucket", region: "region", role: "role_arn" },
  large_messages: { bucket: "bucket", region: "region", role: "role_arn" },
  object_storage_config: { bucket: "s3_bucket_name", region: "s3_bucket_region", role: "object_storage_config.role_arn" },
};

/** S3's own ways of saying no, beside the access-denied codes every AWS service uses. */
const S3_DENIED = new Set(["Forbidden", "AllAccessDisabled"]);
/** The request went to another region's endpoint than the bucket's. */
const WRONG_REGION = new Set(["PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"]);

/** What a policy grants `permission` on: the bucket for listing, the objects under the prefix otherwise. */
function resourceOf(place: S3Place, permission: S3Permission): string {
  return permission === "s3:ListBucket" ? `arn:aws:s3:::${place.bucket}` : `arn:aws:s3:::${place.bucket}/${place.prefix}*`;
}

function isDenied(code: string): boolean {
  return awsErrorMeaning(code) === "access_denied" || S3_DENIED.has(code);
}

function isConfigCode(code: string): boolean {
  return code === "NoSuchBucket" || WRONG_REGION.has(code) || isDenied(code) || isCredentialsAwsError(code);
}

/** Config for what the user must fix (the bucket, its region, the credentials or their permissions). */
function failureTypeOf(code: string): FailureType {
  if (isConfigCode(code)) return "config_error";
  return isRetriableAwsError(code) ? "transient_error" : "system_error";
}

/** Whether a failed S3 call is the configuration's fault (bucket, region, credentials, permissions): no retry or row can fix it. */
export function isS3ConfigFailure(error: unknown): boolean {
  return isConfigCode(awsErrorCode(error instanceof AssumeRoleError ? error.cause : error));
}

/** What to do about an S3 refusal only S3 makes (no bucket, another region, denied), as a phrase; undefined for others. */
export function s3Advice(code: string, place: S3Place, permission: S3Permission): string | undefined {
  const { setting } = place;
  const fields = FIELDS[setting];
  if (code === "NoSuchBucket")
    return `the bucket "${place.bucket}" does not exist: create it, or correct ${setting}.${fields.bucket} (and ${setting}.${fields.region})`;
  if (WRONG_REGION.has(code)) return `the bucket is in another region: set ${setting}.${fields.region} to the bucket's region`;
  if (!isDenied(code)) return undefined;
  const kms = permission === "s3:PutObject" ? " (and kms:GenerateDataKey if the bucket uses a customer managed KMS key)" : "";
  return `grant ${permission} on ${resourceOf(place, permission)} to the connector's credentials (or to ${fields.role}'s role)${kms}`;
}

/**
 * A failed S3 call as a phrase: "the snapshot store s3://bucket/prefix/ (change_detection.store.bucket):
 * s3:PutObject failed with AccessDenied; grant s3:PutObject on … to the connector's credentials …".
 */
export function describeS3Failure(error: unknown, place: S3Place, permission: S3Permission, config: Config): string {
  const code = awsErrorCode(error);
  const where = `${STORE_NAME[place.setting]} s3://${place.bucket}/${place.prefix} (${place.setting}.${FIELDS[place.setting].bucket})`;
  const advice = s3Advice(code, place, permission);
  if (advice !== undefined) return `${where}: ${permission} failed with ${code}; ${advice}`;
  // The credentials, or the role they assume, are the problem rather than the bucket.
  if (error instanceof AssumeRoleError || isCredentialsAwsError(code)) {
    return `${where}: ${permission} failed: ${describeAwsError(error, { permission, config })}`;
  }
  const message = errorMessage(error);
  return `${where}: ${permission} failed with ${code} (${message}); check ${place.setting} (bucket, region, endpoint) and that this host can reach it`;
}

/** A failed S3 call as the error that stops a sync; one that is already user-facing is returned as it is. */
export function s3Failure(error: unknown, place: S3Place, permission: S3Permission, config: Config): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const code = awsErrorCode(error instanceof AssumeRoleError ? error.cause : error);
  const description = describeS3Failure(error, place, permission, config);
  const detail = `${code}: ${errorMessage(error)}`;
  return new UserFacingError(`${description.charAt(0).toUpperCase()}${description.slice(1)}.`, failureTypeOf(code), detail);
}
