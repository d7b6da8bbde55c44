import assert from "node:assert/strict";
import { test } from "node:test";
import { KeyFilter } from "../src/changes/snapshot/key-filter.js";

test("a key filter never misses a key it was given, and rarely claims one it was not", () => {
  const filter = new KeyFilter();
  const added = Array.from({ length: 100_000 }, (_, id) => JSON.stringify([id]));
  for (const key of added) filter.add(key);
  assert.equal(added.filter((key) => !filter.mayHave(key)).length, 0);

  const others = Array.from({ length: 100_000 }, (_, id) => JSON.stringify([`other-${id}`]));
  const falsePositives = others.filter((key) => filter.mayHave(key)).length;
  assert.ok(falsePositives < others.length * 0.05, `${falsePositives} of ${others.length} unknown keys looked known`);
});

test("an empty key filter knows no key", () => {
  const filter = new KeyFilter();
  assert.equal(filter.mayHave("[1]"), false);
  assert.equal(filter.mayHave(""), false);
});
