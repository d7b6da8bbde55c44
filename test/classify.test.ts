import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { createClassifier, type Classification } from "../src/changes/classify.js";
import { UserFacingError } from "../src/errors.js";

function change(result: Classification): string {
  if (result.kind !== "change") assert.fail(`expected a change, got a rejection: ${result.reason}`);
  return result.change;
}

function rejection(result: Classification): string {
  if (result.kind !== "reject") assert.fail(`expected a rejection, got ${result.change}`);
  assert.equal(result.setting, "change_detection.field");
  return result.reason;
}

describe("change classification", () => {
  it("none: every record is added", () => {
    const classify = createClassifier({ mode: "none" });
    assert.equal(change(classify({ id: 1, _change_type: "delete" })), "added");
  });

  it("field: the default spellings, case-insensitive and trimmed", () => {
    const classify = createClassifier({ mode: "field", field: "_change_type" });
    const expectations: [string, string][] = [
      ["added", "added"],
      ["INSERT", "added"],
      [" Create ", "added"],
      ["c", "added"],
      ["I", "added"],
      ["changed", "changed"],
      ["Update", "changed"],
      ["u", "changed"],
      ["removed", "removed"],
      ["DELETE", "removed"],
      ["d", "removed"],
    ];
    for (const [value, expected] of expectations) assert.equal(change(classify({ _change_type: value })), expected, value);
  });

  it("field: configured lists replace the defaults of their own change type", () => {
    const classify = createClassifier({ mode: "field", field: "meta.op", added_values: ["NEW"], removed_values: ["gone", "purged"] });
    assert.equal(change(classify({ meta: { op: "new" } })), "added");
    assert.equal(change(classify({ meta: { op: "update" } })), "changed");
    assert.equal(change(classify({ meta: { op: "Purged" } })), "removed");
    assert.match(rejection(classify({ meta: { op: "insert" } })), /holds "insert", which is not an accepted value/);
  });

  it("field: a missing or unknown value rejects naming the field, the value and the accepted values", () => {
    const classify = createClassifier({ mode: "field", field: "_change_type" });
    assert.equal(
      rejection(classify({ _change_type: "upsert" })),
      'The change field "_change_type" holds "upsert", which is not an accepted value; accepted values (case-insensitive) are ' +
        'added: "added", "insert", "create", "c", "i"; changed: "changed", "update", "u"; removed: "removed", "delete", "d". ' +
        "Add it to change_detection's added_values, changed_values or removed_values.",
    );
    assert.match(
      rejection(classify({ id: 1 })),
      /^The change field "_change_type" is missing, so the row's change cannot be decided; accepted values/,
    );
    assert.match(rejection(classify({ _change_type: null })), /is null/);
    assert.match(rejection(classify({ _change_type: 7 })), /holds "7"/);
  });

  it("field: a value listed under two change types is a config error", () => {
    assert.throws(
      () => createClassifier({ mode: "field", field: "op", changed_values: ["Delete"] }),
      (error) =>
        error instanceof UserFacingError &&
        /the value "delete" \(compared case-insensitively\) under both changed_values and removed_values/.test(error.message),
    );
  });

  it("cdc: _ab_cdc_deleted_at set means removed, otherwise changed", () => {
    const classify = createClassifier({ mode: "cdc" });
    assert.equal(change(classify({ id: 1, _ab_cdc_deleted_at: "2024-01-01T00:00:00Z" })), "removed");
    assert.equal(change(classify({ id: 1, _ab_cdc_deleted_at: null, _ab_cdc_updated_at: "2024-01-01T00:00:00Z" })), "changed");
    assert.equal(change(classify({ id: 1 })), "changed");
  });

  it("snapshot is not handled here", () => {
    assert.throws(() => createClassifier({ mode: "snapshot" }), /snapshot classification is stateful: use the snapshot store/);
  });
});
