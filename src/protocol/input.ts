import { isUtf8 } from "node:buffer";
import type { Readable } from "node:stream";
import { UserFacingError, errorMessage } from "../errors.js";
import type { AirbyteMessage } from "./messages.js";

export interface InputLine {
  text: string;
  lineNumber: number;
  /** The input ended without a newline after this line: it may have been cut off. */
  unterminated?: true;
}

/** The longest input line accepted; a record this large could never become an SQS message anyway. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

const CARRIAGE_RETURN = 13;

function lineTooLong(lineNumber: number, cause: string): UserFacingError {
  return new UserFacingError(
    `Input line ${lineNumber} could not be read: it is longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB or the stream failed. Split the record or check the source.`,
    "system_error",
    cause,
  );
}

function notUtf8(lineNumber: number): UserFacingError {
  return new UserFacingError(
    `Input line ${lineNumber} is not valid UTF-8: Airbyte messages must be UTF-8 encoded JSON. Check the source's encoding settings.`,
    "system_error",
  );
}

/**
 * Offset of the first byte of `bytes` that cannot be part of a UTF-8 character, or 0 when the
 * fault lies where `bytes` meets the chunk before it. Only used once decoding has failed.
 */
function firstInvalidByte(bytes: Uint8Array): number {
  let offset = 0;
  // Up to 3 continuation bytes at the start may finish a character begun in the previous chunk.
  while (offset < 3 && offset < bytes.length && (bytes[offset]! & 0xc0) === 0x80) offset++;
  while (offset < bytes.length) {
    const lead = bytes[offset]!;
    const length = lead < 0x80 ? 1 : lead < 0xc2 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf5 ? 4 : 0;
    const end = offset + length;
    if (length === 0) return offset;
    // A character cut off by the end of the chunk is finished by the next one.
    if (end > bytes.length) return 0;
    if (!isUtf8(bytes.subarray(offset, end))) return offset;
    offset = end;
  }
  return 0;
}

/** The bytes at the end of `bytes` that begin a character they do not finish. */
function incompleteTail(bytes: Buffer | undefined): Buffer {
  if (bytes === undefined) return Buffer.alloc(0);
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.subarray(bytes.length - back) : Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}

/** How many line feeds come before `end` in `bytes`. */
function newlinesBefore(bytes: Uint8Array, end: number): number {
  let count = 0;
  for (let at = bytes.indexOf(10); at >= 0 && at < end; at = bytes.indexOf(10, at + 1)) count++;
  return count;
}

/**
 * Splits a stream into its non-blank lines, numbered from 1, a chunk's worth at a time: one
 * await per chunk instead of one per line. Pausing the loop pauses the stream.
 */
export async function* readLineBatches(input: Readable): AsyncGenerator<InputLine[]> {
  // Fatal, so that bytes that are not UTF-8 stop the sync instead of reaching SQS as U+FFFD.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  /** The chunk's text; when it is not UTF-8, the text of its whole lines before the bad one, and the error. */
  const decode = (chunk: Buffer, previous: Buffer | undefined): { text: string; error?: UserFacingError } => {
    try {
      return { text: decoder.decode(chunk, { stream: true }) };
    } catch {
      const invalidAt = firstInvalidByte(chunk);
      const error = notUtf8(lineNumber + 1 + newlinesBefore(chunk, invalidAt));
      const goodEnd = invalidAt === 0 ? 0 : chunk.lastIndexOf(10, invalidAt - 1) + 1;
      if (goodEnd === 0) return { text: "", error };
      // The failed decode dropped the start of a character the previous chunk ended with.
      const good = Buffer.concat([incompleteTail(previous), chunk.subarray(0, goodEnd)]);
      return { text: new TextDecoder("utf-8").decode(good), error };
    }
  };
  let partial = "";
  let lineNumber = 0;
  const linesOf = (text: string, final: boolean): InputLine[] => {
    const lines: InputLine[] = [];
    let start = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
      // A line may end in \r\n.
      const lineEnd = end > 0 && text.charCodeAt(end - 1) === CARRIAGE_RETURN ? end - 1 : end;
      const line = start === 0 ? partial + text.slice(0, lineEnd) : text.slice(start, lineEnd);
      start = end + 1;
      lineNumber++;
      if (line.length > MAX_LINE_BYTES) throw lineTooLong(lineNumber, "line too long");
      if (line.trim() !== "") lines.push({ text: line, lineNumber });
    }
    partial = start === 0 ? partial + text : text.slice(start);
    if (partial.length > MAX_LINE_BYTES) throw lineTooLong(lineNumber + 1, "line too long");
    if (final && partial.trim() !== "") lines.push({ text: partial, lineNumber: ++lineNumber, unterminated: true });
    return lines;
  };
  try {
    let previous: Buffer | undefined;
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      const { text, error } = typeof chunk === "string" ? { text: chunk } : decode(chunk, previous);
      if (typeof chunk !== "string") previous = chunk;
      const lines = linesOf(text, false);
      if (lines.length > 0) yield lines;
      if (error) throw error;
    }
  } catch (error) {
    if (error instanceof UserFacingError) throw error;
    throw lineTooLong(lineNumber + 1, errorMessage(error));
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw notUtf8(lineNumber + 1);
  }
  const last = linesOf(rest, true);
  if (last.length > 0) yield last;
}

/** Splits a stream into its non-blank lines, numbered from 1. Pausing the loop pauses the stream. */
export async function* readLines(input: Readable): AsyncGenerator<InputLine> {
  for await (const lines of readLineBatches(input)) yield* lines;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isWellFormedTrace(trace: unknown): boolean {
  if (!isObject(trace) || typeof trace.type !== "string") return false;
  if (trace.type !== "STREAM_STATUS") return true;
  const status = trace.stream_status;
  return (
    isObject(status) &&
    typeof status.status === "string" &&
    isObject(status.stream_descriptor) &&
    typeof status.stream_descriptor.name === "string"
  );
}

/** Parses one input line into an Airbyte message, checking the fields the connector relies on. */
export function parseMessage({ text, lineNumber, unterminated }: InputLine): AirbyteMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const cutOff = unterminated ? " The input ended in the middle of this line: the source may have stopped early." : "";
    throw new UserFacingError(
      `Input line ${lineNumber} is not valid JSON (${(error as Error).message}); each line must be one Airbyte message.${cutOff}`,
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
  } else if (parsed.type === "TRACE" && !isWellFormedTrace(parsed.trace)) {
    throw new UserFacingError(
      `Input line ${lineNumber} is a TRACE without a "trace" object with a "type", or a STREAM_STATUS trace without "stream_status.status" and "stream_status.stream_descriptor.name".`,
      "system_error",
    );
  }
  return parsed as AirbyteMessage;
}

/**
 * What to report when handling input line `lineNumber` failed with `error`: data nested so deeply
 * that processing it overflows the stack becomes an error naming the line; anything else is kept.
 */
export function lineHandlingError(error: unknown, lineNumber: number): unknown {
  if (!(error instanceof RangeError) || !/call stack/i.test(error.message)) return error;
  return new UserFacingError(
    `Input line ${lineNumber} holds data nested too deeply to process (${error.message}). Flatten the record in the source, or leave the column out of the stream.`,
    "system_error",
  );
}
