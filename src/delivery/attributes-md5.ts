import { createHash } from "node:crypto";
import type { MessageAttributeValue } from "@aws-sdk/client-sqs";

// SQS's MD5OfMessageAttributes, so an answer can be checked against what was sent. The AWS SDK for
// JavaScript v3 checks only body MD5s, and the one npm package for it (aws-md5-of-message-attributes)
// counts UTF-16 code units where SQS counts bytes, which is wrong for any non-ASCII name or value.

const STRING_TRANSPORT = 1;
const BINARY_TRANSPORT = 2;

/**
 * Names sorted; for each, the name, the data type and the value, each preceded by its length in
 * bytes (4 bytes, big-endian), with a transport byte (1 string, 2 binary) before the value.
 * Undefined without attributes: SQS then answers no MD5.
 */
export function attributesMd5(attributes: Record<string, MessageAttributeValue> | undefined): string | undefined {
  const names = Object.keys(attributes ?? {}).sort();
  if (attributes === undefined || names.length === 0) return undefined;
  const hash = createHash("md5");
  const field = (bytes: Uint8Array): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.byteLength);
    hash.update(length).update(bytes);
  };
  for (const name of names) {
    const { DataType = "String", StringValue, BinaryValue } = attributes[name]!;
    field(Buffer.from(name, "utf8"));
    field(Buffer.from(DataType, "utf8"));
    const binary = DataType.startsWith("Binary");
    hash.update(Buffer.from([binary ? BINARY_TRANSPORT : STRING_TRANSPORT]));
    field(binary ? (BinaryValue ?? new Uint8Array()) : Buffer.from(StringValue ?? "", "utf8"));
  }
  return hash.digest("hex");
}
