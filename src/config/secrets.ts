import { connectionSpecification, type SchemaNode } from "./schema.js";
import type { Config } from "./types.js";

// Exported only for test/config.test.ts.
/**
 * Dot paths of every field spec.json marks `airbyte_secret`, e.g. `credentials.secret_access_key`.
 * A path segment ending in `[]` stands for every item of a list.
 */
export function secretPaths(): string[] {
  return [...new Set(secretPathsUnder(connectionSpecification, ""))];
}

function secretPathsUnder(node: SchemaNode, path: string): string[] {
  if (node.airbyte_secret === true) return [path];
  return [
    ...Object.entries(node.properties ?? {}).flatMap(([key, child]) => secretPathsUnder(child, path === "" ? key : `${path}.${key}`)),
    // oneOf branches describe the same object, so their fields share the parent's path.
    ...(node.oneOf ?? []).flatMap((branch) => secretPathsUnder(branch, path)),
    ...(node.items === undefined ? [] : secretPathsUnder(node.items, `${path}[]`)),
  ];
}

/** The secret strings present in a config, for redacting logs and messages. */
export function secretValues(config: Config): string[] {
  const values = secretPaths().flatMap((path) => valuesAt(config, path.split(".")));
  return [...new Set(values.filter((value): value is string => typeof value === "string" && value !== ""))];
}

function valuesAt(data: unknown, segments: string[]): unknown[] {
  const [segment, ...rest] = segments;
  if (segment === undefined) return [data];
  if (typeof data !== "object" || data === null) return [];
  const everyItem = segment.endsWith("[]");
  const child = (data as Record<string, unknown>)[everyItem ? segment.slice(0, -2) : segment];
  if (!everyItem) return valuesAt(child, rest);
  return Array.isArray(child) ? child.flatMap((item) => valuesAt(item, rest)) : [];
}
