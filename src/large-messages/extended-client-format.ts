import { createHash } from "node:crypto";
import type { PayloadSizeAttribute } from "../config/types.js";
import { MAX_MESSAGE_ATTRIBUTES } from "../sqs-limits.js";

// The message format of the Amazon SQS Extended Client libraries (Java amazon-sqs-java-extended-client-lib 2.x,
// Python amazon-sqs-extended-client): the body is stored as one S3 object, and SQS carries a pointer to it
// plus a Number attribute with the body's size in bytes, which tells their receivers to fetch the body.

/**
 * The Number attribute that marks a pointer. Every consumer reads "SQSLargePayloadSize" (Java and
 * Python read both names; Go ports and sns-sqs-big-payload only this one), and the Java library still
 * writes it by default, so it is the default; "ExtendedPayloadSize" is for consumers that look only
 * for the newer name (large_messages.size_attribute).
 */
export const DEFAULT_PAYLOAD_SIZE_ATTRIBUTE: PayloadSizeAttribute = "SQSLargePayloadSize";
/** Consumers read both names, so a user attribute may take neither. */
export const RESERVED_ATTRIBUTES: readonly string[] = ["SQSLargePayloadSize", "ExtendedPayloadSize"] satisfies PayloadSizeAttribute[];
/** The class name Jackson writes ahead of the pointer object (payload-offloading-java-common-lib). */
const POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer";
/** The pointer's size attribute takes one of the message attributes SQS allows. */
const MAX_USER_ATTRIBUTES = MAX_MESSAGE_ATTRIBUTES - 1;

/** Why a message with `attributeCount` attributes of its own leaves no room for the pointer's, or undefined. */
export function pointerAttributeProblem(attributeCount: number, sizeAttribute: PayloadSizeAttribute): string | undefined {
  if (attributeCount <= MAX_USER_ATTRIBUTES) return undefined;
  return (
    `the S3 pointer needs one of the ${MAX_MESSAGE_ATTRIBUTES} SQS allows (${sizeAttribute}); ` +
    `use at most ${MAX_USER_ATTRIBUTES} message_attributes`
  );
}

const PAYLOAD_SIZE_DATA_TYPE = "Number";
const MAX_ID_CHARS_IN_KEY = 160;
/** A message id character S3 keys and consumers' tooling take as is; others become "_". */
const UNSAFE_KEY_CHARACTER = /[^A-Za-z0-9._-]/g;
/** A key segment paths treat specially: empty, "." or "..". */
const DOT_SEGMENT = /^\.{0,2}$/;
/** A SHA-256 in hex. */
const BODY_HASH_CHARS = 64;

/** `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":…,"s3Key":…}]`. */
export function pointerBody(bucket: string, key: string): string {
  return JSON.stringify([POINTER_CLASS, { s3BucketName: bucket, s3Key: key }]);
}

/**
 * The object key of a message body: the prefix, the message id (S3-safe, shortened) and a hash of
 * the body. The same message always gets the same key, so a retried upload rewrites its object,
 * and a key always holds the same body, whichever message wrote it.
 */
export function objectKey(prefix: string, messageId: string, body: string): string {
  const safe = messageId.slice(0, MAX_ID_CHARS_IN_KEY).replace(UNSAFE_KEY_CHARACTER, "_");
  // "", "." and ".." are no segment to a path: SDKs and tools that normalise keys would drop or climb out of them.
  const id = DOT_SEGMENT.test(safe) ? safe.replace(/\./g, "_") || "_" : safe;
  return `${prefix}${id}/${createHash("sha256").update(body, "utf8").digest("hex")}`;
}

/** The longest key `objectKey` makes with `prefix` (prefixes are ASCII). */
export function maxObjectKeyBytes(prefix: string): number {
  return Buffer.byteLength(prefix) + MAX_ID_CHARS_IN_KEY + 1 + BODY_HASH_CHARS;
}

/** The size attribute `name`'s value and its share of the message size, as SQS counts it. */
export function payloadSizeAttribute(
  name: PayloadSizeAttribute,
  bodyBytes: number,
): { value: { DataType: string; StringValue: string }; bytes: number } {
  const text = String(bodyBytes);
  return {
    value: { DataType: PAYLOAD_SIZE_DATA_TYPE, StringValue: text },
    bytes: name.length + PAYLOAD_SIZE_DATA_TYPE.length + text.length,
  };
}
