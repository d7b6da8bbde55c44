// The preview command: what each record would become, without sending. Most cases run in process;
// the CLI runs use a closed port as the endpoint and log API calls, so any AWS call would show.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseArgs, UsageError } from "../src/cli-args.js";
import { loadConfig } from "../src/config/load.js";
import type { AirbyteMessage } from "../src/protocol/messages.js";
import { PREVIEW_PREFIX, type PreviewEntry } from "../src/commands/preview.js";
import { catalogOf, errorTraceOf, recordLine, stateLine } from "./helpers/airbyte.js";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { previewInProcess } from "./helpers/in-process.js";
import { testSettings } from "./helpers/config.js";
import { freePort, emulatorConfigFile } from "./helpers/emulators.js";

const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
const closedPort = await freePort();

function configFile(settings: Record<string, unknown>): string {
  return emulatorConfigFile(`http://127.0.0.1:${closedPort}`, {
    queue: { source: "static", value: "orders-queue" },
    message_id: { source: "column", column: "id" },
    log_api_calls: true,
    ...settings,
  });
}

function logTexts(messages: AirbyteMessage[]): string[] {
  return messages.flatMap((message) => (message.type === "LOG" ? [message.log.message] : []));
}

function entriesOf(messages: AirbyteMessage[]): PreviewEntry[] {
  return logTexts(messages)
    .filter((text) => text.startsWith(PREVIEW_PREFIX))
    .map((text) => JSON.parse(text.slice(PREVIEW_PREFIX.length)) as PreviewEntry);
}

/** A preview run in process; the CLI runs below show what only the process shows. */
async function preview(config: string, lines: string[], limit = defaultLimit()) {
  const result = await previewInProcess(loadConfig(config), catalog, lines.join("\n") + "\n", limit);
  return { ...result, entries: entriesOf(result.messages) };
}

/** A preview run by the built CLI, which logs its AWS calls: it must make none. */
async function previewOnCli(config: string, lines: string[], extraArgs: string[] = []) {
  const result = await runCli(["preview", "--config", config, "--catalog", catalog, ...extraArgs], {
    stdin: lines.join("\n") + "\n",
  });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.deepEqual(result.nonJsonLines, []);
  assert.deepEqual(
    logTexts(result.messages).filter((text) => text.startsWith("API_CALL ")),
    [],
    "preview makes no AWS call",
  );
  return { ...result, entries: entriesOf(result.messages) };
}

/** The --limit the CLI uses when none is given. */
function defaultLimit(): number {
  const command = parseArgs(["preview", "--config", "c.json", "--catalog", "k.json"]);
  assert.ok(command.name === "preview");
  return command.limit;
}

const ATTRIBUTE = { name: "source", data_type: "String", value: { source: "static", value: "crm" } };
/** Bytes SQS counts for ATTRIBUTE: name, data type and value. */
const ATTRIBUTE_BYTES = "source".length + "String".length + "crm".length;

interface FormatCase {
  format: string;
  messageBody: Record<string, unknown>;
  good: Record<string, unknown>;
  expectedBody: string;
  bad: Record<string, unknown>;
  reason: RegExp;
}

const FORMATS: FormatCase[] = [
  {
    format: "record",
    messageBody: { format: "record" },
    good: { id: "1", name: "Ann", delay: 5 },
    expectedBody: '{"id":"1","name":"Ann","delay":5}',
    bad: { id: "2", name: "Bob", delay: 901 },
    reason: /delay_seconds \(column "delay"\) is "901", which is not a whole number of seconds/,
  },
  {
    format: "column",
    messageBody: { format: "column", column: "payload" },
    good: { id: "1", delay: 5, payload: '{"kind":"order","total":3}' },
    expectedBody: '{"kind":"order","total":3}',
    bad: { id: "2", delay: 5, payload: "not json" },
    reason: /message_body \(column "payload"\) holds a string that is not valid JSON/,
  },
  {
    format: "columns",
    messageBody: { format: "columns", columns: [{ column: "first", field: "first_name" }, { column: "id" }] },
    good: { id: "1", first: "Ann", delay: 5, other: true },
    expectedBody: '{"first_name":"Ann","id":"1"}',
    bad: { id: "2", first: "Bob", delay: "soon" },
    reason: /delay_seconds \(column "delay"\) is "soon"/,
  },
  {
    format: "template",
    messageBody: { format: "template", template: '{"name": "{{ row.name }}", "change": "{{ change }}", "extra": {{ row.extra | raw }}}' },
    good: { id: "1", name: 'Ann "A"', delay: 5, extra: "[1, 2]" },
    expectedBody: '{"name":"Ann \\"A\\"","change":"added","extra":[1,2]}',
    bad: { id: "2", name: "Bob", delay: 5, extra: "{oops" },
    reason: /the output of message_body.template is not valid JSON/,
  },
];

