// Reading one line of a results file back. The bucket is not trusted: a line is taken only when it
// is a JSON object whose every ResultLine field is present with the type the format gives it.

import { UntrustedObjectError } from "../changes/snapshot/s3/read.js";
import type { ResultLine, ResultOutcome } from "./format.js";

/** Why a field's value does not fit, as a phrase that follows the value; undefined when it fits. */
type FieldRule = (value: unknown) => string | undefined;

const text: FieldRule = (value) => (typeof value === "string" ? undefined : "is not a string");

const finiteNumber: FieldRule = (value) => (typeof value === "number" && Number.isFinite(value) ? undefined : "is not a number");

const timestamp: FieldRule = (value) =>
  typeof value === "string" && !Number.isNaN(Date.parse(value)) ? undefined : "is not an ISO 8601 time";

/** JSON text, such as a row's data or its Airbyte meta. */
const jsonText: FieldRule = (value) => {
  if (typeof value !== "string") return "is not a string of JSON";
  try {
    JSON.parse(value);
    return undefined;
  } catch {
    return "is not JSON text";
  }
};

function oneOf(values: readonly string[]): FieldRule {
  return (value) =>
    typeof value === "string" && values.includes(value) ? undefined : `is not one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
}

function nullable(rule: FieldRule): FieldRule {
  return (value) => (value === null ? undefined : rule(value));
}

const OUTCOMES: readonly ResultOutcome[] = ["published", "rejected", "skipped", "unchanged"];

/** Every field of ResultLine and its rule: the type checker keeps this table in step with the format. */
const FIELDS: { readonly [Field in keyof ResultLine]-?: FieldRule } = {
  sync_id: text,
  run_id: text,
  recorded_at: timestamp,
  outcome: oneOf(OUTCOMES),
  namespace: nullable(text),
  stream: text,
  primary_key: nullable(jsonText),
  change: nullable(oneOf(["added", "changed", "removed"])),
  message_id: nullable(text),
  queue: nullable(text),
  sqs_message_id: nullable(text),
  sequence_number: nullable(text),
  bytes: nullable(finiteNumber),
  s3_pointer: nullable(text),
  rejected_reason: nullable(text),
  rejected_message: nullable(text),
  skipped_reason: nullable(text),
  data: nullable(jsonText),
  emitted_at: nullable(finiteNumber),
  meta: nullable(jsonText),
};

const FIELD_RULES = Object.entries(FIELDS) as [keyof ResultLine, FieldRule][];

/**
 * One line of a results file as a ResultLine; an UntrustedObjectError saying what is wrong when it
 * is not one. Fields the format does not know are ignored, so files of a later version still read.
 */
export function parseResultLine(line: string): ResultLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new UntrustedObjectError(`is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UntrustedObjectError("is not a JSON object");
  const fields = value as Record<string, unknown>;
  for (const [field, rule] of FIELD_RULES) {
    if (!Object.hasOwn(fields, field)) throw new UntrustedObjectError(`has no "${field}" field`);
    const problem = rule(fields[field]);
    if (problem !== undefined) throw new UntrustedObjectError(`has a "${field}" field that ${problem}`);
  }
  const result = fields as unknown as ResultLine;
  if (result.outcome === "rejected") assertRecordKept(result);
  return result;
}

/** A rejected row's line keeps the record it was made from, so that it can be sent again. */
function assertRecordKept({ data, emitted_at }: ResultLine): void {
  // The data is JSON text (checked above): it is an object when it opens with a brace.
  if (data === null || !data.trimStart().startsWith("{"))
    throw new UntrustedObjectError('is a rejected row whose "data" is not a JSON object');
  if (emitted_at === null) throw new UntrustedObjectError('is a rejected row without "emitted_at"');
}
