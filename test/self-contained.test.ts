// The repository explains itself: every Markdown file the code points readers to is in it.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(folder, name));
}

test("every Markdown file the code refers to is in the repository", () => {
  const missing: string[] = [];
  for (const file of ["src", "scripts", "bench"].flatMap(sourceFiles)) {
    for (const [reference] of readFileSync(join(ROOT, file), "utf8").matchAll(/[\w./-]*\w\.md\b/g)) {
      const found = [join(ROOT, reference), join(ROOT, dirname(file), reference)].some((path) => existsSync(path));
      if (!found) missing.push(`${file}: ${reference}`);
    }
  }
  assert.deepEqual(missing, []);
});
