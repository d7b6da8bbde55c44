// Rejected rows against an emulator: every SQS rule the composer enforces rejects its row while the
// batch-mates arrive, and each rejected_rows policy (fail, skip, dead_letter) does what it promises.
// The policies that end a sync (fail, skip past max_rejected_rows) run the built CLI; the rest run in process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { recordLine, stateLine } from "./helpers/airbyte.js";
import {
  describeRun,
  receivedIds,
  rejectionWarnings,
  rowsThenState,
  runSync,
  STREAM,
  type SyncOutput,
  syncInProcess,
} from "./helpers/compose-e2e.js";
import { forEachEmulator, uniqueQueueName, withFauxqs, withMoto, type Emulator, type EmulatorContext } from "./helpers/emulators.js";

const byColumnId = { source: "column", column: "id" };
const MAX_BYTES = 1024;

/** Valid values for every setting the validation config reads; a case overrides one of them. */
const VALID = { delay: 0, note: "ok", n: "1", b: "AA==", filler: "" };

/** Each row breaks one rule (a value set to undefined leaves the column out); the expected reason names the setting and what is wrong. */
const STANDARD_CASES: { id: string; row: { [K in keyof typeof VALID]?: (typeof VALID)[K] | undefined }; reason: RegExp }[] = [
  { id: "body-too-big", row: { filler: "x".repeat(MAX_BYTES) }, reason: /over max_message_bytes \(1024\)/ },
  // The body alone fits; with the 150-character attribute it does not.
  {
    id: "too-big-with-attributes",
    row: { filler: "x".repeat(900), note: "n".repeat(150) },
    reason: /message is \d+ bytes \(body and attributes\), over max_message_bytes/,
  },
  {
    id: "body-bad-character",
    row: { filler: "bad \uFFFE" },
    reason: /message body contains U\+FFFE at character \d+, a character SQS does not accept/,
  },
  { id: "body-lone-surrogate", row: { filler: "half \uD83D pair" }, reason: /unpaired UTF-16 surrogate \(\\ud83d\)/ },
  {
    id: "attribute-bad-character",
    row: { note: "bell \u0007" },
    reason: /message_attributes\[0\]\.value \(attribute "note", String, from column "note"\).*U\+0007/,
  },
  { id: "attribute-missing", row: { note: undefined }, reason: /message_attributes\[0\]\.value \(column "note"\) is missing/ },
  {
    id: "delay-901",
    row: { delay: 901 },
    reason: /delay_seconds \(column "delay"\) is "901", which is not a whole number of seconds from 0 to 900/,
  },
  { id: "delay-negative", row: { delay: -1 }, reason: /delay_seconds \(column "delay"\) is "-1"/ },
  { id: "delay-fraction", row: { delay: 1.5 }, reason: /delay_seconds \(column "delay"\) is "1.5"/ },
  {
    id: "number-not-a-number",
    row: { n: "12abc" },
    reason: /\(attribute "n", Number, from column "n"\) is "12abc", which is not a number SQS accepts/,
  },
  {
    id: "number-too-many-digits",
    row: { n: "1".repeat(39) },
    reason: /attribute "n", Number, from column "n"\).*not a number SQS accepts/,
  },
  { id: "number-too-large", row: { n: "1e127" }, reason: /attribute "n", Number, from column "n"\).*not a number SQS accepts/ },
  {
    id: "binary-not-base64",
    row: { b: "not base64!" },
    reason: /\(attribute "b", Binary, from column "b"\) is "not base64!", which is not valid base64/,
  },
];
const STANDARD_GOOD = ["good-1", "good-2", "fits-with-small-attributes", "delay-900-accepted"];

const FIFO_CASES: { id: string; row: { group?: string; dedup?: string }; reason: RegExp }[] = [
  {
    id: "group-too-long",
    row: { group: "g".repeat(129) },
    reason: /message_group_id \(column "group"\).*is 129 characters long; SQS allows at most 128/,
  },
  {
    id: "group-space",
    row: { group: "tenant one" },
    reason: /message_group_id \(column "group"\) is "tenant one", which contains a character SQS does not allow/,
  },
  { id: "dedup-too-long", row: { dedup: "d".repeat(129) }, reason: /message_deduplication_id \(template\).*is 129 characters long/ },
  {
    id: "dedup-accent",
    row: { dedup: "caf\u00e9" },
    reason: /message_deduplication_id \(template\) is "caf\u00e9", which contains a character SQS does not allow/,
  },
];

function assertRejected(result: SyncOutput, cases: { id: string; reason: RegExp }[]): void {
  const rejected = new Map(rejectionWarnings(result).map((row) => [row.messageId, row.reason]));
  assert.deepEqual([...rejected.keys()].sort(), cases.map((rule) => rule.id).sort(), result.stdout);
  for (const rule of cases) {
    const reason = rejected.get(rule.id)!;
    assert.match(reason, rule.reason, `reason for ${rule.id}`);
    assert.match(reason, new RegExp(`^Row with message id "${rule.id}" was rejected: `));
  }
}

