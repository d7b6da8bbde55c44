import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { validateConfig } from "../src/config/load.js";
import { REPO_ROOT } from "./helpers/cli.js";
import { composerFor } from "./helpers/compose.js";

/** The documentation files: README.md and every page under docs/. */
function documentationFiles(): string[] {
  const pages = readdirSync(join(REPO_ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...pages];
}

/** The ```json blocks in the documentation that are whole connector configs (they name a region). */
function exampleConfigs(): { where: string; text: string }[] {
  const examples: { where: string; text: string }[] = [];
  for (const file of documentationFiles()) {
    const markdown = readFileSync(join(REPO_ROOT, file), "utf8");
    for (const match of markdown.matchAll(/```json\n([\s\S]*?)```/g)) {
      const text = match[1]!;
      if (!/^\{\s*"region"/.test(text.trim())) continue;
      examples.push({ where: `${file} line ${markdown.slice(0, match.index).split("\n").length + 1}`, text });
    }
  }
  return examples;
}

test("every example config in the README and docs/ is valid JSON, passes spec.json and the cross-field rules, and composes", () => {
  const examples = exampleConfigs();
  assert.ok(examples.length >= 10, `expected README.md and docs/*.md to show at least 10 example configs, found ${examples.length}`);
  for (const { where, text } of examples) {
    let raw: unknown;
    assert.doesNotThrow(() => (raw = JSON.parse(text)), `${where}: the example is not valid JSON`);
    assert.doesNotThrow(() => composerFor(validateConfig(raw, where)), where);
  }
});
