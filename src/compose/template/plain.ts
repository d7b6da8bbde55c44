import type { TemplateScope } from "./scope.js";

/**
 * A fast path for the common template shape: literal text and plain `{{ row.field }}` outputs, no
 * tags, no filters. Rendering it is string concatenation, many times faster than the Liquid
 * interpreter; anything it is not sure to render exactly like Liquid is left to Liquid.
 */

/** `{{ root.key.key }}` with simple identifiers and no filters or whitespace control. */
const PLAIN_OUTPUT = /\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}/g;
const SCOPE_NAMES: ReadonlySet<string> = new Set<keyof TemplateScope>([
  "row",
  "change",
  "previous",
  "stream",
  "namespace",
  "emitted_at",
  "sync_id",
  "generation_id",
  "meta",
]);
/** Keys Liquid reads specially (an array's or string's size, first and last item). */
const LIQUID_SPECIAL_KEYS: ReadonlySet<string> = new Set(["size", "first", "last"]);

/** Returned by a fast read that met a value Liquid treats specially (an array or string in the middle of a path). */
export const NEEDS_LIQUID = Symbol("needs Liquid");

/** Reads one `{{ }}` output's value, or NEEDS_LIQUID. */
export type OutputReader = (scope: TemplateScope) => unknown;

/** Literal text and outputs, alternating: starts and ends with literal text (possibly empty). */
type PlainTemplateParts = (string | OutputReader)[];

function compilePath(path: string[]): OutputReader {
  return (scope) => {
    let value: unknown = scope;
    for (const key of path) {
      if (value === null || value === undefined) return value;
      if (typeof value !== "object" || Array.isArray(value)) return NEEDS_LIQUID;
      value = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    }
    return typeof value === "function" ? NEEDS_LIQUID : value;
  };
}

/** Splits `source` into literal text and outputs when it has the plain shape, else undefined. */
export function parsePlainTemplate(source: string): PlainTemplateParts | undefined {
  if (source.includes("{%")) return undefined;
  const parts: PlainTemplateParts = [];
  let literalStart = 0;
  for (const match of source.matchAll(PLAIN_OUTPUT)) {
    const path = (match[1] ?? "").split(".");
    if (!SCOPE_NAMES.has(path[0] ?? "") || path.some((key) => LIQUID_SPECIAL_KEYS.has(key))) return undefined;
    parts.push(source.slice(literalStart, match.index), compilePath(path));
    literalStart = match.index + match[0].length;
  }
  parts.push(source.slice(literalStart));
  if (parts.some((part) => typeof part === "string" && part.includes("{{"))) return undefined;
  return parts;
}

/**
 * Compiles `source` when it has the plain shape, else undefined. The renderer returns undefined
 * for a row it cannot render exactly as Liquid would, so the caller falls back to Liquid.
 */
export function compilePlainTemplate(
  source: string,
  print: (value: unknown) => string,
): ((scope: TemplateScope) => string | undefined) | undefined {
  const parts = parsePlainTemplate(source);
  if (!parts) return undefined;
  return (scope) => {
    let output = "";
    for (const part of parts) {
      if (typeof part === "string") {
        output += part;
        continue;
      }
      const value = part(scope);
      if (value === NEEDS_LIQUID) return undefined;
      output += print(value);
    }
    return output;
  };
}
