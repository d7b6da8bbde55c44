import type { ChangeType } from "../../config/types.js";

/** What a template can read: the names documented under "Message body". */
export interface TemplateScope {
  row: Record<string, unknown>;
  change: ChangeType;
  previous: Record<string, unknown> | null;
  stream: string;
  namespace: string | null;
  emitted_at: number;
  /** The catalog's sync id and the stream's generation id (null when the catalog has none). */
  sync_id: number | null;
  generation_id: number | null;
  /** The record's `meta` (e.g. `meta.changes`), null when it has none. */
  meta: unknown;
}

/** Renders a parsed template for one row; throws a liquidjs RenderError when a render limit trips. */
export type RenderTemplate = (scope: TemplateScope) => string;

/**
 * JSON templates escape printed strings for a JSON string literal; text templates (ids, queue,
 * attributes) print them verbatim.
 */
export type TemplateKind = "json" | "text";

/** How a printed value becomes text: null and undefined print nothing, objects and arrays print as JSON. */
export function printable(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value) ?? "";
  return String(value);
}

/** Characters JSON.stringify may escape: quotes, backslashes, control characters and surrogates (it escapes unpaired ones). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const JSON_ESCAPED_CHARACTER = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Like `printable`, but a string becomes its JSON string-literal form without the surrounding quotes. */
export function printableInJson(value: unknown): string {
  if (typeof value !== "string") return printable(value);
  if (!JSON_ESCAPED_CHARACTER.test(value)) return value;
  const quoted = JSON.stringify(value);
  return quoted.slice(1, quoted.length - 1);
}

/** How each kind of template prints a value. */
export const PRINTERS: Record<TemplateKind, (value: unknown) => string> = { json: printableInJson, text: printable };