describe("preview", () => {
  for (const { format, messageBody, good, expectedBody, bad, reason } of FORMATS) {
    test(`body format "${format}": shows the message a row would become and why another is rejected`, async () => {
      const config = configFile({
        message_body: messageBody,
        delay_seconds: { source: "column", column: "delay" },
        message_attributes: [ATTRIBUTE],
      });
      const { entries, messages } = await preview(config, [recordLine("orders", good), stateLine({ at: 1 }), recordLine("orders", bad)]);
      assert.equal(entries.length, 2);
      assert.deepEqual(entries[0], {
        record: 1,
        line: 1,
        stream: "orders",
        change: "added",
        outcome: "message",
        queue: "orders-queue",
        message_id: "1",
        delay_seconds: 5,
        attributes: { source: { data_type: "String", value: "crm" } },
        bytes: Buffer.byteLength(expectedBody) + ATTRIBUTE_BYTES,
        body: expectedBody,
      });
      const rejected = entries[1]!;
      assert.equal(rejected.outcome, "rejected");
      assert.equal(rejected.record, 2);
      assert.equal(rejected.line, 3);
      assert.ok(rejected.outcome === "rejected" && rejected.message_id === "2");
      assert.match(rejected.reason, /^Row with message id "2" was rejected: /);
      assert.match(rejected.reason, reason);
      assert.equal(errorTraceOf(messages), undefined);
      assert.ok(
        logTexts(messages).includes(
          "Preview of 2 records: 1 would be sent, 1 rejected, 0 skipped, 0 would stop the sync. Nothing was sent to SQS.",
        ),
      );
    });
  }

  test("FIFO: shows group and deduplication ids, and rejects a row whose queue is not a FIFO queue", async () => {
    const config = configFile({
      queue: { source: "column", column: "queue" },
      queue_type: "fifo",
      message_group_id: { source: "column", column: "tenant" },
      message_deduplication_id: { source: "template", template: "{{ row.id }}-{{ change }}" },
    });
    const { entries } = await preview(config, [
      recordLine("orders", { id: "1", tenant: "acme", queue: "orders.fifo" }),
      recordLine("orders", { id: "2", tenant: "acme", queue: "plain-queue" }),
      recordLine("orders", { id: "3", queue: "orders.fifo" }),
    ]);
    assert.deepEqual(
      entries.map((entry) => (entry.outcome === "message" ? [entry.queue, entry.group_id, entry.dedup_id] : [entry.outcome])),
      [["orders.fifo", "acme", "1-added"], ["rejected"], ["rejected"]],
    );
    assert.match(
      (entries[1] as { reason: string }).reason,
      /queue \(column "queue"\) is "plain-queue", which names a standard queue, but queue_type is "fifo"/,
    );
    assert.match((entries[2] as { reason: string }).reason, /message_group_id/);
  });

  test("shows rows the events filter or change detection would skip or reject, and records of unknown streams", async () => {
    const config = configFile({
      change_detection: { mode: "field", field: "op" },
      events: ["added", "changed"],
    });
    const { entries } = await preview(config, [
      recordLine("orders", { id: "1", op: "insert" }),
      recordLine("orders", { id: "2", op: "delete" }),
      recordLine("orders", { id: "3", op: "explode" }),
      recordLine("customers", { id: "4" }),
    ]);
    assert.deepEqual(
      entries.map((entry) => [entry.record, entry.outcome, entry.change]),
      [
        [1, "message", "added"],
        [2, "skipped", "removed"],
        [3, "rejected", undefined],
        [4, "error", undefined],
      ],
    );
    assert.equal((entries[1] as { reason: string }).reason, 'the events setting does not include "removed"');
    assert.match((entries[2] as { reason: string }).reason, /"explode"/);
    assert.match((entries[3] as { reason: string }).reason, /Stream "customers" is not in the configured catalog/);
  });

  test("a row whose queue URL write rejects (a host other than SQS's) is shown rejected, as write would reject it", async () => {
    // No endpoint: only the region's SQS hosts may be named, whichever host rule applies.
    const config = writeTempJson(
      testSettings({ queue: { source: "column", column: "queue" }, message_id: { source: "column", column: "id" } }),
    );
    const { entries } = await preview(config, [
      recordLine("orders", { id: "1", queue: "https://sqs.us-east-1.amazonaws.com/123456789012/orders" }),
      recordLine("orders", { id: "2", queue: "https://attacker.example/123456789012/orders" }),
    ]);
    assert.deepEqual(
      entries.map((entry) => [entry.record, entry.outcome]),
      [
        [1, "message"],
        [2, "rejected"],
      ],
    );
    assert.match(
      (entries[1] as { reason: string }).reason,
      /^Row with message id "2" was rejected: queue \(column "queue"\) is .*attacker\.example/,
    );
  });

  test("stops after --limit records (10 by default), counting records only", async () => {
    const lines = Array.from({ length: 12 }, (_, i) => [recordLine("orders", { id: String(i + 1) }), stateLine({ at: i })]).flat();
    const limited = await previewOnCli(configFile({}), lines, ["--limit", "3"]);
    assert.deepEqual(
      limited.entries.map((entry) => entry.outcome === "message" && entry.message_id),
      ["1", "2", "3"],
    );
    const byDefault = await preview(configFile({}), lines);
    assert.equal(byDefault.entries.length, 10);
  });

  test("the date filter names months and days in English whatever the machine's locale", async () => {
    const config = configFile({ message_body: { format: "template", template: '{"on": "{{ row.at | date: "%A %d %B" }}"}' } });
    const result = await runCli(["preview", "--config", config, "--catalog", catalog], {
      stdin: recordLine("orders", { id: "1", at: "2024-03-05T10:00:00Z" }) + "\n",
      env: { LANG: "de_DE.UTF-8", LC_ALL: "de_DE.UTF-8", TZ: "UTC" },
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const [entry] = entriesOf(result.messages);
    assert.ok(entry?.outcome === "message");
    assert.equal(entry.body, '{"on":"Tuesday 05 March"}');
  });

  test("a template that does not parse fails like write, as a config error", async () => {
    const config = configFile({ message_body: { format: "template", template: "{{ row.id " } });
    const result = await runCli(["preview", "--config", config, "--catalog", catalog], { stdin: recordLine("orders", { id: "1" }) + "\n" });
    assert.equal(result.code, 1);
    assert.equal(errorTraceOf(result.messages)?.failure_type, "config_error");
  });
});

describe("preview arguments", () => {
  test("--limit is optional, a positive whole number, and only for preview", () => {
    assert.deepEqual(parseArgs(["preview", "--config", "c.json", "--catalog", "k.json"]), {
      name: "preview",
      config: "c.json",
      catalog: "k.json",
      limit: 10,
    });
    assert.deepEqual(parseArgs(["preview", "--config=c.json", "--catalog=k.json", "--limit=25"]), {
      name: "preview",
      config: "c.json",
      catalog: "k.json",
      limit: 25,
    });
    for (const bad of ["0", "-1", "2.5", "ten"]) {
      assert.throws(() => parseArgs(["preview", "--config", "c", "--catalog", "k", "--limit", bad]), UsageError);
    }
    assert.throws(() => parseArgs(["write", "--config", "c", "--catalog", "k", "--limit", "3"]), /only applies to the preview command/);
    assert.throws(() => parseArgs(["preview", "--config", "c"]), /needs --catalog/);
  });
});
