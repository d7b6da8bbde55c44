// The SQS limits module holds SQS's published values, spec.json's bounds agree with it, and the
// requests delivery builds stay within it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Delivery } from "../src/delivery/delivery.js";
import * as limits from "../src/sqs-limits.js";
import { FakeSender, outgoing } from "./helpers/delivery-fakes.js";

interface SpecProperty {
  maximum?: number;
  maxItems?: number;
  maxLength?: number;
  items?: { properties: Record<string, SpecProperty> };
}
const spec = JSON.parse(readFileSync(new URL("../spec.json", import.meta.url), "utf8")) as {
  properties: Record<string, SpecProperty>;
};

test("the limits are SQS's published quotas", () => {
  assert.deepEqual(
    {
      batchEntries: limits.MAX_BATCH_ENTRIES,
      batchRequestBytes: limits.MAX_BATCH_REQUEST_BYTES,
      messageBytes: limits.MAX_MESSAGE_BYTES,
      delaySeconds: limits.MAX_DELAY_SECONDS,
      batchEntryIdChars: limits.MAX_BATCH_ENTRY_ID_CHARS,
      fifoIdChars: limits.MAX_FIFO_ID_CHARS,
      messageAttributes: limits.MAX_MESSAGE_ATTRIBUTES,
      attributeNameChars: limits.MAX_ATTRIBUTE_NAME_CHARS,
      queueNameChars: limits.MAX_QUEUE_NAME_CHARS,
    },
    {
      batchEntries: 10,
      batchRequestBytes: 1_048_576,
      messageBytes: 1_048_576,
      delaySeconds: 900,
      batchEntryIdChars: 80,
      fifoIdChars: 128,
      messageAttributes: 10,
      attributeNameChars: 256,
      queueNameChars: 80,
    },
  );
  for (const allowed of ["\t", "\n", "\r", " ", "\uD7FF", "\uE000", "\uFFFD", "\u{10000}", "\u{10FFFF}"]) {
    assert.equal(limits.DISALLOWED_MESSAGE_CHARACTER.test(allowed), false, `U+${allowed.codePointAt(0)?.toString(16)}`);
  }
  for (const refused of ["\u0000", "\u0008", "\u001F", "\uFFFE", "\uFFFF", "\uD800"]) {
    assert.equal(limits.DISALLOWED_MESSAGE_CHARACTER.test(refused), true, `U+${refused.codePointAt(0)?.toString(16)}`);
  }
  assert.equal(limits.FIFO_ID.test("order-1:{eu}/~!"), true);
  assert.equal(limits.FIFO_ID.test("two words"), false);
});

test("spec.json's bounds are the limits", () => {
  const { max_message_bytes, message_attributes } = spec.properties;
  assert.equal(max_message_bytes?.maximum, limits.MAX_MESSAGE_BYTES);
  assert.equal(message_attributes?.maxItems, limits.MAX_MESSAGE_ATTRIBUTES);
  assert.equal(message_attributes?.items?.properties.name?.maxLength, limits.MAX_ATTRIBUTE_NAME_CHARS);
});

test("delivery's batches hold at most MAX_BATCH_ENTRIES entries, with ids SQS accepts", async () => {
  const sender = new FakeSender();
  const options = { fifo: false, maxInFlight: 2, maxBatchBytes: limits.MAX_BATCH_REQUEST_BYTES, retryMaxMs: 1000, lingerMs: 1 };
  const delivery = new Delivery(sender, options, { acknowledged: () => undefined, rejected: () => undefined });
  const queue = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
  for (let n = 0; n < 95; n++) await delivery.submit(outgoing(queue, n));
  await delivery.flush();
  const entries = sender.requests.flatMap((request) => request.entries);
  assert.equal(entries.length, 95);
  const validId = new RegExp(`^[A-Za-z0-9_-]{1,${limits.MAX_BATCH_ENTRY_ID_CHARS}}$`);
  for (const request of sender.requests) {
    assert.ok(request.entries.length <= limits.MAX_BATCH_ENTRIES, `${request.entries.length} entries`);
    const ids = request.entries.map((entry) => entry.id);
    assert.equal(new Set(ids).size, ids.length, "entry ids are unique in their request");
    for (const id of ids) assert.match(id, validId);
  }
});
