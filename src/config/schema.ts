// spec.json, the schema of the config, as the loader and the secrets list read it.

import { readPackageJson } from "../package-files.js";

/** A node of spec.json: the JSON Schema keywords this module reads, plus Airbyte's annotations. */
export interface SchemaNode {
  type?: string | string[];
  title?: string;
  description?: string;
  order?: number;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  oneOf?: SchemaNode[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  examples?: unknown[];
  airbyte_secret?: boolean;
  /** Airbyte's UI hint for a `pattern`, phrased to follow "must be". */
  pattern_descriptor?: string;
  [keyword: string]: unknown;
}

/** The connector's connectionSpecification (spec.json), as printed by the `spec` command. */
export const connectionSpecification = readPackageJson<SchemaNode>("spec.json");

/** The property every branch of a oneOf fixes with `const` (spec rule: exactly one). */
export function discriminatorOf(branches: SchemaNode[]): string {
  const first = branches[0]?.properties ?? {};
  const name = Object.keys(first).find((key) => branches.every((branch) => branch.properties?.[key]?.const !== undefined));
  if (name === undefined) throw new Error("spec.json: a oneOf has no shared const discriminator");
  return name;
}

export function branchIndex(branches: SchemaNode[], data: Record<string, unknown>): number {
  const discriminator = discriminatorOf(branches);
  return branches.findIndex((branch) => branch.properties?.[discriminator]?.const === data[discriminator]);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
