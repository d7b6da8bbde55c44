// Reading the Markdown tables of the docs, for tests that hold a page to the code.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./cli.js";

/** One row of a table: its cells, trimmed, by the header's column names. */
export type TableRow = Record<string, string>;

/** The rows of every table in `markdown` whose header row is exactly `header` (e.g. ["key", "shape", "default", "meaning"]). */
export function tableRows(markdown: string, header: string[]): TableRow[] {
  const rows: TableRow[] = [];
  let columns: string[] | undefined;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      columns = undefined;
      continue;
    }
    const cells = splitRow(line);
    if (columns === undefined) {
      if (cells.join("|") === header.join("|")) columns = header;
      continue;
    }
    if (cells.every((cell) => /^-+$/.test(cell))) continue;
    rows.push(Object.fromEntries(columns.map((column, index) => [column, cells[index] ?? ""])));
  }
  return rows;
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
