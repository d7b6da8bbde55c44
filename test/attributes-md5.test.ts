// SQS's MD5 of message attributes, computed by the connector, against what SQS emulators answer.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { type MessageAttributeValue, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { attributesMd5 } from "../src/delivery/attributes-md5.js";
import { TEST_CREDENTIALS, TEST_REGION } from "./helpers/config.js";
import { forEachEmulator, uniqueQueueName } from "./helpers/emulators.js";

const CASES: Record<string, Record<string, MessageAttributeValue>> = {
  "one String": { source: { DataType: "String", StringValue: "crm" } },
  "non-ASCII values": { name: { DataType: "String", StringValue: "ünïcødé ✓" }, ascii: { DataType: "String", StringValue: "x" } },
  "Number with a custom type, Binary": {
    n: { DataType: "Number.int", StringValue: "42" },
    bin: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 255]) },
    z: { DataType: "String.custom", StringValue: "last" },
  },
};

test("no attributes: no MD5, as SQS answers none", () => {
  assert.equal(attributesMd5(undefined), undefined);
  assert.equal(attributesMd5({}), undefined);
});

test("a value known from SQS's documentation's algorithm: names sorted, lengths big-endian, transport byte", () => {
  // Worked by hand: 0x00000001 "a" 0x00000006 "String" 0x01 0x00000001 "b"
  const bytes = Buffer.concat([
    Buffer.from([0, 0, 0, 1]),
    Buffer.from("a"),
    Buffer.from([0, 0, 0, 6]),
    Buffer.from("String"),
    Buffer.from([1, 0, 0, 0, 1]),
    Buffer.from("b"),
  ]);
  assert.equal(attributesMd5({ a: { DataType: "String", StringValue: "b" } }), createHash("md5").update(bytes).digest("hex"));
});

forEachEmulator("attributes MD5 matches SQS's answer", (context) => {
  for (const [name, attributes] of Object.entries(CASES)) {
    test(name, async () => {
      const { emulator } = context;
      const queueUrl = await emulator.createQueue(uniqueQueueName("md5"));
      const sqs = new SQSClient({ region: TEST_REGION, endpoint: emulator.endpoint, credentials: TEST_CREDENTIALS });
      try {
        const answer = await sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: "0", MessageBody: "{}", MessageAttributes: attributes }] }),
        );
        assert.deepEqual(answer.Failed ?? [], []);
        assert.equal(attributesMd5(attributes), answer.Successful?.[0]?.MD5OfMessageAttributes);
      } finally {
        sqs.destroy();
      }
    });
  }
});
