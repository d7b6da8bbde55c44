// Message composition against an emulator: each body format, hostile strings, FIFO ids, per-row delay
// and message attributes, checked on the messages the emulator hands back. Record bodies go through the
// built CLI (stdin to queue); the other cases run the same write in process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bodiesById, describeRun, receivedIds, rejectionWarnings, rowsThenState, runSync, syncInProcess } from "./helpers/compose-e2e.js";
import { forEachEmulator, uniqueQueueName, type Emulator } from "./helpers/emulators.js";

/** Strings that break naive JSON building or templating. */
const HOSTILE_STRINGS = [
  'She said "hi", then left',
  'back\\slash \\" and \\u0041 literally',
  "line one\nline two\r\n\ttabbed",
  "control \u0001\u0008\u001f characters",
  "{{ row.secret }} and {% raw %} are just text",
  '"}, "injected": true, "x": "',
  "</script><script>alert(1)</script>",
  "zero\u200bwidth, line\u2028separator, RTL \u05e9\u05dc\u05d5\u05dd",
];
/** fauxqs 1.9 refuses characters beyond U+FFFF, which SQS accepts; only moto gets them. */
const ASTRAL_STRINGS = ["emoji \u{1F600} and \u{1F1EB}\u{1F1F7}"];

function hostileStrings(emulator: Emulator): string[] {
  return emulator.name === "moto" ? [...HOSTILE_STRINGS, ...ASTRAL_STRINGS] : HOSTILE_STRINGS;
}

async function queueFor(emulator: Emulator, prefix: string, fifo = false): Promise<{ name: string; url: string }> {
  const name = uniqueQueueName(prefix, fifo);
  return { name, url: await emulator.createQueue(name) };
}

const byColumnId = { source: "column", column: "id" };