async function newQueue(emulator: Emulator, prefix: string, fifo = false): Promise<{ name: string; url: string }> {
  const name = uniqueQueueName(prefix, fifo);
  return { name, url: await emulator.createQueue(name) };
}

/** The policy runs' input: rows "good-N" and "bad-N" (a delay over 900), with STATEs between. */
function policyInput(sequence: (string | { state: string })[]): string[] {
  return sequence.map((item) =>
    typeof item === "string" ? recordLine(STREAM, { id: item, delay: item.startsWith("bad") ? 901 : 0 }) : stateLine({ at: item.state }),
  );
}

const policySettings = (queueName: string, rejectedRows: Record<string, unknown>) => ({
  queue: { source: "static", value: queueName },
  message_id: byColumnId,
  delay_seconds: { source: "column", column: "delay" },
  rejected_rows: rejectedRows,
});

forEachEmulator("rejected rows", (context) => {
  test("standard queue: each size, character, delay and attribute rule rejects its row while the batch-mates arrive", async () => {
    const { emulator } = context;
    const queue = await newQueue(emulator, "reject-standard");
    const rows = [
      { id: "good-1", ...VALID },
      ...STANDARD_CASES.flatMap((rule, index) => [
        { id: rule.id, ...VALID, ...rule.row },
        ...(index === 4 ? [{ id: "good-2", ...VALID }] : []),
      ]),
      { id: "fits-with-small-attributes", ...VALID, filler: "x".repeat(900) },
      { id: "delay-900-accepted", ...VALID, delay: 900 },
    ];
    const result = await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: queue.name },
        message_id: byColumnId,
        message_body: { format: "columns", columns: [{ column: "id" }, { column: "filler" }] },
        max_message_bytes: MAX_BYTES,
        delay_seconds: { source: "column", column: "delay" },
        message_attributes: [
          { name: "note", data_type: "String", value: { source: "column", column: "note" } },
          { name: "n", data_type: "Number", value: { source: "column", column: "n" } },
          { name: "b", data_type: "Binary", value: { source: "column", column: "b" } },
        ],
        rejected_rows: { policy: "skip" },
      },
      rowsThenState(rows),
    );
    assertRejected(result, STANDARD_CASES);
    assert.deepEqual(
      result.states.map((state) => state.destinationStats),
      [{ recordCount: STANDARD_GOOD.length, rejectedRecordCount: STANDARD_CASES.length }],
    );
    // delay-900-accepted was accepted but stays invisible for 15 minutes.
    assert.deepEqual(receivedIds(await emulator.receiveAll(queue.url)), ["fits-with-small-attributes", "good-1", "good-2"]);
  });

  test("FIFO queue: group and dedup ids that are too long or hold other characters reject their rows only", async () => {
    const { emulator } = context;
    const queue = await newQueue(emulator, "reject-fifo", true);
    const good = [
      { id: "longest-group", group: "g".repeat(128), dedup: "a" },
      { id: "punctuation", group: "t-1", dedup: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" },
    ];
    const rows = [good[0]!, ...FIFO_CASES.map((rule) => ({ id: rule.id, group: "t-1", dedup: rule.id, ...rule.row })), good[1]!];
    const result = await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: queue.name },
        queue_type: "fifo",
        message_id: byColumnId,
        message_group_id: { source: "column", column: "group" },
        message_deduplication_id: { source: "template", template: "{{ row.dedup }}" },
        rejected_rows: { policy: "skip" },
      },
      rowsThenState(rows),
    );
    assertRejected(result, FIFO_CASES);
    const received = await emulator.receiveAll(queue.url);
    assert.deepEqual(
      received.map((message) => [message.groupId, message.dedupId]).sort(),
      good.map((row) => [row.group, row.dedup]).sort(),
    );
  });

  test("policy fail: the first rejection ends the sync with a TRACE naming the row and reason, no STATE after it, exit 1", async () => {
    const { emulator } = context;
    const queue = await newQueue(emulator, "policy-fail");
    const input = policyInput(["good-1", { state: "1" }, "bad-2", { state: "2" }, "good-3", { state: "3" }]);
    const result = await runSync(emulator, policySettings(queue.name, { policy: "fail" }), input);
    assert.equal(result.code, 1, describeRun(result));
    assert.deepEqual(
      result.states.map((state) => state.data),
      [{ at: "1" }],
    );
    assert.match(
      result.error?.message ?? "",
      /The sync stopped at a rejected row bad-2 of stream "people": Row with message id "bad-2" was rejected: delay_seconds \(column "delay"\) is "901"/,
    );
    assert.match(result.error?.message ?? "", /set rejected_rows\.policy to "skip" or "dead_letter"/);
    assert.equal(result.error?.failure_type, "config_error");
    assert.deepEqual(receivedIds(await emulator.receiveAll(queue.url)).includes("good-1"), true);
  });

  test("policy skip: rejections are logged with message id and reason and counted per STATE, until max_rejected_rows is passed", async () => {
    const { emulator } = context;
    const queue = await newQueue(emulator, "policy-skip");
    const input = policyInput(["good-1", "bad-1", { state: "1" }, "bad-2", "good-2", { state: "2" }, "bad-3", "good-3", { state: "3" }]);
    const result = await runSync(emulator, policySettings(queue.name, { policy: "skip", max_rejected_rows: 2 }), input);
    assert.equal(result.code, 1, describeRun(result));
    assert.deepEqual(
      result.states.map((state) => [state.data, state.destinationStats]),
      [
        [{ at: "1" }, { recordCount: 1, rejectedRecordCount: 1 }],
        [{ at: "2" }, { recordCount: 1, rejectedRecordCount: 1 }],
      ],
    );
    const warned = rejectionWarnings(result);
    assert.deepEqual(
      warned.map((row) => row.messageId),
      ["bad-1", "bad-2"],
    );
    for (const row of warned) assert.match(row.reason, /delay_seconds \(column "delay"\) is "901"/);
    assert.match(
      result.error?.message ?? "",
      /3 rows were rejected, more than rejected_rows\.max_rejected_rows \(2\)\. The last was row bad-3 of stream "people"/,
    );
    assert.deepEqual(receivedIds(await emulator.receiveAll(queue.url)).slice(0, 2), ["good-1", "good-2"]);
  });
});

