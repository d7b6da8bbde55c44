import type { ApiCall } from "../aws/api-calls.js";
import type { SendFailure } from "../aws/send-failure.js";
import type { LogLevel } from "../protocol/messages.js";
import type { BatchCall } from "./observed-sender.js";
import type { Redactor } from "../redact.js";

/** The prefix of every API call log line; the rest of the line is one JSON object. */
export const API_CALL_PREFIX = "API_CALL ";

const MAX_BODY_CHARS = 500;
const MAX_ERROR_CHARS = 300;

interface ApiCallLogOptions {
  /** Include each entry's (truncated) body in SendMessageBatch lines. */
  bodies: boolean;
  redactor: Redactor;
  log(level: LogLevel, text: string): void;
  /** The in-flight limit when a SendMessageBatch call ends, once delivery has one. */
  concurrencyLimit?(): number | undefined;
}

/** One line of the API call log, as printed after API_CALL_PREFIX. */
export interface ApiCallLine {
  service: ApiCall["service"];
  action: string;
  queue?: string;
  /** The object an S3 call wrote, as s3://bucket/key. */
  object?: string;
  entries?: number;
  bytes: number;
  latency_ms: number;
  http_status?: number;
  attempt?: number;
  /** SendMessageBatch: the limit on requests in flight when the call ended. */
  concurrency_limit?: number;
  outcome: "ok" | "partial" | "error";
  error?: string;
  error_message?: string;
  failed?: { message_id: string; entry_id: string; code: string; sender_fault: boolean; message?: string }[];
  messages?: { message_id: string; body: string }[];
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function errorFields(failure: SendFailure, redactor: Redactor): Pick<ApiCallLine, "error" | "error_message" | "http_status"> {
  const { httpStatus, code, message } = failure;
  return {
    ...(httpStatus === undefined ? {} : { http_status: httpStatus }),
    error: code,
    error_message: truncate(redactor.text(message.replace(/\s+/g, " ").trim()), MAX_ERROR_CHARS),
  };
}

/**
 * The live debugger (`log_api_calls`): one LOG line per SQS, STS or S3 call. SendMessageBatch calls
 * are reported by the delivery layer's sender (`batchCall`), which knows each entry's row;
 * every other call comes from the SDK clients' observer (`sdkCall`).
 */
export class ApiCallLog {
  constructor(private readonly options: ApiCallLogOptions) {}

  readonly sdkCall = (call: ApiCall): void => {
    if (call.action === "SendMessageBatch") return;
    this.print({
      service: call.service,
      action: call.action,
      ...(call.queueUrl === undefined ? {} : { queue: call.queueUrl }),
      ...(call.objectUrl === undefined ? {} : { object: call.objectUrl }),
      ...(call.entries === undefined ? {} : { entries: call.entries }),
      bytes: call.bytes,
      latency_ms: roundMs(call.latencyMs),
      ...(call.httpStatus === undefined ? {} : { http_status: call.httpStatus }),
      outcome: call.error === undefined ? "ok" : "error",
      ...(call.error === undefined ? {} : { error: call.error }),
    });
  };

  readonly batchCall = (call: BatchCall): void => {
    const { redactor } = this.options;
    const messageIdOf = new Map(call.entries.map((entry) => [entry.id, entry.message.messageId]));
    const failed = (call.result?.failed ?? []).map((failure) => ({
      message_id: messageIdOf.get(failure.id) ?? "(unknown entry)",
      entry_id: failure.id,
      code: failure.code,
      sender_fault: failure.senderFault,
      ...(failure.message === undefined ? {} : { message: truncate(redactor.text(failure.message), MAX_ERROR_CHARS) }),
    }));
    const outcome = call.result === undefined ? "error" : failed.length > 0 ? "partial" : "ok";
    const limit = this.options.concurrencyLimit?.();
    this.print({
      service: "SQS",
      action: "SendMessageBatch",
      queue: call.queueUrl,
      entries: call.entries.length,
      bytes: call.bytes,
      latency_ms: roundMs(call.latencyMs),
      // A sender answers only for a successful HTTP exchange and throws otherwise.
      ...(call.error === undefined ? { http_status: 200 } : errorFields(call.error, redactor)),
      attempt: call.attempt,
      ...(limit === undefined ? {} : { concurrency_limit: limit }),
      outcome,
      ...(failed.length > 0 ? { failed } : {}),
      ...(this.options.bodies
        ? {
            messages: call.entries.map(({ message }) => ({
              message_id: message.messageId,
              body: truncate(redactor.text(message.body), MAX_BODY_CHARS),
            })),
          }
        : {}),
    });
  };

  private print(line: ApiCallLine): void {
    this.options.log(line.outcome === "ok" ? "INFO" : "WARN", API_CALL_PREFIX + JSON.stringify(line));
  }
}
