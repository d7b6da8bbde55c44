// Render limits hold against hostile rows: all output counts against the memory limit (literal
// text in a loop too), and filters refuse inputs too large to finish within the render limit.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ComposeResult } from "../src/compose/composer.js";
import { accepted, rejected, composerFor } from "./helpers/compose.js";
import { MAX_FILTER_INPUT_ITEMS } from "../src/compose/template/liquid.js";
import type { Config } from "../src/config/types.js";
import { testConfig } from "./helpers/config.js";

const BASE: Config = testConfig({
  credentials: { auth_type: "default_chain" },
  queue: { source: "static", value: "orders" },
  message_id: { source: "column", column: "id" },
});

function compose(template: string, data: Record<string, unknown>): ComposeResult {
  return composerFor({ ...BASE, message_body: { format: "template", template } }).compose({
    data: { id: "r1", ...data },
    change: "added",
    stream: "users",
    emittedAt: 0,
  });
}

function reason(result: ComposeResult): string {
  return rejected(result).reason;
}

describe("template limits", () => {
  it("literal text written by a loop counts against the memory limit", () => {
    const literal = "k".repeat(400);
    const template = `{"items":[{% for it in row.items %}{"k":"${literal}"},{% endfor %}0]}`;
    // 100,000 × 410 bytes: far more than 16 × max_message_bytes.
    const items = Array.from({ length: 100_000 }, () => 0);
    assert.match(reason(compose(template, { items })), /message_body\.template failed to render: memory alloc limit exceeded/);
    // A loop of a reasonable size still renders.
    accepted(compose(template, { items: [1, 2, 3] }));
  });

  it("a filter refuses more items than it can handle within the render limit, naming the limit", () => {
    const items = Array.from({ length: MAX_FILTER_INPUT_ITEMS + 1 }, (_, index) => `item ${index}`);
    for (const filter of ["sort_natural", "sort", "uniq", "join", "reverse"]) {
      const text = reason(compose(`{"first": {{ row.items | ${filter} | json }}}`, { items }));
      assert.match(
        text,
        new RegExp(`filter ${filter} was given ${MAX_FILTER_INPUT_ITEMS + 1} items; filters take at most ${MAX_FILTER_INPUT_ITEMS}`),
      );
    }
    const fine = accepted(compose('{"first": {{ row.items | sort_natural | first | json }}}', { items: ["b", "a"] }));
    assert.deepEqual(JSON.parse(fine.body), { first: "a" });
  });
});
