import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { RowInput } from "../src/compose/composer.js";
import { accepted, rejected, composerFor } from "./helpers/compose.js";
import type { Config } from "../src/config/types.js";
import { UserFacingError } from "../src/errors.js";
import { type ConfigOverrides, testConfig } from "./helpers/config.js";

const QUEUE_URL = "http://127.0.0.1:4566/000000000000/orders";

function config(overrides: ConfigOverrides = {}): Config {
  return testConfig({ queue: { source: "static", value: QUEUE_URL }, ...overrides });
}

function row(data: Record<string, unknown>, extra: Partial<RowInput> = {}): RowInput {
  return { data, change: "added", stream: "orders", namespace: "public", emittedAt: 1_700_000_000_000, ...extra };
}

describe("message body formats", () => {
  it("record: the record's data as compact JSON", () => {
    const message = accepted(composerFor(config()).compose(row({ id: 1, name: "Ann", tags: ["a", "b"], nested: { x: null } })));
    assert.equal(message.body, '{"id":1,"name":"Ann","tags":["a","b"],"nested":{"x":null}}');
    assert.equal(message.queue, QUEUE_URL);
    assert.equal(message.bytes, Buffer.byteLength(message.body));
  });

  it("column: an object, an array or a string holding JSON, re-serialised compactly", () => {
    const composer = composerFor(config({ message_body: { format: "column", column: "payload" } }));
    assert.equal(accepted(composer.compose(row({ payload: { a: 1, b: [2] } }))).body, '{"a":1,"b":[2]}');
    assert.equal(accepted(composer.compose(row({ payload: [1, "two"] }))).body, '[1,"two"]');
    assert.equal(accepted(composer.compose(row({ payload: '{ "a" : 1,\n "b": "x" }' }))).body, '{"a":1,"b":"x"}');
  });

  it("column: a string that is not JSON, or no value, rejects the row", () => {
    const composer = composerFor(
      config({ message_body: { format: "column", column: "payload" }, message_id: { source: "column", column: "id" } }),
    );
    const notJson = rejected(composer.compose(row({ id: "r1", payload: "hello" })));
    assert.equal(notJson.setting, "message_body");
    assert.match(notJson.reason, /"r1"/);
    assert.match(notJson.reason, /column "payload"/);
    assert.match(notJson.reason, /not valid JSON/);
    const missing = rejected(composer.compose(row({ id: "r2" })));
    assert.match(missing.reason, /"r2".*column "payload".* is missing/);
    assert.match(rejected(composer.compose(row({ id: "r3", payload: "" }))).reason, /empty string/);
  });

  it("columns: listed columns renamed to their field, field defaulting to the column, nested paths", () => {
    const composer = composerFor(
      config({
        message_body: {
          format: "columns",
          columns: [
            { column: "first_name", field: "customer_first_name" },
            { column: "email" },
            { column: "address.city", field: "city" },
            { column: "missing", field: "gone" },
            { column: "evil", field: "__proto__" },
          ],
        },
      }),
    );
    const message = accepted(
      composer.compose(row({ first_name: "Ann", email: "a@x.io", address: { city: "Oslo" }, other: 1, evil: { polluted: true } })),
    );
    assert.deepEqual(JSON.parse(message.body), {
      customer_first_name: "Ann",
      email: "a@x.io",
      city: "Oslo",
      gone: null,
      ["__proto__"]: { polluted: true },
    });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("template: the Hightouch example renders exactly", () => {
    const template =
      '{"name": "{{row.full_name}}", "age": {{row.age}}, "contact_info": [{"type": "email", "value": "{{row.email_address}}"}, {"type": "phone", "value": "{{row.phone_number}}"}]}';
    const composer = composerFor(config({ message_body: { format: "template", template } }));
    const message = accepted(
      composer.compose(row({ full_name: "John Doe", age: 30, email_address: "j@x.io", phone_number: "+14158675309" })),
    );
    assert.equal(
      message.body,
      '{"name":"John Doe","age":30,"contact_info":[{"type":"email","value":"j@x.io"},{"type":"phone","value":"+14158675309"}]}',
    );
  });
});

describe("value sources", () => {
  it("static, nested column and trimmed template values", () => {
    const composer = composerFor(
      config({
        queue: { source: "column", column: "route.queue" },
        message_id: { source: "template", template: "  {{ row.region }}-{{ row.id }}\n" },
        message_group_id: { source: "static", value: "tenant-a" },
      }),
    );
    const message = accepted(composer.compose(row({ id: 7, region: "eu", route: { queue: "orders-eu" } })));
    assert.equal(message.queue, "orders-eu");
    assert.equal(message.messageId, "eu-7");
    assert.equal(message.groupId, "tenant-a");
  });

  it("numbers print as JSON numbers and objects as JSON", () => {
    const composer = composerFor(
      config({
        message_id: { source: "column", column: "id" },
        message_attributes: [{ name: "meta", data_type: "String", value: { source: "column", column: "meta" } }],
      }),
    );
    const message = accepted(composer.compose(row({ id: 42.5, meta: { a: [1] } })));
    assert.equal(message.messageId, "42.5");
    assert.deepEqual(message.attributes?.meta, { DataType: "String", StringValue: '{"a":[1]}' });
  });

  for (const [label, data, state] of [
    ["missing", { id: "r1" }, "missing"],
    ["null", { id: "r1", tenant: null }, "null"],
    ["empty", { id: "r1", tenant: "" }, "an empty string"],
  ] as const) {
    it(`a required value that is ${label} rejects the row naming the id, the setting and the column`, () => {
      const composer = composerFor(
        config({ message_id: { source: "column", column: "id" }, message_group_id: { source: "column", column: "tenant" } }),
      );
      const rejection = rejected(composer.compose(row(data)));
      assert.equal(rejection.messageId, "r1");
      assert.equal(rejection.setting, "message_group_id");
      assert.equal(
        rejection.reason,
        `Row with message id "r1" was rejected: message_group_id (column "tenant") is ${state}; give every row a value there or choose another source for message_group_id.`,
      );
    });
  }

  it("a template that renders only whitespace is an empty value", () => {
    const composer = composerFor(config({ queue: { source: "template", template: " {{ row.q }} " } }));
    const rejection = rejected(composer.compose(row({})));
    assert.equal(rejection.setting, "queue");
    assert.match(rejection.reason, /queue \(template\) is an empty string/);
  });

  it("a column named with a dot is read before the nested path", () => {
    const composer = composerFor(config({ message_id: { source: "column", column: "a.b" } }));
    assert.equal(accepted(composer.compose(row({ "a.b": "flat", a: { b: "nested" } }))).messageId, "flat");
    assert.equal(accepted(composer.compose(row({ a: { b: "nested" } }))).messageId, "nested");
  });

  it("a column cannot read inherited properties", () => {
    const composer = composerFor(config({ message_id: { source: "column", column: "constructor" } }));
    assert.match(rejected(composer.compose(row({}))).reason, /column "constructor"\) is missing/);
  });
});

describe("message ids", () => {
  const composer = composerFor(config());

  it("default: a stable 32-character hash of stream, namespace and primary key", () => {
    const primaryKey = [["id"], ["site", "code"]];
    const first = accepted(composer.compose(row({ id: 1, site: { code: "x" }, name: "a" }, { primaryKey }))).messageId;
    const updated = accepted(composer.compose(row({ name: "b", site: { code: "x" }, id: 1 }, { primaryKey, change: "changed" }))).messageId;
    const again = accepted(composerFor(config()).compose(row({ id: 1, site: { code: "x" }, name: "a" }, { primaryKey }))).messageId;
    assert.match(first, /^[0-9a-f]{32}$/);
    assert.equal(updated, first);
    assert.equal(again, first);
    assert.notEqual(accepted(composer.compose(row({ id: 2, site: { code: "x" } }, { primaryKey }))).messageId, first);
    assert.notEqual(accepted(composer.compose(row({ id: 1, site: { code: "x" } }, { primaryKey, stream: "users" }))).messageId, first);
    assert.notEqual(accepted(composer.compose(row({ id: 1, site: { code: "x" } }, { primaryKey, namespace: null }))).messageId, first);
  });

  it("default without a primary key: a hash of the record, whatever its key order", () => {
    const first = accepted(composer.compose(row({ a: 1, b: { c: 2, d: 3 } }))).messageId;
    assert.equal(accepted(composer.compose(row({ b: { d: 3, c: 2 }, a: 1 }))).messageId, first);
    assert.notEqual(accepted(composer.compose(row({ a: 1, b: { c: 2, d: 4 } }))).messageId, first);
  });

  it("a row whose message_id is empty is named by its default id", () => {
    const withSource = composerFor(config({ message_id: { source: "column", column: "id" } }));
    const rejection = rejected(withSource.compose(row({ name: "x" })));
    assert.equal(rejection.messageId, accepted(composer.compose(row({ name: "x" }))).messageId);
    assert.equal(rejection.setting, "message_id");
  });
});

describe("FIFO ids", () => {
  const fifo = (overrides: ConfigOverrides = {}) =>
    composerFor(
      config({
        queue: { source: "static", value: `${QUEUE_URL}.fifo` },
        queue_type: "fifo",
        message_group_id: { source: "column", column: "tenant" },
        message_id: { source: "column", column: "id" },
        ...overrides,
      }),
    );

  it("default dedup id: stable per message id, change and body", () => {
    const composer = fifo();
    const first = accepted(composer.compose(row({ id: "1", tenant: "t", v: 1 })));
    assert.equal(first.groupId, "t");
    assert.match(first.dedupId ?? "", /^[0-9a-f]{64}$/);
    assert.equal(accepted(fifo().compose(row({ id: "1", tenant: "t", v: 1 }))).dedupId, first.dedupId);
    assert.notEqual(accepted(composer.compose(row({ id: "1", tenant: "t", v: 2 }))).dedupId, first.dedupId);
    assert.notEqual(accepted(composer.compose(row({ id: "1", tenant: "t", v: 1 }, { change: "changed" }))).dedupId, first.dedupId);
  });

  it("a configured dedup id is used; dedup ids are not sent to standard queues", () => {
    const dedup = { source: "template", template: "{{ row.id }}:{{ row.v }}" } as const;
    assert.equal(accepted(fifo({ message_deduplication_id: dedup }).compose(row({ id: "1", tenant: "t", v: 3 }))).dedupId, "1:3");
    const standard = composerFor(config({ message_deduplication_id: dedup, message_group_id: { source: "static", value: "g" } }));
    const message = accepted(standard.compose(row({ id: "1", v: 3 })));
    assert.equal(message.dedupId, undefined);
    assert.equal(message.groupId, "g", "a group id is sent to standard queues too (fair queues)");
  });

  it("group ids over 128 characters or with other characters reject the row", () => {
    const composer = fifo();
    const long = rejected(composer.compose(row({ id: "r1", tenant: "x".repeat(129) })));
    assert.equal(long.setting, "message_group_id");
    assert.match(long.reason, /"r1".*message_group_id \(column "tenant"\).*is 129 characters long; SQS allows at most 128/);
    accepted(composer.compose(row({ id: "r1", tenant: "x".repeat(128) })));
    const spaced = rejected(composer.compose(row({ id: "r2", tenant: "a b" })));
    assert.match(spaced.reason, /"a b", which contains a character SQS does not allow/);
    accepted(composer.compose(row({ id: "r3", tenant: "a-Z_0.9!\"#$%&'()*+,/:;<=>?@[\\]^`{|}~" })));
    const dedup = rejected(
      fifo({ message_deduplication_id: { source: "column", column: "d" } }).compose(row({ id: "r4", tenant: "t", d: "é" })),
    );
    assert.equal(dedup.setting, "message_deduplication_id");
  });

  it("FIFO without a group id, or with a delay, is a config error", () => {
    assert.throws(
      () => composerFor(config({ queue_type: "fifo" })),
      (error) => error instanceof UserFacingError && /message_group_id/.test(error.message),
    );
    assert.throws(
      () => fifo({ delay_seconds: { source: "static", value: "5" } }),
      (error) => error instanceof UserFacingError && /delay_seconds/.test(error.message),
    );
  });
});

describe("delay_seconds", () => {
  const composer = composerFor(
    config({ message_id: { source: "column", column: "id" }, delay_seconds: { source: "column", column: "delay" } }),
  );

  it("accepts whole seconds 0-900", () => {
    assert.equal(accepted(composer.compose(row({ id: "a", delay: 0 }))).delaySeconds, 0);
    assert.equal(accepted(composer.compose(row({ id: "a", delay: "900" }))).delaySeconds, 900);
  });

  for (const delay of [901, -1, 1.5, "abc", "1e2"]) {
    it(`rejects ${JSON.stringify(delay)}`, () => {
      const rejection = rejected(composer.compose(row({ id: "r1", delay })));
      assert.equal(rejection.setting, "delay_seconds");
      assert.match(
        rejection.reason,
        /"r1".*delay_seconds \(column "delay"\) is .*, which is not a whole number of seconds from 0 to 900 \(digits only, no spaces\)\.$/,
      );
    });
  }
});

describe("message attributes", () => {
  const attributes = (data_type: "String" | "Number" | "Binary") =>
    composerFor(
      config({
        message_id: { source: "column", column: "id" },
        message_body: { format: "columns", columns: [{ column: "id" }] },
        message_attributes: [
          { name: "kind", data_type: "String", value: { source: "static", value: "order" } },
          { name: "value", data_type, value: { source: "column", column: "v" } },
        ],
      }),
    );

  it("String, Number and Binary values, counted in the message size", () => {
    const message = accepted(attributes("Number").compose(row({ id: "a", v: -3.25e10 })));
    assert.deepEqual(message.attributes, {
      kind: { DataType: "String", StringValue: "order" },
      value: { DataType: "Number", StringValue: "-32500000000" },
    });
    const bodyBytes = Buffer.byteLength(message.body);
    assert.equal(
      message.bytes,
      bodyBytes + "kind".length + "String".length + "order".length + "value".length + "Number".length + "-32500000000".length,
    );
    const binary = accepted(attributes("Binary").compose(row({ id: "a", v: Buffer.from([0, 1, 255]).toString("base64") })));
    assert.deepEqual(binary.attributes?.value, { DataType: "Binary", BinaryValue: Buffer.from([0, 1, 255]) });
    assert.equal(accepted(attributes("Number").compose(row({ id: "a", v: "0.000123" }))).attributes?.value?.StringValue, "0.000123");
  });

  for (const [dataType, value, expected] of [
    ["Number", "abc", /which is not a number SQS accepts/],
    ["Number", "1".repeat(39), /which is not a number SQS accepts/],
    ["Number", "1e127", /which is not a number SQS accepts/],
    ["Binary", "not base64!", /which is not valid base64/],
    ["String", "bad\uFFFFchar", /which contains U\+FFFF at character 3, a character SQS does not accept/],
    ["String", "", /is an empty string/],
  ] as const) {
    it(`${dataType} ${JSON.stringify(value)} rejects the row`, () => {
      const rejection = rejected(attributes(dataType).compose(row({ id: "r1", v: value })));
      assert.equal(rejection.setting, "message_attributes[1].value");
      assert.match(rejection.reason, /^Row with message id "r1" was rejected: message_attributes\[1\]\.value/);
      assert.match(rejection.reason, /column "v"/);
      assert.match(rejection.reason, expected);
    });
  }
});

describe("message-level checks", () => {
  it("an attribute named __proto__ is an ordinary attribute", () => {
    const composer = composerFor(
      config({ message_attributes: [{ name: "__proto__", data_type: "String", value: { source: "static", value: "x" } }] }),
    );
    const attributes = accepted(composer.compose(row({ id: 1 }))).attributes ?? {};
    assert.deepEqual(Object.entries(attributes), [["__proto__", { DataType: "String", StringValue: "x" }]]);
  });

  it("a message over max_message_bytes (body plus attributes) is rejected", () => {
    const composer = composerFor(
      config({
        max_message_bytes: 1024,
        message_id: { source: "column", column: "id" },
        message_attributes: [{ name: "a", data_type: "String", value: { source: "static", value: "x".repeat(100) } }],
      }),
    );
    const body = (size: number) => ({ id: "r1", text: "y".repeat(size) });
    const fits = accepted(composer.compose(row(body(1024 - 100 - 1 - 6 - '{"id":"r1","text":""}'.length))));
    assert.equal(fits.bytes, 1024);
    const rejection = rejected(composer.compose(row(body(1024 - 100 - 1 - 6 - '{"id":"r1","text":""}'.length + 1))));
    assert.equal(rejection.setting, "max_message_bytes");
    assert.match(rejection.reason, /"r1".*1025 bytes.*over max_message_bytes \(1024\)/);
  });

  it("multi-byte characters count as UTF-8 bytes", () => {
    const message = accepted(composerFor(config()).compose(row({ t: "é😀" })));
    assert.equal(message.bytes, Buffer.byteLength('{"t":"é😀"}'));
  });

  it("a body with a character SQS refuses, or an unpaired surrogate, is rejected", () => {
    const composer = composerFor(config({ message_id: { source: "column", column: "id" } }));
    const refused = rejected(composer.compose(row({ id: "r1", t: "a\uFFFE" })));
    assert.equal(refused.setting, "message_body");
    assert.match(refused.reason, /"r1".*U\+FFFE/);
    const surrogate = rejected(composer.compose(row({ id: "r2", t: "a\uD800b" })));
    assert.match(surrogate.reason, /"r2".*unpaired UTF-16 surrogate \(\\ud800\)/);
    accepted(composer.compose(row({ id: "r3", t: "\\ud800 is text, 😀 is fine" })));
  });
});