/** The dead-letter suites run against fauxqs and against moto. */
function deadLetterSuites(define: (context: EmulatorContext, emulatorName: Emulator["name"]) => void): void {
  withFauxqs("rejected rows, dead-letter queue", (context) => define(context, "fauxqs"));
  withMoto("rejected rows, dead-letter queue", (context) => define(context, "moto"));
}

deadLetterSuites((context, emulatorName) => {
  test("policy dead_letter: each rejected row arrives in the dead-letter queue as an envelope and counts as handled", async () => {
    const { emulator } = context;
    const queue = await newQueue(emulator, "policy-dlq");
    const deadLetters = await newQueue(emulator, "policy-dlq-dead");
    const input = policyInput(["good-1", "bad-1", { state: "1" }, "bad-2", "good-2", { state: "2" }]);
    const result = await syncInProcess(emulator, policySettings(queue.name, { policy: "dead_letter", queue_url: deadLetters.url }), input);
    assert.deepEqual(
      result.states.map((state) => state.destinationStats),
      [
        { recordCount: 1, rejectedRecordCount: 1 },
        { recordCount: 1, rejectedRecordCount: 1 },
      ],
    );
    assert.deepEqual(receivedIds(await emulator.receiveAll(queue.url)), ["good-1", "good-2"]);
    const envelopes = (await emulator.receiveAll(deadLetters.url)).map((message) => JSON.parse(message.body) as Record<string, unknown>);
    envelopes.sort((a, b) => String(a.message_id).localeCompare(String(b.message_id)));
    assert.equal(envelopes.length, 2);
    for (const [index, envelope] of envelopes.entries()) {
      const id = `bad-${index + 1}`;
      assert.equal(envelope.message_id, id);
      assert.equal(envelope.stream, STREAM);
      assert.deepEqual(envelope.record, { id, delay: 901 });
      assert.match(
        String(envelope.error),
        new RegExp(`^Row with message id "${id}" was rejected: delay_seconds \\(column "delay"\\) is "901"`),
      );
    }
  });

  /**
   * SQS refuses a message over the queue's own MaximumMessageSize with a `Failed[]` entry
   * (SenderFault: true) and stores its batch-mates; fauxqs does the same. moto instead fails the
   * whole request, and refuses no other entry our validation lets through, so this runs on fauxqs only.
   */
  test("a message over the queue's MaximumMessageSize is refused by SQS and handled by the policy", {
    skip: emulatorName === "moto" && "moto fails the whole request",
  }, async () => {
    const { emulator } = context;
    const name = uniqueQueueName("sqs-refused");
    const url = await emulator.createQueue(name, { MaximumMessageSize: "1024" });
    const deadLetters = await newQueue(emulator, "sqs-refused-dead");
    const rows = [
      { id: "small-1", text: "fits" },
      { id: "large", text: "x".repeat(2000) },
      { id: "small-2", text: "fits" },
    ];
    const result = await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: name },
        message_id: byColumnId,
        rejected_rows: { policy: "dead_letter", queue_url: deadLetters.url },
      },
      rowsThenState(rows),
    );
    assert.deepEqual(
      result.states.map((state) => state.destinationStats),
      [{ recordCount: 2, rejectedRecordCount: 1 }],
    );
    assert.deepEqual(receivedIds(await emulator.receiveAll(url)), ["small-1", "small-2"]);
    const [envelope, ...others] = (await emulator.receiveAll(deadLetters.url)).map(
      (message) => JSON.parse(message.body) as Record<string, unknown>,
    );
    assert.deepEqual(others, []);
    assert.equal(envelope?.message_id, "large");
    assert.deepEqual(envelope?.record, rows[1]);
    assert.match(
      String(envelope?.error),
      new RegExp(`SQS refused the message for queue ${url}: InvalidParameterValue.*shorter than 1024 bytes\\.\\s*$`),
    );
  });
});
