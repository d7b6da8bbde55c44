import { hash } from "node:crypto";
import { compileColumnPath, readFieldPath } from "../../compose/paths.js";
import type { ChangeType } from "../../config/types.js";
import { UserFacingError } from "../../errors.js";
import { streamLabel, type ConfiguredStream } from "../../protocol/messages.js";

/** A row's key in the snapshot, or why the row has none. */
type RowKey = { ok: true; key: string } | { ok: false; reason: string };

export type KeyReader = (data: Record<string, unknown>) => RowKey;

/**
 * Reads a stream's primary key (config's change_detection.primary_key, else the catalog's) as JSON
 * text. A stream with neither is a config error: without a key, rows cannot be matched across syncs.
 */
export function keyReaderFor(stream: ConfiguredStream, configured: string[][] | undefined): KeyReader {
  const paths = configured ?? stream.primary_key ?? [];
  if (paths.length === 0) {
    throw new UserFacingError(
      `Stream "${streamLabel(stream.stream.name, stream.stream.namespace)}" has no primary key, which snapshot change detection needs to match rows across syncs. ` +
        'Pick a primary key for the stream in the connection, or set change_detection.primary_key (e.g. [["id"]]).',
    );
  }
  const columns = paths.map((path) => JSON.stringify(path.join(".")));
  return (data) => {
    const values = paths.map((path) => readFieldPath(data, path));
    const missing = values.findIndex((value) => value === undefined || value === null);
    if (missing >= 0) {
      return {
        ok: false,
        reason: `The primary key column ${columns[missing]} is ${values[missing] === null ? "null" : "missing"}, so the row cannot be matched against the snapshot. Fix the source data or change_detection.primary_key.`,
      };
    }
    return { ok: true, key: JSON.stringify(values) };
  };
}

// The one-shot hash is about twice as fast as createHash for short inputs.
function sha1Base64(text: string): string {
  return hash("sha1", text, "base64");
}

/** The stored fingerprint of a row compared by its whole JSON text: the text itself is the comparison. */
const WHOLE_ROW = "";

/**
 * Stored in place of a fingerprint for a key whose last published version is not known: a sync
 * published a change of it (see the journal in s3/journal.ts) and stopped before committing the
 * outcome. No record matches it, so the key is published again: a record as `changed` (or, after a
 * journaled addition or removal, as `added`), its absence as `removed`.
 */
const UNCERTAIN_CHANGED = "?changed";
const UNCERTAIN_ADDED = "?added";

/** The fingerprint to store for a key whose journaled `change` may or may not have reached the queue. */
export function uncertainFingerprint(change: ChangeType): string {
  return change === "changed" ? UNCERTAIN_CHANGED : UNCERTAIN_ADDED;
}

/** The change to publish for any record of a key stored with `fingerprint`, if it is uncertain. */
export function uncertainChange(fingerprint: string): ChangeType | undefined {
  if (fingerprint === UNCERTAIN_CHANGED) return "changed";
  if (fingerprint === UNCERTAIN_ADDED) return "added";
  return undefined;
}

/** A row's stored version: its fingerprint and its JSON text. */
interface StoredVersion {
  hash: string;
  data: string;
}

/** How a row is compared with its stored version: the whole row (the default), or only `compare_columns`. */
export interface RowComparison {
  /** What to store beside the row's JSON text. */
  fingerprint(data: Record<string, unknown>): string;
  unchanged(stored: StoredVersion, rowJson: string, fingerprint: string): boolean;
}

export function rowComparison(compareColumns: string[] | undefined): RowComparison {
  if (compareColumns === undefined) {
    return {
      // Comparing the stored text itself spares hashing every row: a first sync stores rows it never compares.
      fingerprint: () => WHOLE_ROW,
      // A hash instead of WHOLE_ROW was stored by a version 1 store: the SHA-1 of the row's text.
      unchanged: (stored, rowJson) => (stored.hash === WHOLE_ROW ? stored.data === rowJson : stored.hash === sha1Base64(rowJson)),
    };
  }
  const readers = compareColumns.map(compileColumnPath);
  const fingerprint = (data: Record<string, unknown>): string => sha1Base64(JSON.stringify(readers.map((read) => read(data) ?? null)));
  return {
    fingerprint,
    unchanged: (stored, _rowJson, rowFingerprint) =>
      (stored.hash === WHOLE_ROW ? fingerprint(JSON.parse(stored.data) as Record<string, unknown>) : stored.hash) === rowFingerprint,
  };
}
