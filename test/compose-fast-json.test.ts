import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ComposeResult } from "../src/compose/composer.js";
import { accepted, rejected, composerFor } from "./helpers/compose.js";
import { compileCompactJsonTemplate } from "../src/compose/template/compact-json.js";
import { createTemplateCompiler } from "../src/compose/template/compile.js";
import type { TemplateScope } from "../src/compose/template/scope.js";
import type { Config } from "../src/config/types.js";
import { testConfig } from "./helpers/config.js";

// The compact-JSON fast path must produce, byte for byte, what rendering, JSON.parse and
// JSON.stringify produce; whatever it cannot vouch for it leaves to that slow path.

const STRINGS = [
  "",
  "plain",
  'q"uote',
  "back\\slash",
  "ends with \\",
  "\n\t\r\b\f",
  "\u0000\u0001\u001f\u007f",
  "😀 emoji",
  "é ñ 中文",
  "\u2028\u2029",
  "\ud800",
  "\udc00",
  "\udc00tail",
  "head\ud83d",
  "a\\ud800",
  "{{ not a tag }}",
  '"}, "injected": {"',
  " spaced ",
  "1e21",
  "null",
];
const NUMBERS = [0, -0, 1, -1.5, 42, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity, -Infinity];
const OTHERS: unknown[] = [true, false, null, undefined, { a: 1, "1": 2 }, [1, "x", null], { nested: { 'q"': [-0] } }, [], {}];
const VALUES: unknown[] = [...STRINGS, ...NUMBERS, ...OTHERS];

const TEMPLATES = [
  '{"id": {{row.id}}, "name": "{{row.full_name}}", "age": {{row.age}}, "contact_info": [{"type": "email", "value": "{{row.s}}"}, {"type": "phone", "value": "{{row.t}}"}]}',
  ' \n{ "a" : "x{{row.s}}y\\n\\u0041\\/" , "b":[ {{row.n}} , true,null, -0, 1.50, 1e400, 2E-3, -0.0e+1 ], "c": {"d": "{{row.s}}{{row.t}}"}, "e": "" }\t',
  "{{row.n}}",
  '"{{row.s}}"',
  "[{{row.n}},{{row.b}}, {{ row.age }} ]",
  '{"k": {{row.obj}}, "s": "{{row.obj}}"}',
  '{"x": "{{row.nested.deep}}", "y": {{ row.n }}, "stream": "{{stream}}", "at": {{emitted_at}} }',
  '{"z": "\\ud83d\\ude00{{row.t}}", "e": "\\u00e9\\u0000"}',
  '{"__proto__": "{{row.s}}", "constructor": {{row.n}}, "": [{}, [], [[{{row.b}}]]]}',
  '{"emoji 😀": "{{row.s}}", "tab\\t": "{{row.t}}\\"{{row.s}}\\\\"}',
];
/** Templates the fast path must leave to the slow path (which renders, parses and reports them). */
const DECLINED = [
  '{"a": 1, "a": {{row.n}}}',
  '{"1": "x", "b": {{row.n}}}',
  '{"{{row.s}}": 1}',
  '{"a": 1{{row.n}}}',
  '{"a": -{{row.n}}}',
  '{"a": "\\{{row.s}}"}',
  '{"a": "\\u00{{row.s}}"}',
  '{"a": {{row.n}} {{row.n}}}',
  '{"a": "{{row.s}}',
  '{"a": {{row.s | upcase}}}',
  '{"a": true{{row.n}}}',
  "{'a': 1}",
  '{"a": 01}',
  '{"a": "tab\there"}',
  '{"a": 1,}',
  "",
];

/** A deterministic pseudo-random sequence, so a failure can be reproduced. */
function* pseudoRandom(seed: number): Generator<number> {
  let state = seed;
  for (;;) {
    state = (state * 1103515245 + 12345) % 2147483648;
    yield state;
  }
}

function scopes(count: number): TemplateScope[] {
  const random = pseudoRandom(7);
  const pick = (): unknown => VALUES[random.next().value! % VALUES.length];
  const result: TemplateScope[] = [];
  for (let index = 0; index < count; index++) {
    // Every third row is ordinary, so the fast path is exercised as well as declined.
    const ordinary = index % 3 === 0;
    const row: Record<string, unknown> = ordinary
      ? {
          id: index,
          full_name: `Ann ${index}`,
          age: index % 90,
          s: "x",
          t: 'y"',
          n: index / 7,
          b: index % 2 === 0,
          obj: index % 2 === 0 ? index : false,
          nested: { deep: "d" },
        }
      : {
          id: pick(),
          full_name: pick(),
          age: pick(),
          s: pick(),
          t: pick(),
          n: pick(),
          b: pick(),
          obj: pick(),
          nested: index % 5 === 0 ? pick() : { deep: pick() },
        };
    result.push({
      row,
      change: "added",
      previous: null,
      stream: index % 4 === 0 ? 'we"ird' : "users",
      namespace: null,
      emitted_at: 1_700_000_000_000,
      sync_id: null,
      generation_id: null,
      meta: null,
    });
  }
  return result;
}

