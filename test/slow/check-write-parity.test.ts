// Every configuration error a sync reports before it reads a row, `check` reports as FAILED with the same message:
// Airbyte runs check when the destination is saved, and a saved destination must not fail its first sync's start.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { checkConfigFile } from "../../src/commands/check.js";
import { catalogOf, errorTraceOf, recordLine } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { type Emulator, startFauxqs, uniqueQueueName } from "../helpers/emulators.js";
import { testSettings } from "../helpers/config.js";

const BROKEN_TEMPLATE = { source: "template", template: "{{ row.id | nosuch }}" };

/** A local snapshot store in a fresh directory. */
function snapshotIn(settings: Record<string, unknown> = {}): Record<string, unknown> {
  return { mode: "snapshot", store: { type: "local", directory: mkdtempSync(join(tmpdir(), "parity-store-")) }, ...settings };
}

/** A directory path under a regular file, which no one can create. */
function uncreatableDirectory(): string {
  const file = join(mkdtempSync(join(tmpdir(), "parity-file-")), "a-file");
  writeFileSync(file, "");
  return join(file, "snapshots");
}

const S3_LARGE_MESSAGES = { policy: "s3", bucket: "payloads" };
const attributes = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ name: `a${index}`, data_type: "String", value: { source: "static", value: "x" } }));

/**
 * The start-up configuration errors, one case each: `settings` are added to a valid config for a
 * standard queue (`fifo` for a FIFO queue) that exists.
 */
const STARTUP_ERRORS: { name: string; fifo?: boolean; settings: () => Record<string, unknown> }[] = [
  // spec.json
  { name: "a value spec.json refuses", settings: () => ({ max_in_flight: 0 }) },
  { name: "an unknown value-source kind", settings: () => ({ message_id: { source: "nowhere" } }) },
  // every template in every setting is compiled
  { name: "the queue template", settings: () => ({ queue: BROKEN_TEMPLATE }) },
  { name: "the message_id template", settings: () => ({ message_id: BROKEN_TEMPLATE }) },
  { name: "the body template", settings: () => ({ message_body: { format: "template", template: "{{ row.id | nosuch }}" } }) },
  { name: "a body template that does not close", settings: () => ({ message_body: { format: "template", template: "{{ row.id " } }) },
  { name: "the message_group_id template", settings: () => ({ message_group_id: BROKEN_TEMPLATE }) },
  { name: "the delay_seconds template", settings: () => ({ delay_seconds: BROKEN_TEMPLATE }) },
  {
    name: "a message attribute's template",
    settings: () => ({ message_attributes: [{ name: "kind", data_type: "String", value: BROKEN_TEMPLATE }] }),
  },
  {
    name: "the message_deduplication_id template",
    fifo: true,
    settings: () => ({ message_group_id: { source: "static", value: "g" }, message_deduplication_id: BROKEN_TEMPLATE }),
  },
  // value lists
  {
    name: "a value listed under two change types",
    settings: () => ({ change_detection: { mode: "field", field: "op", added_values: ["x"], changed_values: ["X"] } }),
  },
  {
    name: "a value that is also a default spelling of another change type",
    settings: () => ({ change_detection: { mode: "field", field: "op", added_values: ["update"] } }),
  },
  // cross-field rules
  { name: "a FIFO queue name with queue_type standard", settings: () => ({ queue: { source: "static", value: "orders.fifo" } }) },
  {
    name: "a deduplication id on a standard queue",
    settings: () => ({ message_deduplication_id: { source: "static", value: "d" } }),
  },
  { name: "a static delay out of range", settings: () => ({ delay_seconds: { source: "static", value: "901" } }) },
  { name: "external_id without role_arn", settings: () => ({ external_id: "x" }) },
  { name: "an attribute name SQS refuses", settings: () => ({ message_attributes: [{ ...attributes(1)[0], name: "AWS.kind" }] }) },
  { name: "a repeated attribute name", settings: () => ({ message_attributes: [...attributes(1), ...attributes(1)] }) },
  { name: "a primary_key path that is not a list", settings: () => ({ change_detection: snapshotIn({ primary_key: ["id"] }) }) },
  { name: "alerts without a destination", settings: () => ({ alerts: { on_failure: true } }) },
  {
    name: "sns_endpoint without a topic",
    settings: () => ({ alerts: { webhook_url: "http://127.0.0.1:9/hook", sns_endpoint: "http://127.0.0.1:9" } }),
  },
  // large messages
  {
    name: "a large-message threshold over max_message_bytes",
    settings: () => ({ max_message_bytes: 1000, large_messages: { ...S3_LARGE_MESSAGES, threshold_bytes: 2000 } }),
  },
  {
    name: "an attribute named like the S3 pointer's",
    settings: () => ({ large_messages: S3_LARGE_MESSAGES, message_attributes: [{ ...attributes(1)[0], name: "ExtendedPayloadSize" }] }),
  },
  {
    name: "large_messages.always with ten attributes",
    settings: () => ({ large_messages: { ...S3_LARGE_MESSAGES, always: true }, message_attributes: attributes(10) }),
  },
  // the snapshot store
  {
    name: "both store and the deprecated state_directory",
    settings: () => ({ change_detection: snapshotIn({ state_directory: "/tmp/elsewhere" }) }),
  },
  {
    name: "a store directory that cannot be created",
    settings: () => ({ change_detection: { mode: "snapshot", store: { type: "local", directory: uncreatableDirectory() } } }),
  },
];

// The check command of the CLI is checkConfigFile (check.test.ts runs it); each write here is the built CLI.
describe("check refuses every configuration a sync refuses at its start, with the sync's message", { concurrency: 4 }, () => {
  let sqs: Emulator;
  let standardQueue: string;
  let fifoQueue: string;
  const catalog = writeTempJson(catalogOf([{ name: "orders", primaryKey: [["id"]] }]));

  before(async () => {
    sqs = await startFauxqs();
    standardQueue = uniqueQueueName("parity");
    fifoQueue = uniqueQueueName("parity", true);
    await sqs.createQueue(standardQueue);
    await sqs.createQueue(fifoQueue);
  });
  after(async () => {
    await sqs.stop();
  });

  for (const { name, fifo, settings } of STARTUP_ERRORS) {
    test(name, async () => {
      const queue = fifo
        ? { queue_type: "fifo", queue: { source: "static", value: fifoQueue } }
        : { queue: { source: "static", value: standardQueue } };
      const config = writeTempJson(testSettings({ endpoint: sqs.endpoint, retry_max_seconds: 1, ...queue, ...settings() }));

      const write = await runCli(["write", "--config", config, "--catalog", catalog], {
        stdin: recordLine("orders", { id: "1", op: "insert" }) + "\n",
      });
      const error = errorTraceOf(write.messages);
      assert.equal(write.code, 1, `the case must be a start-up error of write:\n${write.stdout}`);
      assert.equal(error?.failure_type, "config_error", write.stdout);

      assert.deepEqual(await checkConfigFile(config), { status: "FAILED", message: error.message });
    });
  }
});
