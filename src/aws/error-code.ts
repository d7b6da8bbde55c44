import { Readable } from "node:stream";
import type { DeserializeMiddleware, Pluggable } from "@smithy/types";

/**
 * The code of a failed AWS call: the SDK names service errors by their code, Node names network
 * errors in `code`. When the SDK could not parse an error response (some emulators answer
 * JSON-protocol calls in XML), the code is read from the raw body kept by `keepErrorBodies`.
 */
export function awsErrorCode(error: unknown): string {
  if (!(error instanceof Error)) return "Error";
  const { code, errors, $response } = error as Error & { code?: unknown; errors?: unknown; $response?: { body?: unknown } };
  if (typeof code === "string") return code;
  // Node reports a refused connection to a host with several addresses as an AggregateError.
  if (Array.isArray(errors) && errors.length > 0) return awsErrorCode(errors[0]);
  if ($response?.body instanceof Uint8Array) return codeInBody(Buffer.from($response.body).toString("utf8")) ?? error.name;
  return error.name;
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
