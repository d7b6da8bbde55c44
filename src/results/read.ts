// Reading a sync's results back from its bucket (redrive). What the bucket holds is not trusted:
// every file is bounded as it is read, every line is checked against the format and against the
// folder it was found in, and whatever breaks a rule stops the read naming the object and the line.

import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { awsErrorCode } from "../aws/error-code.js";
import { isRetriableAwsError } from "../aws/error-codes.js";
import { isS3ConfigFailure, type S3Permission } from "../aws/s3-explain.js";
import { gzipLines, type LineBounds, UntrustedObjectError } from "../changes/snapshot/s3/read.js";
import { UserFacingError, errorMessage } from "../errors.js";
import { MAX_LINE_BYTES } from "../protocol/input.js";
import { NO_NAMESPACE_FOLDER, type ResultLine, streamPrefix, syncPrefix } from "./format.js";
import { parseResultLine } from "./parse-line.js";

/** The bucket and `bucket_path` of object_storage_config. */
export interface ResultsBucket {
  bucket: string;
  bucketPath: string;
}

/** Which results to read: one sync's, of every stream or of one. */
export interface ResultsSelection {
  syncId: string;
  /** A stream's name, or `namespace.name`; every stream when undefined. */
  stream?: string | undefined;
}

/** One line read back, with where it was found. */
export interface ResultRead {
  key: string;
  lineNumber: number;
  result: ResultLine;
}

/**
 * A results line holds a rejected row's record as JSON text inside JSON: up to twice the largest
 * input line when every character is escaped. A file is cut well before these bounds by its writer.
 */
export const RESULTS_FILE_BOUNDS: LineBounds = {
  maxLineBytes: 2 * MAX_LINE_BYTES + 64 * 1024,
  maxBytes: 16 * 1024 * 1024 * 1024,
  maxLines: 100_000_000,
};

/** Enough pages of 1,000 keys for any sync. */
const MAX_LIST_PAGES = 100_000;

const RESULTS_FILE_SUFFIX = ".jsonl.gz";

/**
 * Every line of the sync's results files (`<bucket_path>/<sync_id>/<namespace>/<stream>/*.jsonl.gz`),
 * file by file in key order, each file's lines in order. Other objects under the sync (its run
 * summaries) are passed over.
 */
export async function* readSyncResults(s3: S3Client, bucket: ResultsBucket, selection: ResultsSelection): AsyncGenerator<ResultRead> {
  for (const key of await resultsFileKeys(s3, bucket, selection)) yield* readResultsFile(s3, bucket, selection.syncId, key);
}

async function resultsFileKeys(s3: S3Client, bucket: ResultsBucket, selection: ResultsSelection): Promise<string[]> {
  const prefix = syncPrefix(bucket.bucketPath, selection.syncId);
  const keys: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const listed = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }))
      .catch((error: unknown) => {
        throw resultsBucketFailure(error, bucket, prefix, "s3:ListBucket");
      });
    for (const { Key: key } of listed.Contents ?? []) {
      const folders = key === undefined ? undefined : streamFolders(key, prefix);
      if (folders !== undefined && selects(folders, selection.stream)) keys.push(key!);
    }
    token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
    if (!token) break;
  }
  return keys.sort();
}

/** The namespace and stream folders of a results file's key, decoded; undefined for any other object. */
function streamFolders(key: string, prefix: string): { namespace: string; stream: string } | undefined {
  if (!key.startsWith(prefix) || !key.endsWith(RESULTS_FILE_SUFFIX)) return undefined;
  const parts = key.slice(prefix.length).split("/");
  if (parts.length !== 3) return undefined;
  return { namespace: decodeFolder(parts[0]!), stream: decodeFolder(parts[1]!) };
}

/** A folder name as the format encoded it (encodeURIComponent); as it is when it is not such an encoding. */
function decodeFolder(folder: string): string {
  try {
    return decodeURIComponent(folder);
  } catch {
    return folder;
  }
}

function selects(folders: { namespace: string; stream: string }, stream: string | undefined): boolean {
  if (stream === undefined || folders.stream === stream) return true;
  return folders.namespace !== NO_NAMESPACE_FOLDER && `${folders.namespace}.${folders.stream}` === stream;
}

async function* readResultsFile(s3: S3Client, bucket: ResultsBucket, syncId: string, key: string): AsyncGenerator<ResultRead> {
  const output = await s3.send(new GetObjectCommand({ Bucket: bucket.bucket, Key: key })).catch((error: unknown) => {
    throw resultsBucketFailure(error, bucket, key, "s3:GetObject");
  });
  const folder = key.slice(0, key.lastIndexOf("/") + 1);
  try {
    for await (const { line, number } of gzipLines(output, RESULTS_FILE_BOUNDS)) {
      yield { key, lineNumber: number, result: checkedLine(line, number, { bucket, syncId, folder }) };
    }
  } catch (error) {
    if (error instanceof UntrustedObjectError) throw refusedFile(bucket, key, error.problem);
    if (error instanceof UserFacingError) throw error;
    throw resultsBucketFailure(error, bucket, key, "s3:GetObject");
  }
}

/** Line `number` of a file in `folder` as a result of the sync; an UntrustedObjectError naming the line when it is not one. */
function checkedLine(line: string, number: number, where: { bucket: ResultsBucket; syncId: string; folder: string }): ResultLine {
  try {
    const result = parseResultLine(line);
    if (result.sync_id !== where.syncId) {
      throw new UntrustedObjectError(`names sync ${JSON.stringify(result.sync_id)}, not ${JSON.stringify(where.syncId)}`);
    }
    if (streamPrefix(where.bucket.bucketPath, where.syncId, result.namespace ?? undefined, result.stream) !== where.folder) {
      throw new UntrustedObjectError(`is a result of stream ${JSON.stringify(result.stream)}, which is not the stream of its folder`);
    }
    return result;
  } catch (error) {
    if (error instanceof UntrustedObjectError) throw new UntrustedObjectError(`line ${number} ${error.problem}`);
    throw error;
  }
}

/** A results file that breaks the format or a bound. */
function refusedFile(bucket: ResultsBucket, key: string, problem: string): UserFacingError {
  return new UserFacingError(
    `The results file s3://${bucket.bucket}/${key} cannot be read: ${problem}. Redrive reads only the files destination-sqs writes: ` +
      "restore or remove this object, or pass --stream to redrive the other streams.",
    "system_error",
  );
}

/**
 * A failed call on the results bucket, naming the place, the permission and the settings to check.
 * Credentials, a missing bucket or a denied permission are the configuration's to fix.
 */
function resultsBucketFailure(error: unknown, bucket: ResultsBucket, place: string, permission: S3Permission): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const code = awsErrorCode(error);
  const failureType = isS3ConfigFailure(error) ? "config_error" : isRetriableAwsError(code) ? "transient_error" : "system_error";
  return new UserFacingError(
    `The sync results s3://${bucket.bucket}/${place} (object_storage_config) could not be read: ${permission} failed with ${code}; ` +
      `check object_storage_config (s3_bucket_name, s3_bucket_region, s3_endpoint) and grant ${permission} to the credentials.`,
    failureType,
    `${code}: ${errorMessage(error)}`,
  );
}
