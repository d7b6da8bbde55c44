// The keys of spec.json as a reader of the docs sees them, for tests that hold a docs page to the spec.
import { connectionSpecification, type SchemaNode } from "../../src/config/schema.js";

export interface SpecKey {
  /** Dotted, with `[]` for the items of a list: `change_detection.store.prefix`, `message_attributes[].name`. */
  path: string;
  required: boolean;
  /** The `default` spec.json declares, if any. */
  default?: unknown;
}

/** A oneOf whose branches differ by this property's `const` (`source`, `format`, `mode`, …). */
function discriminatorOf(node: SchemaNode): string | undefined {
  const first = node.oneOf?.[0]?.properties ?? {};
  return Object.keys(first).find((key) => node.oneOf?.every((branch) => branch.properties?.[key]?.const !== undefined));
}

/**
 * Every key of spec.json, parents before children, top-level keys in the form's order. Left out: the
 * discriminator of each oneOf (its values are the parent's shape), and the keys inside value sources
 * (`{"source": …}`), which the configuration page describes once for all of them. Keys of a oneOf come
 * branch by branch; a key several branches share is listed once.
 */
export function specKeys(spec: SchemaNode = connectionSpecification): SpecKey[] {
  const keys = new Map<string, SpecKey>();
  const visit = (node: SchemaNode, prefix: string): void => {
    const discriminator = discriminatorOf(node);
    if (discriminator === "source") return;
    const branches = [node, ...(node.oneOf ?? [])];
    const ordered = branches.flatMap((branch) =>
      Object.entries(branch.properties ?? {})
        .map(([name, child]) => ({ name, child, required: branch.required?.includes(name) === true }))
        .sort((a, b) => (a.child.order ?? 0) - (b.child.order ?? 0)),
    );
    for (const { name, child, required } of ordered) {
      if (name === discriminator) continue;
      const path = prefix === "" ? name : `${prefix}.${name}`;
      if (!keys.has(path)) keys.set(path, { path, required, ...(child.default === undefined ? {} : { default: child.default }) });
      visit(child, path);
      if (child.items !== undefined) visit(child.items, `${path}[]`);
    }
  };
  visit(spec, "");
  return [...keys.values()];
}

/**
 * A default as the docs write it, in backticks: a one-key object by its value (`{"mode": "none"}` is
 * `none`), anything else as compact JSON, a string as itself.
 */
export function documentedDefault(value: unknown): string {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1) {
    return documentedDefault(Object.values(value)[0]);
  }
  return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}
