// spec.json as tests read it: the schema, one field by its path, and its keys as the docs name them.
import { connectionSpecification, discriminatorOf, type SchemaNode } from "../../src/config/schema.js";

export const spec: SchemaNode = connectionSpecification;

/**
 * The schema of one field, by the names a user writes: property names, with a oneOf branch chosen
 * by its discriminator's value, e.g. `specField("queue", "static", "value")`; an array's items are
 * stepped into by their property names (`specField("message_attributes", "name")`).
 */
export function specField(...steps: string[]): SchemaNode {
  let node = spec;
  for (const step of steps) {
    const next =
      node.properties?.[step] ??
      node.items?.properties?.[step] ??
      node.oneOf?.find((branch) => Object.values(branch.properties ?? {}).some((property) => property.const === step));
    if (next === undefined) throw new Error(`spec.json has no ${steps.join(" → ")} (stuck at ${step})`);
    node = next;
  }
  return node;
}

export interface SpecKey {
  /** Dotted, with `[]` for the items of a list: `change_detection.store.prefix`, `message_attributes[].name`. */
  path: string;
  /** The name prose uses: the path without `[]` (`message_attributes.name`). */
  name: string;
  required: boolean;
  /** The `default` spec.json declares, if any. */
  default?: unknown;
  /**
   * The discriminator of a oneOf (`mode`, `type`, …), or a key inside a value source
   * (`{"source": …}`): the configuration table describes these with their parent.
   */
  describedByParent: boolean;
}

/**
 * Every key of spec.json, parents before children, each object's keys in the form's order. Keys of a
 * oneOf come branch by branch; a key several branches share is listed once.
 */
export function specKeys(root: SchemaNode = spec): SpecKey[] {
  const keys = new Map<string, SpecKey>();
  const visit = (node: SchemaNode, prefix: string, insideValueSource: boolean): void => {
    const discriminator = node.oneOf === undefined ? undefined : discriminatorOf(node.oneOf);
    const valueSource = insideValueSource || discriminator === "source";
    const ordered = [node, ...(node.oneOf ?? [])].flatMap((branch) =>
      Object.entries(branch.properties ?? {})
        .map(([name, child]) => ({ name, child, required: branch.required?.includes(name) === true }))
        .sort((a, b) => (a.child.order ?? 0) - (b.child.order ?? 0)),
    );
    for (const { name, child, required } of ordered) {
      const path = prefix === "" ? name : `${prefix}.${name}`;
      if (!keys.has(path)) {
        keys.set(path, {
          path,
          name: path.replaceAll("[]", ""),
          required,
          ...(child.default === undefined ? {} : { default: child.default }),
          describedByParent: valueSource || name === discriminator,
        });
      }
      visit(child, path, valueSource);
      if (child.items !== undefined) visit(child.items, `${path}[]`, valueSource);
    }
  };
  visit(root, "", false);
  return [...keys.values()];
}

/** The keys docs/configuration.md's table lists: all but those described with their parent. */
export function tableKeys(): SpecKey[] {
  return specKeys().filter((key) => !key.describedByParent);
}

/** The spec's settings a Markdown page never names as code (`` `queue.value` ``). */
export function specKeysMissingFrom(markdown: string): string[] {
  const named = new Set([...markdown.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]));
  return [...new Set(specKeys().map((key) => key.name))].filter((name) => !named.has(name));
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
