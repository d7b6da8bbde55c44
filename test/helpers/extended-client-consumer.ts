// A consumer of the SQS Extended Client format, written from its documented shape rather than from
// the connector's code: a message with the ExtendedPayloadSize (or legacy SQSLargePayloadSize)
// attribute carries ["software.amazon.payloadoffloading.PayloadS3Pointer", {s3BucketName, s3Key}],
// and its real body is that S3 object.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { ReceivedMessage } from "./emulators.js";

export interface ConsumedMessage {
  body: string;
  /** Whether the body came from S3. */
  fromS3: boolean;
  /** The S3 key, when the body came from S3. */
  key?: string;
}

export async function objectKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key ?? "");
}

/** The message's real body, fetched from S3 when the message is a pointer; checks the size attribute. */
export async function consume(s3: S3Client, message: ReceivedMessage): Promise<ConsumedMessage> {
  const size = message.messageAttributes.ExtendedPayloadSize ?? message.messageAttributes.SQSLargePayloadSize;
  if (size === undefined) return { body: message.body, fromS3: false };
  if (size.DataType !== "Number") throw new Error(`the size attribute is a ${size.DataType}, not a Number`);
  const pointer: unknown = JSON.parse(message.body);
  if (
    !Array.isArray(pointer) ||
    pointer.length !== 2 ||
    pointer[0] !== "software.amazon.payloadoffloading.PayloadS3Pointer" ||
    typeof pointer[1]?.s3BucketName !== "string" ||
    typeof pointer[1]?.s3Key !== "string"
  ) {
    throw new Error(`not an S3 pointer: ${message.body}`);
  }
  const { s3BucketName, s3Key } = pointer[1] as { s3BucketName: string; s3Key: string };
  const object = await s3.send(new GetObjectCommand({ Bucket: s3BucketName, Key: s3Key }));
  const body = (await object.Body?.transformToString("utf8")) ?? "";
  if (String(Buffer.byteLength(body)) !== size.StringValue) {
    throw new Error(`the size attribute says ${size.StringValue} bytes, the object holds ${Buffer.byteLength(body)}`);
  }
  return { body, fromS3: true, key: s3Key };
}
