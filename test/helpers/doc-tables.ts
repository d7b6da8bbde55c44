// Reading the Markdown tables of the docs, for tests that hold a page to the code.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./cli.js";

/** One row of a table: its cells, trimmed, by the header's column names. */
export type TableRow = Record<string, string>;

export interface MarkdownTable {
  header: string[];
  /** The rows below the header and its separator, as cells. */
  rows: string[][];
}

/** Every table of `markdown`, its cells trimmed. */
export function markdownTables(markdown: string): MarkdownTable[] {
  const tables: MarkdownTable[] = [];
  let table: MarkdownTable | undefined;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      table = undefined;
      continue;
    }
    const cells = splitRow(line);
    if (table === undefined) {
      table = { header: cells, rows: [] };
      tables.push(table);
    } else if (!cells.every((cell) => /^:?-+:?$/.test(cell))) {
      table.rows.push(cells);
    }
  }
  return tables;
}

/** The rows of every table in `markdown` whose header row is exactly `header` (e.g. ["key", "shape", "default", "meaning"]). */
export function tableRows(markdown: string, header: string[]): TableRow[] {
  return markdownTables(markdown)
    .filter((table) => table.header.join("|") === header.join("|"))
    .flatMap((table) => table.rows.map((cells) => Object.fromEntries(header.map((column, index) => [column, cells[index] ?? ""]))));
}

/** Splits a table row at the pipes that are not inside backticks. */
function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let inCode = false;
  for (const char of line.slice(1, line.trimEnd().endsWith("|") ? line.trimEnd().length - 1 : undefined)) {
    if (char === "`") inCode = !inCode;
    if (char === "|" && !inCode) {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += char;
    }
  }
  cells.push(cell.trim());
  return cells;
}

/** A docs file's text, by its path from the repository root. */
export function readDoc(path: string): string {
  return readFileSync(join(REPO_ROOT, path), "utf8");
}

/** The key a row documents: its first cell without backticks. */
export function rowKey(row: TableRow, column = "key"): string {
  return (row[column] ?? "").replaceAll("`", "");
}