/** Today's path: render, then JSON.parse + JSON.stringify; "rejected" when the rendered text is not JSON. */
function slowBody(template: string): (scope: TemplateScope) => string {
  const render = createTemplateCompiler(262_144).compile("message_body.template", template, "json");
  return (scope) => {
    try {
      return JSON.stringify(JSON.parse(render(scope)));
    } catch {
      return "rejected";
    }
  };
}

describe("compact-JSON fast path for message_body templates", () => {
  const rows = scopes(3000);

  it("renders exactly what parsing and re-stringifying the rendered template gives, for ordinary and hostile rows", () => {
    for (const template of TEMPLATES) {
      const fast = compileCompactJsonTemplate(template);
      assert.ok(fast, `the fast path should take ${template}`);
      const slow = slowBody(template);
      let taken = 0;
      for (const scope of rows) {
        const compact = fast(scope);
        if (compact === undefined) continue;
        taken++;
        assert.equal(compact, slow(scope), `template ${template}, row ${JSON.stringify(scope.row)}`);
      }
      assert.ok(taken >= rows.length / 4, `the fast path took only ${taken} rows of ${template}`);
    }
  });

  it("leaves templates it cannot prove compact to the slow path", () => {
    for (const template of DECLINED) assert.equal(compileCompactJsonTemplate(template), undefined, template);
  });

  it("leaves NaN, Infinity, null in value position and unpaired surrogates to the slow path", () => {
    const fast = compileCompactJsonTemplate('{"n": {{row.n}}, "s": "{{row.s}}"}')!;
    const scope = (n: unknown, s: unknown): TemplateScope => ({
      row: { n, s },
      change: "added",
      previous: null,
      stream: "u",
      namespace: null,
      emitted_at: 0,
      sync_id: null,
      generation_id: null,
      meta: null,
    });
    for (const n of [NaN, Infinity, -Infinity, null, undefined, "1", { a: 1 }]) assert.equal(fast(scope(n, "x")), undefined, String(n));
    for (const s of ["\ud800", "x\udc00", { a: 1 }, [1]]) assert.equal(fast(scope(1, s)), undefined, JSON.stringify(s));
    assert.equal(fast(scope(-0, "😀\n")), '{"n":0,"s":"😀\\n"}');
    assert.equal(fast(scope(1e21, null)), '{"n":1e+21,"s":""}');
  });

  it("leaves every row to the slow path when the template's own text holds an unpaired surrogate", () => {
    const template = '{"x": "\\ud800{{row.s}}", "y": "{{row.s}}\\udc00"}';
    const fast = compileCompactJsonTemplate(template)!;
    for (const scope of rows) assert.equal(fast(scope), undefined);
  });
});

describe("message bodies composed through the fast path", () => {
  const config: Config = testConfig({
    credentials: { auth_type: "default_chain" },
    queue: { source: "static", value: "orders" },
    message_id: { source: "column", column: "id" },
    message_body: { format: "template", template: '{ "id": "{{row.id}}", "n": {{row.n}}, "s": "{{row.s}}" }' },
  });
  const composer = composerFor(config);
  const compose = (n: unknown, s: unknown): ComposeResult =>
    composer.compose({ data: { id: "r1", n, s }, change: "added", stream: "users", emittedAt: 0 });

  it("still rejects rows whose rendered body is not valid JSON or not valid Unicode", () => {
    for (const n of [NaN, Infinity, null]) {
      assert.match(rejected(compose(n, "x"), `a rejection of ${String(n)}`).reason, /is not valid JSON/);
    }
    assert.match(rejected(compose(1, "\ud800")).reason, /unpaired UTF-16 surrogate/);
  });

  it("accepts a surrogate pair split across a literal escape and a value, as before", () => {
    const split = composerFor({ ...config, message_body: { format: "template", template: '{"s": "\\ud83d{{row.s}}"}' } });
    const result = accepted(split.compose({ data: { id: "r1", s: "\ude00!" }, change: "added", stream: "users", emittedAt: 0 }));
    assert.equal(result.body, '{"s":"😀!"}');
  });

  it("writes compact JSON for ordinary rows", () => {
    const result = accepted(compose(2.5, 'say "hi"'));
    assert.equal(result.body, '{"id":"r1","n":2.5,"s":"say \\"hi\\""}');
  });
});
