import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";

/**
 * Parts of a multipart upload: above S3's 5 MiB minimum, below the request size some
 * S3-compatible stores accept. A file of one part or less is sent with a single PutObject.
 */
const PART_BYTES = 8 * 1024 * 1024;

/** Uploads a file to `key`, in parts when it is large (a single PutObject is limited to 5 GB); returns its size. */
export async function uploadFile(s3: S3Client, bucket: string, key: string, path: string, contentType: string): Promise<number> {
  const bytes = (await stat(path)).size;
  if (bytes <= PART_BYTES) {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: bytes, ContentType: contentType }),
    );
    return bytes;
  }
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }));
  try {
    const parts: CompletedPart[] = [];
    for (let start = 0, number = 1; start < bytes; start += PART_BYTES, number++) {
      const length = Math.min(PART_BYTES, bytes - start);
      const { ETag } = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumber: number,
          Body: createReadStream(path, { start, end: start + length - 1 }),
          ContentLength: length,
        }),
      );
      parts.push({ PartNumber: number, ETag });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    return bytes;
  } catch (error) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw error;
  }
}
