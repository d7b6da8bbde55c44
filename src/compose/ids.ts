import { hash } from "node:crypto";
import type { ChangeType } from "../config/types.js";
import { readFieldPath } from "./paths.js";

const MESSAGE_ID_HEX_CHARS = 32;

// The one-shot hash is about 2.5x faster than createHash for short inputs; ids are hashed per row.
function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}

/** JSON with object keys sorted at every level, so equal data always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.keys(value)
    .sort()
    .flatMap((key) => {
      const item = (value as Record<string, unknown>)[key];
      return item === undefined ? [] : [`${JSON.stringify(key)}:${canonicalJson(item)}`];
    });
  return `{${entries.join(",")}}`;
}

export interface RowIdentity {
  data: Record<string, unknown>;
  stream: string;
  namespace?: string | null | undefined;
  primaryKey?: string[][] | undefined;
}

/** The row's primary key values, or undefined when it has no primary key or one of them is missing. */
function primaryKeyValues({ primaryKey, data }: RowIdentity): unknown[] | undefined {
  if (!primaryKey || primaryKey.length === 0) return undefined;
  const values = new Array<unknown>(primaryKey.length);
  for (let index = 0; index < primaryKey.length; index++) {
    const value = readFieldPath(data, primaryKey[index]!);
    if (value === null || value === undefined) return undefined;
    values[index] = value;
  }
  return values;
}

/**
 * The default message id: a hash of stream, namespace and primary key values, so the same row keeps
 * its id across syncs; without a (complete) primary key, a hash of the whole record.
 */
export function defaultMessageId(row: RowIdentity): string {
  const keyValues = primaryKeyValues(row);
  const identity = [row.namespace ?? null, row.stream, keyValues ?? row.data];
  // Key values that are strings, numbers or booleans hold no object keys to sort: their canonical JSON is plain JSON.
  const text = keyValues?.every(isJsonScalar) === true ? JSON.stringify(identity) : canonicalJson(identity);
  return sha256Hex(text).slice(0, MESSAGE_ID_HEX_CHARS);
}

function isJsonScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/** The default FIFO deduplication id: equal for a resend of the same message, different when the content changes. */
export function defaultDeduplicationId(messageId: string, change: ChangeType, body: string): string {
  return sha256Hex(`${messageId}\n${change}\n${body}`);
}
