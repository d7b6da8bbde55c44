// The benchmark's figures in docs/performance.md are the ones `npm run bench` wrote to bench/results.md.
import assert from "node:assert/strict";
import { test } from "node:test";
import { markdownTables, readDoc } from "./helpers/doc-tables.js";

const results = readDoc("bench/results.md");
const performance = readDoc("docs/performance.md");

test("every benchmark table row in docs/performance.md is a row of bench/results.md", () => {
  const measured = markdownTables(results);
  const quoted = markdownTables(performance).filter((table) =>
    measured.some((source) => source.header.join("|") === table.header.join("|")),
  );
  assert.ok(quoted.length >= 3, "docs/performance.md quotes the scenario, target and concurrency tables");
  for (const table of quoted) {
    const sources = measured.filter((source) => source.header.join("|") === table.header.join("|"));
    const rows = new Set(sources.flatMap((source) => source.rows.map((row) => row.join("|"))));
    for (const row of table.rows) assert.ok(rows.has(row.join("|")), `not in bench/results.md: | ${row.join(" | ")} |`);
  }
});

test("the per-second rates docs/performance.md quotes are the ones in bench/results.md", () => {
  const lines = performance.split("\n").filter((line) => line.startsWith("Messages per second"));
  assert.ok(lines.length > 0);
  for (const line of lines) assert.ok(results.includes(line), `not in bench/results.md: ${line}`);
});
