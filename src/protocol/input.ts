import type { Readable } from "node:stream";
import split2 from "split2";
import { UserFacingError } from "../errors.js";
import type { AirbyteMessage } from "./messages.js";

export interface InputLine {
  text: string;
  lineNumber: number;
}

/** The longest input line accepted; a record this large could never become an SQS message anyway. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Splits a stream into its non-blank lines, numbered from 1. Pausing the loop pauses the stream. */
export async function* readLines(input: Readable): AsyncGenerator<InputLine> {
  const lines = input.pipe(split2({ maxLength: MAX_LINE_BYTES }));
  let lineNumber = 0;
  try {
    for await (const text of lines as AsyncIterable<string>) {
      lineNumber++;
      if (text.trim() !== "") yield { text, lineNumber };
    }
  } catch (error) {
    throw new UserFacingError(
      `Input line ${lineNumber + 1} could not be read: it is longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB or the stream failed. Split the record or check the source.`,
      "system_error",
      error instanceof Error ? error.message : String(error),
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses one input line into an Airbyte message, checking the fields the connector relies on. */
export function parseMessage({ text, lineNumber }: InputLine): AirbyteMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserFacingError(
      `Input line ${lineNumber} is not valid JSON (${(error as Error).message}); each line must be one Airbyte message.`,
      "system_error",
    );
  }
  if (!isObject(parsed) || typeof parsed.type !== "string") {
    throw new UserFacingError(
      `Input line ${lineNumber} is not an Airbyte message: expected a JSON object with a "type" field.`,
      "system_error",
    );
  }
  if (parsed.type === "RECORD") {
    const record = parsed.record;
    if (!isObject(record) || typeof record.stream !== "string" || !isObject(record.data)) {
      throw new UserFacingError(
        `Input line ${lineNumber} is a RECORD without "record.stream" (a string) and "record.data" (an object).`,
        "system_error",
      );
    }
  } else if (parsed.type === "STATE" && !isObject(parsed.state)) {
    throw new UserFacingError(`Input line ${lineNumber} is a STATE without a "state" object.`, "system_error");
  }
  return parsed as AirbyteMessage;
}
