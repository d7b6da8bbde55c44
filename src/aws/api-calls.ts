import type { DeserializeMiddleware, MetadataBearer, Pluggable } from "@smithy/types";
import { awsErrorCode, awsHttpStatus } from "./error-code.js";

/** One SQS, STS or S3 request as it went over the wire: what the API call log prints. */
export interface ApiCall {
  service: "SQS" | "STS" | "S3" | "SNS";
  /** The operation, e.g. "SendMessageBatch". */
  action: string;
  queueUrl?: string;
  /** The object an S3 call reads or writes, as s3://bucket/key. */
  objectUrl?: string;
  /** Number of entries in a batch request. */
  entries?: number;
  /** Size of the request body. */
  bytes: number;
  latencyMs: number;
  /** Absent when no response arrived (network error, timeout). */
  httpStatus?: number;
  /** Error code (or Node error code) when the call failed as a whole. */
  error?: string;
  /** The command's input, for callers that print message bodies. */
  input: object;
  /** The parsed response, for callers that look at per-entry failures. */
  output?: object;
}

export type ApiCallObserver = (call: ApiCall) => void;

interface CommandInput {
  QueueUrl?: unknown;
  Entries?: unknown;
  Bucket?: unknown;
  Key?: unknown;
}

/**
 * A client plugin reporting every HTTP attempt to `observe`. It sits just outside the SDK's
 * deserializer, so it sees each attempt (not the retried whole) with its parsed result or error.
 */
export function observeApiCalls<Input extends object, Output extends MetadataBearer>(
  service: ApiCall["service"],
  observe: ApiCallObserver,
): Pluggable<Input, Output> {
  const middleware: DeserializeMiddleware<Input, Output> = (next, context) => async (args) => {
    const input: CommandInput = args.input;
    const body: unknown = (args.request as { body?: unknown }).body;
    const base = {
      service,
      action: context.commandName?.replace(/Command$/, "") ?? "unknown",
      ...(typeof input.QueueUrl === "string" ? { queueUrl: input.QueueUrl } : {}),
      ...(typeof input.Bucket === "string" && typeof input.Key === "string" ? { objectUrl: `s3://${input.Bucket}/${input.Key}` } : {}),
      ...(Array.isArray(input.Entries) ? { entries: input.Entries.length } : {}),
      bytes: typeof body === "string" || body instanceof Uint8Array ? Buffer.byteLength(body) : 0,
      input: args.input,
    };
    const started = performance.now();
    try {
      const result = await next(args);
      const output = result.output;
      const httpStatus = output?.$metadata.httpStatusCode;
      observe({
        ...base,
        latencyMs: performance.now() - started,
        ...(httpStatus === undefined ? {} : { httpStatus }),
        ...(output === undefined ? {} : { output }),
      });
      return result;
    } catch (error) {
      const httpStatus = awsHttpStatus(error);
      observe({
        ...base,
        latencyMs: performance.now() - started,
        ...(httpStatus === undefined ? {} : { httpStatus }),
        error: awsErrorCode(error),
      });
      throw error;
    }
  };
  return {
    applyToStack(stack) {
      stack.add(middleware, { step: "deserialize", priority: "high", name: "apiCallObserver" });
    },
  };
}
