import type { S3Place } from "../aws/s3-explain.js";
import type { ObjectStorageS3 } from "../config/types.js";
import { resultsRoot } from "./format.js";

/** Where the sync results go, as S3 failures name it: the bucket and `<bucket_path>/`. */
export function resultsPlace(storage: ObjectStorageS3): S3Place {
  return { setting: "object_storage_config", bucket: storage.s3_bucket_name, prefix: resultsRoot(storage.bucket_path) };
}
