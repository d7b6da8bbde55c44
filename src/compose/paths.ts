/** Reads one value out of a record. */
type PathGetter = (data: Record<string, unknown>) => unknown;

/** Reads `object[key]` only when it is the object's own property, so "constructor" or "__proto__" never leak. */
function ownValue(object: unknown, key: string): unknown {
  if (object === null || typeof object !== "object") return undefined;
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

/** Follows a field path (["customer", "id"]) through nested objects. */
export function readFieldPath(data: unknown, path: readonly string[]): unknown {
  let value = data;
  for (const key of path) {
    value = ownValue(value, key);
    if (value === undefined) return undefined;
  }
  return value;
}

/**
 * Compiles a column reference. A dot reaches into nested objects ("customer.id"), but a top-level
 * column whose name itself contains dots wins when the record has one.
 */
export function compileColumnPath(column: string): PathGetter {
  const segments = column.split(".");
  if (segments.length === 1) return (data) => ownValue(data, column);
  return (data) => (Object.hasOwn(data, column) ? data[column] : readFieldPath(data, segments));
}
