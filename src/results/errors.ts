import { describeS3Failure, s3Failure } from "../aws/s3-explain.js";
import type { Config, ObjectStorageS3 } from "../config/types.js";
import { UserFacingError } from "../errors.js";
import { resultsPlace } from "./place.js";

/**
 * A results object that could not be written (after the client's retries) as the error that stops
 * the sync: the bucket and key, why, and what to do. The bucket's configuration is the user's to
 * fix; anything else (an outage, a network that keeps failing) is transient.
 */
export function resultsWriteFailure(error: unknown, storage: ObjectStorageS3, key: string, config: Config): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const place = resultsPlace(storage);
  const cause = s3Failure(error, place, "s3:PutObject", config);
  return new UserFacingError(
    `Could not write the sync results object ${key} to S3 bucket "${storage.s3_bucket_name}": ` +
      `${describeS3Failure(error, place, "s3:PutObject", config)}. The sync stopped with no STATE past the rows whose results ` +
      "were not written, so the next sync sends them again; fix the bucket, its endpoint or the credentials' permissions " +
      '(or set object_storage_config.storage_type to "None" to write no results) and run the sync again.',
    cause.failureType === "config_error" ? "config_error" : "transient_error",
    cause.detail,
  );
}
