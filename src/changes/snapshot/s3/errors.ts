import { awsErrorCode } from "../../../aws/error-code.js";
import { type S3Permission, s3Failure } from "../../../aws/s3-explain.js";
import type { Config } from "../../../config/types.js";
import type { UserFacingError } from "../../../errors.js";
import type { S3Location } from "./location.js";

/** HTTP 404 on an object: it does not exist (a missing bucket is reported apart). */
export function isMissingObject(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code === "NoSuchKey" || code === "NotFound";
}

/** A failed snapshot-store call as an error naming the bucket, prefix and setting, and what to do (aws/s3-explain.ts). */
export function snapshotStoreFailure(error: unknown, location: S3Location, permission: S3Permission, config: Config): UserFacingError {
  return s3Failure(error, { setting: "change_detection.store", bucket: location.bucket, prefix: location.prefix }, permission, config);
}

/** Runs one snapshot-store call, a failure becoming the error that names the store and `permission`. */
export async function snapshotStoreCall<T>(
  location: S3Location,
  config: Config,
  permission: S3Permission,
  send: () => Promise<T>,
): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw snapshotStoreFailure(error, location, permission, config);
  }
}