forEachEmulator("message composition", (context) => {
  test("record bodies are the record's data, byte for byte, whatever the strings hold", async () => {
    const { emulator } = context;
    const queue = await queueFor(emulator, "body-record");
    const rows = hostileStrings(emulator).map((text, index) => ({ id: index, text, nested: { text, list: [text, null, 1.5] } }));
    const result = await runSync(emulator, { queue: { source: "static", value: queue.name } }, rowsThenState(rows));
    assert.equal(result.code, 0, describeRun(result));

    const received = await emulator.receiveAll(queue.url);
    assert.deepEqual(received.map((message) => message.body).sort(), rows.map((row) => JSON.stringify(row)).sort());
  });

  test("column bodies: an object, an array or a JSON string is sent compact; a non-JSON string or null is rejected", async () => {
    const { emulator } = context;
    const queue = await queueFor(emulator, "body-column");
    const rows = [
      { id: "object", payload: { kind: "object", items: [1, 2] } },
      { id: "array", payload: [{ kind: "array" }, 2] },
      { id: "json-string", payload: '{ "kind" : "json string",\n  "n": 3 }' },
      { id: "not-json", payload: "kind: yaml" },
      { id: "null", payload: null },
    ];
    const result = await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: queue.name },
        message_body: { format: "column", column: "payload" },
        message_id: byColumnId,
        rejected_rows: { policy: "skip" },
      },
      rowsThenState(rows),
    );

    const received = await emulator.receiveAll(queue.url);
    assert.deepEqual(received.map((message) => message.body).sort(), [
      '[{"kind":"array"},2]',
      '{"kind":"json string","n":3}',
      '{"kind":"object","items":[1,2]}',
    ]);
    const rejected = rejectionWarnings(result);
    assert.deepEqual(rejected.map((row) => row.messageId).sort(), ["not-json", "null"]);
    assert.match(
      rejected.find((row) => row.messageId === "not-json")!.reason,
      /message_body \(column "payload"\) holds a string that is not valid JSON/,
    );
    assert.match(rejected.find((row) => row.messageId === "null")!.reason, /message_body \(column "payload"\) is null/);
    assert.equal(result.states[0]?.destinationStats?.rejectedRecordCount, 2);
  });

  test("columns bodies rename fields, read nested paths and dotted column names, and send missing columns as null", async () => {
    const { emulator } = context;
    const queue = await queueFor(emulator, "body-columns");
    const rows = [
      { id: 1, first_name: "Ada", address: { city: "London", geo: { lat: 51.5 } }, "dotted.key": "top-level wins", secret: "not sent" },
      { id: 2, first_name: 'Grace "Amazing"', address: null, "dotted.key": ["x"] },
    ];
    await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: queue.name },
        message_body: {
          format: "columns",
          columns: [
            { column: "id" },
            { column: "first_name", field: "customer_first_name" },
            { column: "address.city", field: "city" },
            { column: "address.geo.lat", field: "latitude" },
            { column: "dotted.key" },
          ],
        },
      },
      rowsThenState(rows),
    );

    const bodies = bodiesById(await emulator.receiveAll(queue.url));
    assert.deepEqual(bodies.get(1), { id: 1, customer_first_name: "Ada", city: "London", latitude: 51.5, "dotted.key": "top-level wins" });
    assert.deepEqual(bodies.get(2), { id: 2, customer_first_name: 'Grace "Amazing"', city: null, latitude: null, "dotted.key": ["x"] });
  });

  test("template bodies: the Hightouch example, hostile values kept inside their strings, an invalid render rejected", async () => {
    const { emulator } = context;
    const queue = await queueFor(emulator, "body-template");
    const template =
      '{"name": "{{ row.full_name }}", "age": {{ row.age }}, "contact_info": [' +
      '{"type": "email", "value": "{{ row.email_address }}"}, {"type": "phone", "value": "{{ row.phone_number }}"}], ' +
      '"meta": {"stream": "{{ stream }}", "change": "{{ change }}", "tags": {{ row.tags | json }}}}';
    const person = { full_name: "Jane Doe", age: 34, email_address: "jane@example.com", phone_number: "+1 555 0100" };
    const hostile = hostileStrings(emulator);
    const rows = [
      { id: "jane", ...person, tags: ["vip"] },
      ...hostile.map((text, index) => ({ id: `hostile-${index}`, ...person, full_name: text, email_address: text, tags: [text] })),
      // Printed inside a JSON template a string stays a string, so it cannot add fields.
      { id: "injection", ...person, age: '1, "admin": true', tags: null },
    ];
    const result = await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: queue.name },
        message_body: { format: "template", template },
        message_id: byColumnId,
        rejected_rows: { policy: "skip" },
      },
      rowsThenState(rows),
    );

    const received = await emulator.receiveAll(queue.url);
    const bodies = received.map((message) => JSON.parse(message.body) as Record<string, unknown>);
    const expected = (name: string, email: string, tags: unknown[]) => ({
      name,
      age: 34,
      contact_info: [
        { type: "email", value: email },
        { type: "phone", value: "+1 555 0100" },
      ],
      meta: { stream: "people", change: "added", tags },
    });
    assert.deepEqual(
      bodies.find((body) => body.name === "Jane Doe"),
      expected("Jane Doe", "jane@example.com", ["vip"]),
    );
    for (const text of hostile) {
      assert.deepEqual(
        bodies.find((body) => body.name === text),
        expected(text, text, [text]),
        `hostile string ${JSON.stringify(text)}`,
      );
    }
    assert.equal(bodies.length, rows.length - 1);
    assert.equal(received[0]!.body, JSON.stringify(JSON.parse(received[0]!.body)), "bodies are compact JSON");
    const [rejected] = rejectionWarnings(result);
    assert.equal(rejected?.messageId, "injection");
    assert.match(rejected.reason, /the output of message_body\.template is not valid JSON/);
  });

  test("a standard queue: delay_seconds from a column holds a message back; attributes of each type arrive", async () => {
    const { emulator } = context;
    const queue = await queueFor(emulator, "delay-attributes");
    const rows = [
      { id: 1, delay: 0, tier: "gold", score: "42.5", blob: Buffer.from([0, 1, 2, 255]).toString("base64") },
      { id: 2, delay: "0", tier: "caf\u00e9 \u2615", score: -7, blob: Buffer.from("hi").toString("base64") },
      { id: 3, delay: 900, tier: "late", score: 1, blob: "" + Buffer.from("x").toString("base64") },
    ];
    await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: queue.name },
        delay_seconds: { source: "column", column: "delay" },
        message_attributes: [
          { name: "tier", data_type: "String", value: { source: "column", column: "tier" } },
          { name: "score", data_type: "Number", value: { source: "column", column: "score" } },
          { name: "row.id", data_type: "Number", value: { source: "template", template: "{{ row.id }}0" } },
          { name: "blob", data_type: "Binary", value: { source: "column", column: "blob" } },
          { name: "origin", data_type: "String", value: { source: "static", value: "destination-sqs" } },
        ],
      },
      rowsThenState(rows),
    );

    // Row 3 waits 900 s in the queue: only rows 1 and 2 can be received now.
    const received = await emulator.receiveAll(queue.url);
    assert.deepEqual(receivedIds(received), [1, 2]);
    const first = received.find((message) => (JSON.parse(message.body) as { id: number }).id === 1)!;
    const second = received.find((message) => (JSON.parse(message.body) as { id: number }).id === 2)!;
    assert.deepEqual(first.messageAttributes.tier, { DataType: "String", StringValue: "gold" });
    assert.deepEqual(first.messageAttributes.score, { DataType: "Number", StringValue: "42.5" });
    assert.deepEqual(first.messageAttributes["row.id"], { DataType: "Number", StringValue: "10" });
    assert.deepEqual(first.messageAttributes.origin, { DataType: "String", StringValue: "destination-sqs" });
    assert.equal(first.messageAttributes.blob?.DataType, "Binary");
    assert.deepEqual([...(first.messageAttributes.blob?.BinaryValue ?? [])], [0, 1, 2, 255]);
    assert.equal(second.messageAttributes.tier?.StringValue, "caf\u00e9 \u2615");
    assert.equal(second.messageAttributes.score?.StringValue, "-7");
    assert.equal(Buffer.from(second.messageAttributes.blob?.BinaryValue ?? []).toString(), "hi");
  });

  test("FIFO: group id from a column and dedup id from a template arrive on each message; a repeated dedup id is stored once", async () => {
    const { emulator } = context;
    const queue = await queueFor(emulator, "fifo-column-template", true);
    const rows = [
      { id: 1, tenant: "acme", version: 1 },
      { id: 2, tenant: "globex", version: 1 },
      { id: 1, tenant: "acme", version: 2 },
      { id: 1, tenant: "acme", version: 2, resent: true },
    ];
    await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: queue.name },
        queue_type: "fifo",
        message_group_id: { source: "column", column: "tenant" },
        message_deduplication_id: { source: "template", template: "{{ row.id }}-v{{ row.version }}" },
      },
      rowsThenState(rows),
    );

    const received = await emulator.receiveAll(queue.url);
    assert.deepEqual(received.map((message) => [message.groupId, message.dedupId, message.body]).sort(), [
      ["acme", "1-v1", JSON.stringify(rows[0])],
      ["acme", "1-v2", JSON.stringify(rows[2])],
      ["globex", "2-v1", JSON.stringify(rows[1])],
    ]);
  });

  test("FIFO: a static group id with dedup ids from a column; a template group id with the default dedup id", async () => {
    const { emulator } = context;
    const staticQueue = await queueFor(emulator, "fifo-static-column", true);
    const rows = [
      { id: 1, region: "eu", event_id: "evt-1" },
      { id: 2, region: "us", event_id: "evt-2" },
    ];
    await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: staticQueue.name },
        queue_type: "fifo",
        message_group_id: { source: "static", value: "all-people" },
        message_deduplication_id: { source: "column", column: "event_id" },
      },
      rowsThenState(rows),
    );
    const staticReceived = await emulator.receiveAll(staticQueue.url);
    assert.deepEqual(staticReceived.map((message) => [message.groupId, message.dedupId]).sort(), [
      ["all-people", "evt-1"],
      ["all-people", "evt-2"],
    ]);

    const templateQueue = await queueFor(emulator, "fifo-template-default", true);
    await syncInProcess(
      emulator,
      {
        queue: { source: "static", value: templateQueue.name },
        queue_type: "fifo",
        message_group_id: { source: "template", template: "{{ stream }}:{{ row.region }}" },
      },
      rowsThenState(rows),
    );
    const templateReceived = await emulator.receiveAll(templateQueue.url);
    assert.deepEqual(templateReceived.map((message) => message.groupId).sort(), ["people:eu", "people:us"]);
    for (const message of templateReceived) assert.match(message.dedupId ?? "", /^[0-9a-f]{64}$/);
  });
});
