/**
 * Thrown by a composition step when a row cannot become a valid SQS message. `problem` names the
 * setting and its source; the composer prefixes the row's message id to make the full reason.
 */
export class RowRejection extends Error {
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(problem);
    this.name = "RowRejection";
  }
}

const QUOTED_VALUE_MAX_CHARS = 80;

/** A user value as it appears inside a rejection reason: JSON-quoted, truncated. */
export function quoteValue(text: string): string {
  const shown = text.length > QUOTED_VALUE_MAX_CHARS ? `${text.slice(0, QUOTED_VALUE_MAX_CHARS)}…` : text;
  return JSON.stringify(shown);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
