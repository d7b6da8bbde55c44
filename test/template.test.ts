import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ComposeResult, RowInput } from "../src/compose/composer.js";
import { accepted, rejected, composerFor } from "./helpers/compose.js";
import type { Config } from "../src/config/types.js";
import { UserFacingError } from "../src/errors.js";
import { type ConfigOverrides, testConfig } from "./helpers/config.js";

const BASE: Config = testConfig({
  credentials: { auth_type: "default_chain" },
  queue: { source: "static", value: "orders" },
  message_id: { source: "column", column: "id" },
});

function bodyTemplate(template: string, overrides: ConfigOverrides = {}) {
  return composerFor(testConfig({ ...BASE, message_body: { format: "template", template }, ...overrides }));
}

function row(data: Record<string, unknown>, extra: Partial<RowInput> = {}): RowInput {
  return { data: { id: "r1", ...data }, change: "added", stream: "users", namespace: "crm", emittedAt: 1_700_000_000_123, ...extra };
}

function body(result: ComposeResult): unknown {
  return JSON.parse(accepted(result).body);
}

function reason(composed: ComposeResult): string {
  const result = rejected(composed);
  assert.equal(result.messageId, "r1");
  assert.match(result.reason, /^Row with message id "r1" was rejected: /);
  return result.reason;
}

describe("JSON escaping of printed strings", () => {
  const composer = bodyTemplate('{"value": "{{ row.value }}"}');
  const hostile = {
    quotes: "say \"hi\" and 'bye'",
    backslashes: "C:\\temp\\new \\u0041 \\",
    newlines: "line1\nline2\r\nline3",
    tabs: "a\tb",
    control: "\u0000\u0001\u001f\u007f\b\f",
    emoji: "😀 👩‍👩‍👧 🇳🇴",
    script: "</script><script>alert(1)</script>",
    liquid: "{{ row.id }} {% if %}",
    unicode: "Ærø — ☃ \u2028\u2029",
  };
  for (const [label, value] of Object.entries(hostile)) {
    it(`${label} round-trip exactly`, () => {
      assert.deepEqual(body(composer.compose(row({ value }))), { value });
    });
  }

  it("a lone surrogate rejects the row with a clear reason", () => {
    const text = reason(composer.compose(row({ value: "broken \uD83D here" })));
    assert.match(text, /unpaired UTF-16 surrogate \(\\ud83d\)/);
  });

  it("numbers and booleans print bare; null and missing print nothing", () => {
    const numbers = bodyTemplate('{"n": {{ row.n }}, "b": {{ row.b }}, "s": "{{ row.nothing }}{{ row.missing }}"}');
    assert.deepEqual(body(numbers.compose(row({ n: -1.5e3, b: true, nothing: null }))), { n: -1500, b: true, s: "" });
  });
});

describe("filters", () => {
  it("| json prints any value as JSON", () => {
    const composer = bodyTemplate(
      '{"o": {{ row.o | json }}, "a": {{ row.a | json }}, "n": {{ row.n | json }}, "m": {{ row.missing | json }}, "s": {{ row.s | json }}}',
    );
    const data = { o: { nested: { q: 'a"b' } }, a: [1, "x", null], n: null, s: 'quote " and \n' };
    assert.deepEqual(body(composer.compose(row(data))), { o: data.o, a: data.a, n: null, m: null, s: data.s });
  });

  it("| raw prints verbatim", () => {
    const composer = bodyTemplate('{"list": {{ row.list | raw }}}');
    assert.deepEqual(body(composer.compose(row({ list: "[1, 2, 3]" }))), { list: [1, 2, 3] });
  });

  it("standard filters apply before escaping", () => {
    const composer = bodyTemplate('{"name": "{{ row.name | upcase }}", "size": {{ row.tags | size }}}');
    assert.deepEqual(body(composer.compose(row({ name: 'o"neil', tags: ["a", "b"] }))), { name: 'O"NEIL', size: 2 });
  });
});

