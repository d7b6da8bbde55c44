// The standard/FIFO rules live in src/queue-type.ts: the loader, the composer, check and preview
// apply the same rules in the same words.
import assert from "node:assert/strict";
import { test } from "node:test";
import { validateConfig } from "../src/config/load.js";
import { UserFacingError } from "../src/errors.js";
import { isFifoQueueName, queueTypeMismatch, queueTypeSettingIssues } from "../src/queue-type.js";
import { testConfig, testSettings } from "./helpers/config.js";
import { composerFor } from "./helpers/compose.js";

const staticValue = (value: string) => ({ source: "static" as const, value });

test("a FIFO queue's name ends in .fifo", () => {
  assert.equal(isFifoQueueName("orders.fifo"), true);
  assert.equal(isFifoQueueName("orders"), false);
  assert.equal(isFifoQueueName("orders.fifo-archive"), false);
});

test("the settings each queue type requires or forbids", () => {
  const fifo = testConfig({ queue_type: "fifo" });
  assert.deepEqual(queueTypeSettingIssues({ ...fifo, message_group_id: staticValue("g") }), []);
  const [noGroup, delayed] = queueTypeSettingIssues({ ...fifo, delay_seconds: staticValue("5") });
  assert.match(noGroup ?? "", /^message_group_id is required when queue_type is fifo: /);
  assert.match(delayed ?? "", /^delay_seconds is only allowed with queue_type standard: /);
  assert.deepEqual(queueTypeSettingIssues(testConfig({ message_deduplication_id: staticValue("d") })), [
    "message_deduplication_id is only allowed with queue_type fifo; remove it or set queue_type to fifo",
  ]);
});

test("the loader and the composer refuse a FIFO config without message_group_id in the same words", () => {
  const [issue] = queueTypeSettingIssues(testConfig({ queue_type: "fifo" }));
  assert.ok(issue);
  assert.throws(
    () => validateConfig(testSettings({ queue_type: "fifo", queue: staticValue("orders.fifo") }), "config.json"),
    (error: unknown) => error instanceof UserFacingError && error.message.includes(issue),
  );
  assert.throws(
    () => composerFor(testConfig({ queue_type: "fifo" })),
    (error: unknown) => error instanceof UserFacingError && error.message === `${issue}.`,
  );
});

test("a queue whose name disagrees with queue_type: the loader says what check and preview say", () => {
  const mismatch = queueTypeMismatch("orders.fifo", "standard");
  assert.match(mismatch ?? "", /^queue_type is "standard" but queue "orders.fifo" is a FIFO queue/);
  assert.equal(queueTypeMismatch("orders.fifo", "fifo"), undefined);
  assert.equal(queueTypeMismatch("orders", "standard"), undefined);
  assert.throws(
    () =>
      validateConfig(testSettings({ queue: staticValue("https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo/") }), "config.json"),
    (error: unknown) => error instanceof UserFacingError && error.message.includes(mismatch ?? "?"),
  );
});
