// docs/configuration.md's key table against spec.json: every key, in the form's order, with its default.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readDoc, rowKey, tableRows } from "./helpers/doc-tables.js";
import { documentedDefault, tableKeys } from "./helpers/spec.js";

const rows = tableRows(readDoc("docs/configuration.md"), ["key", "shape", "default", "meaning"]);

test("the configuration table lists every key of spec.json once, in the form's order", () => {
  assert.deepEqual(
    rows.map((row) => rowKey(row)),
    tableKeys().map((key) => key.path),
  );
});

test("the configuration table states each key's default: spec.json's, required, or what leaving it out means", () => {
  const documented = new Map(rows.map((row) => [rowKey(row), row.default ?? ""]));
  for (const key of tableKeys()) {
    const stated = documented.get(key.path) ?? "";
    if (key.default !== undefined) {
      assert.ok(stated.includes(documentedDefault(key.default)), `${key.path}: "${stated}" should state ${documentedDefault(key.default)}`);
    } else if (key.required) {
      assert.equal(stated, "required", key.path);
    } else {
      assert.ok(stated !== "" && stated !== "required", `${key.path} is optional: say what leaving it out means`);
    }
  }
});