describe("template logic and context", () => {
  it("loops and conditionals build JSON", () => {
    const template = `{"items": [{% for item in row.items %}{"sku": "{{ item.sku }}"}{% unless forloop.last %},{% endunless %}{% endfor %}],
      "vip": {% if row.total > 100 %}true{% else %}false{% endif %}}`;
    const composer = bodyTemplate(template);
    assert.deepEqual(body(composer.compose(row({ items: [{ sku: "a" }, { sku: 'b"' }], total: 150 }))), {
      items: [{ sku: "a" }, { sku: 'b"' }],
      vip: true,
    });
    assert.deepEqual(body(composer.compose(row({ items: [], total: 5 }))), { items: [], vip: false });
  });

  it("exposes change, previous, stream, namespace and emitted_at", () => {
    const composer = bodyTemplate(
      '{"change": "{{ change }}", "was": {{ previous.v | json }}, "stream": "{{ stream }}", "ns": {{ namespace | json }}, "at": {{ emitted_at }}}',
    );
    assert.deepEqual(body(composer.compose(row({ v: 2 }, { change: "changed", previous: { v: 1 } }))), {
      change: "changed",
      was: 1,
      stream: "users",
      ns: "crm",
      at: 1_700_000_000_123,
    });
    assert.deepEqual(body(composer.compose(row({}, { namespace: null }))), {
      change: "added",
      was: null,
      stream: "users",
      ns: null,
      at: 1_700_000_000_123,
    });
  });

  it("cannot read constructor, __proto__ or the process environment", () => {
    const composer = bodyTemplate(
      '{"a": "{{ row.constructor }}", "b": "{{ row.__proto__ }}", "c": "{{ process.env.HOME }}", "d": "{{ row.id.constructor.name }}", "e": "{{ row.toString }}"}',
    );
    assert.deepEqual(body(composer.compose(row({}))), { a: "", b: "", c: "", d: "", e: "" });
  });
});

describe("rejected renders", () => {
  it("a render that is not JSON rejects naming the message id and the parse error", () => {
    const composer = bodyTemplate('{"age": {{ row.age }}}');
    const text = reason(composer.compose(row({ age: null })));
    assert.match(text, /the output of message_body\.template is not valid JSON: .*(Unexpected|JSON)/);
  });

  it("an empty render rejects", () => {
    const text = reason(bodyTemplate("{% if row.x %}{}{% endif %}  ").compose(row({})));
    assert.match(text, /message_body\.template rendered an empty body/);
  });

  it("a huge loop is stopped by the render limits with a rejection", () => {
    const bombs = [
      "{% for i in (1..1000000000) %}x{% endfor %}",
      "{% for i in (1..100000) %}{% for j in (1..100000) %}{{ row.id }}{% endfor %}{% endfor %}",
      '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}"{{ s }}"',
    ];
    for (const bomb of bombs) {
      const text = reason(bodyTemplate(bomb, { max_message_bytes: 65_536 }).compose(row({})));
      assert.match(text, /message_body\.template failed to render: .*limit exceeded/);
    }
  });
});

describe("templates that do not parse", () => {
  const configError = (setting: string, detail: RegExp) => (error: unknown) =>
    error instanceof UserFacingError &&
    error.failureType === "config_error" &&
    error.message.includes(setting) &&
    detail.test(error.message);

  it("a syntax error names the setting and the position", () => {
    assert.throws(() => bodyTemplate('{"a": "{% if row.a %}"}'), configError("message_body.template", /not closed.*line:1, col:8/));
  });

  it("an unknown filter is a config error", () => {
    assert.throws(() => bodyTemplate('{"a": "{{ row.a | shout }}"}'), configError("message_body.template", /undefined filter: shout/));
  });

  it("attribute, queue and id templates name their own setting", () => {
    const attribute = { name: "x", data_type: "String", value: { source: "template", template: "{{ row.a | nope }}" } } as const;
    assert.throws(
      () => composerFor({ ...BASE, message_attributes: [{ ...attribute, value: { source: "static", value: "ok" } }, attribute] }),
      configError("message_attributes[1].value.template", /undefined filter: nope/),
    );
    assert.throws(
      () => composerFor({ ...BASE, queue: { source: "template", template: "{{ row.a" } }),
      configError("queue.template", /line:1/),
    );
  });

  it("include, render and layout cannot read files", () => {
    for (const tag of ['{% include "/etc/passwd" %}', '{% render "/etc/passwd" %}', '{% layout "/etc/passwd" %}']) {
      assert.throws(() => bodyTemplate(tag), configError("message_body.template", /not found/));
    }
  });
});

