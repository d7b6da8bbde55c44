import { Readable } from "node:stream";
import type { DeserializeMiddleware, Pluggable } from "@smithy/types";

/** HTTP 412: a conditional write (If-None-Match / If-Match) found the object not as expected. */
export function isPreconditionFailed(error: unknown): boolean {
  return awsHttpStatus(error) === 412 || awsErrorCode(error) === "PreconditionFailed";
}

/** The code of a failed AWS call (the first of `awsErrorCodes`), or the error's name when it carries none. */
export function awsErrorCode(error: unknown): string {
  return awsErrorCodes(error)[0] ?? (error instanceof Error ? error.name : "Error");
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  errors?: unknown;
  cause?: unknown;
  $response?: { body?: unknown };
}

/** How many causes deep a wrapped error is searched for codes. */
const MAX_CAUSE_DEPTH = 3;

/** The HTTP status of a failed AWS call: the SDK's metadata, or the raw response when it could not parse one. */
export function awsHttpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { $metadata, $response } = error as { $metadata?: { httpStatusCode?: unknown }; $response?: { statusCode?: unknown } };
  const status = $metadata?.httpStatusCode ?? $response?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * Every code a failed AWS call carries, the most specific first. For the error and then each of
 * its causes: Node names network errors in `code` (for an AggregateError, such as a refused
 * connection to a host with several addresses, its first error's); when the SDK could not parse an
 * error response (some emulators answer JSON-protocol calls in XML), the code in the raw body kept
 * by `keepErrorBodies`; the SDK names service errors by their code; SQS's query-compatible `Code`.
 */
export function awsErrorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== "object" || error === null || depth >= MAX_CAUSE_DEPTH) return [];
  const { name, code, Code, errors, cause, $response } = error as ErrorShape;
  const aggregated = Array.isArray(errors) && errors.length > 0 ? awsErrorCodes(errors[0], depth + 1) : [];
  const inBody = $response?.body instanceof Uint8Array ? codeInBody(Buffer.from($response.body).toString("utf8")) : undefined;
  const own = [code, ...aggregated, inBody, name, Code].filter(
    (value): value is string => typeof value === "string" && value !== "" && value !== "Error",
  );
  return [...new Set([...own, ...awsErrorCodes(cause, depth + 1)])];
}

function codeInBody(body: string): string | undefined {
  const xmlCode = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
  const jsonType = /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(body)?.[1];
  return xmlCode ?? jsonType;
}

/** A client plugin that reads the body of every failed response into memory before it is parsed. */
export function keepErrorBodies<Input extends object, Output extends object>(): Pluggable<Input, Output> {
  const middleware: DeserializeMiddleware<Input, Output> = (next) => async (args) => {
    const result = await next(args);
    const response = result.response as { statusCode?: number; body?: unknown };
    if ((response.statusCode ?? 0) >= 300 && response.body instanceof Readable) {
      response.body = new Uint8Array(Buffer.concat(await response.body.toArray()));
    }
    return result;
  };
  return {
    applyToStack(stack) {
      // Low priority puts it inside the SDK's deserializer: it sees the raw response first.
      stack.add(middleware, { step: "deserialize", priority: "low", name: "keepErrorBodies" });
    },
  };
}
