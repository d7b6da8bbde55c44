// The one shape of an expected per-row problem in compose: every step returns Result<T>, its value
// or a RowRejection. Nothing in compose throws for a row; a thrown error is a bug.

/**
 * Why a row cannot become a valid SQS message. `problem` names the setting and its source; the
 * composer prefixes the row's message id to make the full reason. Not an Error: it is returned, and
 * a row that fails costs no stack trace.
 */
export class RowRejection {
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {}
}

/** A step's value, or why the row is rejected. A value costs no allocation: the hot path makes millions. */
export type Result<T> = T | RowRejection;

export function isRejection<T>(result: Result<T>): result is RowRejection {
  return result instanceof RowRejection;
}

const QUOTED_VALUE_MAX_CHARS = 80;

/** A user value as it appears inside a rejection reason: JSON-quoted, truncated. */
export function quoteValue(text: string): string {
  const shown = text.length > QUOTED_VALUE_MAX_CHARS ? `${text.slice(0, QUOTED_VALUE_MAX_CHARS)}…` : text;
  return JSON.stringify(shown);
}

/** Whether a value counts as "no value" for a required setting: null, missing or an empty string. */
export function isEmptyValue(value: unknown): value is null | undefined | "" {
  return value === null || value === undefined || value === "";
}

/** How a rejection names an empty value. */
export function describeEmpty(value: null | undefined | ""): string {
  if (value === undefined) return "missing";
  return value === null ? "null" : "an empty string";
}