describe("text templates (ids, queue, attributes)", () => {
  it("print strings verbatim, without JSON escaping, trimmed", () => {
    const composer = composerFor({
      ...BASE,
      message_id: { source: "template", template: "\n {{ row.region }}-{{ row.key }} \n" },
      message_attributes: [
        { name: "label", data_type: "String", value: { source: "template", template: "{{ row.label }} {{ row.obj }}" } },
      ],
    });
    const message = accepted(composer.compose(row({ region: "eu", key: 7, label: 'say "hi"\\', obj: { a: 1 } })));
    assert.equal(message.messageId, "eu-7");
    assert.equal(message.attributes?.label?.StringValue, 'say "hi"\\ {"a":1}');
  });

  it("a render error rejects naming the setting", () => {
    const composer = composerFor({ ...BASE, queue: { source: "template", template: "{% for i in (1..1000000000) %}x{% endfor %}" } });
    const result = rejected(composer.compose(row({})));
    assert.equal(result.setting, "queue");
    assert.match(result.reason, /queue\.template failed to render: memory alloc limit exceeded/);
  });
});

describe("plain templates (fast path)", () => {
  // A leading comment tag makes the same template go through the Liquid interpreter.
  const throughLiquid = (template: string) => `{% comment %}force Liquid{% endcomment %}${template}`;
  const templates = [
    '{"name": "{{row.name}}", "n": {{ row.n }}, "deep": "{{ row.a.b.c }}", "obj": {{ row.a }}}',
    '{"len": "{{ row.name.length }}", "item": "{{ row.list.length }}", "ctor": "{{ row.constructor }}", "proto": "{{row.__proto__}}"}',
    '{"change": "{{ change }}", "stream": "{{\nstream\n}}", "ns": "{{ namespace }}", "at": {{emitted_at}}, "prev": "{{ previous.name }}", "row": {{ row }}}',
    '{"missing": "{{ row.nothing.at.all }}", "null": "{{ row.none }}", "through_number": "{{ row.n.x }}", "arr": {{ row.list }}}',
  ];
  const rows = [
    { name: 'quote " back \\ nl \n tab \t ctl \u0001 😀 </script>', n: 1.5, a: { b: { c: "deep" } }, list: [1, "x", null], none: null },
    { name: "", n: 0, a: { b: null }, list: [], none: null },
    { name: "lone \uDC00", n: -2, a: "a string", list: [{ k: 1 }] },
  ];

  for (const [index, template] of templates.entries()) {
    it(`template ${index} renders exactly as Liquid does`, () => {
      const fast = bodyTemplate(template);
      const slow = bodyTemplate(throughLiquid(template));
      for (const data of rows) {
        for (const extra of [{}, { previous: { name: 'was "x"' }, change: "changed" as const, namespace: null }]) {
          assert.deepEqual(fast.compose(row(data, extra)), slow.compose(row(data, extra)));
        }
      }
    });
  }

  it("text templates render exactly as Liquid does", () => {
    const template = "{{ row.name }}|{{ row.n }}|{{ row.a }}|{{ row.name.length }}|{{ namespace }}";
    const idComposer = (source: string) => composerFor({ ...BASE, message_id: { source: "template", template: source } });
    for (const data of rows) {
      assert.deepEqual(idComposer(template).compose(row(data)), idComposer(throughLiquid(template)).compose(row(data)));
    }
  });
});
