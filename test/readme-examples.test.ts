import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { validateConfig } from "../src/config/load.js";
import { createComposer } from "../src/compose/composer.js";
import { REPO_ROOT } from "./helpers/cli.js";

/** The README's ```json blocks that are whole connector configs (they name a region). */
function exampleConfigs(): { line: number; text: string }[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const examples: { line: number; text: string }[] = [];
  for (const match of readme.matchAll(/```json\n([\s\S]*?)```/g)) {
    const text = match[1]!;
    if (!/^\{\s*"region"/.test(text.trim())) continue;
    examples.push({ line: readme.slice(0, match.index).split("\n").length + 1, text });
  }
  return examples;
}

test("every example config in the README is valid JSON, passes spec.json and the cross-field rules, and composes", () => {
  const examples = exampleConfigs();
  assert.ok(examples.length >= 10, `expected the README to show at least 10 example configs, found ${examples.length}`);
  for (const { line, text } of examples) {
    let raw: unknown;
    assert.doesNotThrow(() => (raw = JSON.parse(text)), `README.md line ${line}: the example is not valid JSON`);
    assert.doesNotThrow(() => createComposer(validateConfig(raw, `README.md line ${line}`)), `README.md line ${line}`);
  }
});
