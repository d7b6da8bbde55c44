import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../../../config/types.js";
import { isMissingObject, snapshotStoreFailure } from "./errors.js";
import type { S3Location } from "./location.js";
import { readBoundedText, UntrustedObjectError } from "./read.js";

/**
 * After a conditional PUT of `body` to `key` failed with 412: the object's ETag when it holds
 * exactly `body`, that is when this very write succeeded and only its answer was lost (the call
 * was retried, and the retry found the write done); undefined when another writer's object is
 * there. Each body names its writer (and, for a manifest, its version), so no other write equals it.
 */
export async function etagOfOwnWrite(
  s3: S3Client,
  location: S3Location,
  config: Config,
  key: string,
  body: string,
): Promise<string | undefined> {
  try {
    const output = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
    const text = await readBoundedText(output, Buffer.byteLength(body));
    return text === body ? output.ETag : undefined;
  } catch (error) {
    // Longer than `body`: not this write.
    if (error instanceof UntrustedObjectError) return undefined;
    if (isMissingObject(error)) return undefined;
    throw snapshotStoreFailure(error, location, "s3:GetObject", config);
  }
}
