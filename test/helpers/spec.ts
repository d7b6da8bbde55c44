// spec.json as tests read it: the schema, one field by its path, and every setting's dotted name.
import { connectionSpecification, type SchemaNode } from "../../src/config/schema.js";

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

/**
 * Every setting's name as documentation writes it: top-level keys, and nested ones joined with a
 * dot (`alerts.sns_topic_arn`, `change_detection.store.bucket`, `message_attributes.name`); the
 * branches of a oneOf share their parent's prefix.
 */
export function specKeys(node: SchemaNode = spec, prefix = ""): string[] {
  const branches = [node, ...(node.oneOf ?? []), ...(node.items ? [node.items] : [])];
  const keys = branches.flatMap((branch) =>
    Object.entries(branch.properties ?? {}).flatMap(([name, child]) => {
      const key = prefix + name;
      return [key, ...specKeys(child, `${key}.`)];
    }),
  );
  return [...new Set(keys)];
}

/** The spec's settings a Markdown page never names as code (`` `queue.value` ``). */
export function specKeysMissingFrom(markdown: string): string[] {
  const named = new Set([...markdown.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]));
  return specKeys().filter((key) => !named.has(key));
}
