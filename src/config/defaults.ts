// Defaults ajv leaves out: it does not apply defaults inside oneOf branches.

import { branchIndex, isRecord, type SchemaNode } from "./schema.js";

export function applyBranchDefaults(node: SchemaNode, data: unknown): void {
  if (Array.isArray(data)) {
    if (node.items !== undefined) for (const item of data) applyBranchDefaults(node.items, item);
    return;
  }
  if (!isRecord(data)) return;
  const branch = node.oneOf === undefined ? undefined : node.oneOf[branchIndex(node.oneOf, data)];
  for (const [key, child] of Object.entries(branch?.properties ?? {})) {
    if (data[key] === undefined && child.default !== undefined) data[key] = structuredClone(child.default);
  }
  for (const [key, child] of Object.entries({ ...node.properties, ...branch?.properties })) {
    applyBranchDefaults(child, data[key]);
  }
}
