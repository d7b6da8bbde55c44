// Write and preview go through one row pipeline: for the same input they send, reject and skip the same rows.
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { test } from "node:test";
import { validateConfig } from "../src/config/load.js";
import { loadCatalog } from "../src/protocol/catalog.js";
import { MessageWriter } from "../src/protocol/output.js";
import { PREVIEW_PREFIX, runPreview, type PreviewEntry } from "../src/commands/preview.js";
import { runWrite } from "../src/commands/write.js";
import { catalogOf, recordLine } from "./helpers/airbyte.js";
import { writeTempJson } from "./helpers/cli.js";
import { testSettings } from "./helpers/config.js";
import { FakeSender } from "./helpers/delivery-fakes.js";
import { openDetector, queueHostRule } from "./helpers/in-process.js";

const SQS = "https://sqs.us-east-1.amazonaws.com/123456789012";

/** No endpoint: queue URLs must name the region's SQS hosts. */
const config = validateConfig(
  testSettings({
    queue: { source: "column", column: "queue" },
    message_id: { source: "column", column: "id" },
    delay_seconds: { source: "column", column: "delay" },
    change_detection: { mode: "field", field: "op" },
    events: ["added", "changed"],
    rejected_rows: { policy: "skip" },
  }),
  "the test config",
);
const catalog = loadCatalog(writeTempJson(catalogOf([{ name: "orders" }])));

const ROWS = [
  { id: "sent-by-name", op: "insert", queue: "orders", delay: 0 },
  { id: "filtered-out", op: "delete", queue: "orders", delay: 0 },
  { id: "undecidable", op: "explode", queue: "orders", delay: 0 },
  { id: "foreign-host", op: "insert", queue: "https://attacker.example/123456789012/orders", delay: 0 },
  { id: "bad-delay", op: "update", queue: "orders", delay: "soon" },
  { id: "sent-by-url", op: "update", queue: `${SQS}/orders`, delay: 5 },
];
const input = (): Readable => Readable.from([Buffer.from(ROWS.map((row) => recordLine("orders", row)).join("\n") + "\n")]);
const discard = (): MessageWriter => new MessageWriter(new Writable({ write: (_chunk, _encoding, done) => done() }));

interface Classified {
  sent: string[];
  rejected: string[];
  skipped: number;
}

async function classifiedByWrite(): Promise<Classified> {
  const sender = new FakeSender();
  const classified: Classified = { sent: [], rejected: [], skipped: 0 };
  await runWrite({
    config,
    catalog,
    input: input(),
    writer: discard(),
    sender,
    resolveQueue: async (name) => `${SQS}/${name}`,
    checkQueueUrl: queueHostRule(config),
    detector: await openDetector(config, catalog),
    observer: {
      recordRead: () => undefined,
      skipped: () => void classified.skipped++,
      published: () => undefined,
      rejected: (_stream, _change, messageId) => void classified.rejected.push(messageId),
    },
  });
  classified.sent = sender.requests.flatMap((request) => request.entries.map((entry) => entry.message.messageId));
  return classified;
}

async function classifiedByPreview(): Promise<Classified> {
  const lines: string[] = [];
  const writer = discard();
  writer.log = async (_level, message) => void lines.push(message);
  await runPreview({
    config,
    catalog,
    input: input(),
    writer,
    limit: ROWS.length,
    checkQueueUrl: queueHostRule(config),
    detector: await openDetector(config, catalog, true),
  });
  const entries = lines
    .filter((line) => line.startsWith(PREVIEW_PREFIX))
    .map((line) => JSON.parse(line.slice(PREVIEW_PREFIX.length)) as PreviewEntry);
  const idsOf = (outcome: string) =>
    entries.flatMap((entry) => (entry.outcome === outcome && "message_id" in entry ? [entry.message_id!] : []));
  return { sent: idsOf("message"), rejected: idsOf("rejected"), skipped: entries.filter((entry) => entry.outcome === "skipped").length };
}

test("write and preview send, reject and skip the same rows", async () => {
  const byWrite = await classifiedByWrite();
  assert.deepEqual(byWrite, { sent: ["sent-by-name", "sent-by-url"], rejected: ["undecidable", "foreign-host", "bad-delay"], skipped: 1 });
  assert.deepEqual(await classifiedByPreview(), byWrite);
});
