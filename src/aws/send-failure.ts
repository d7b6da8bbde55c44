// Why a SendMessageBatch request failed, in the connector's own words, and what that means:
// retry it, reject its rows, or stop the sync.

import { REDACTED, redactCredentialShapes } from "../redact.js";
import { awsErrorCodes, awsHttpStatus } from "./error-code.js";
import { awsErrorMeaning, isRetriableAwsError } from "./error-codes.js";

/**
 * Why a SendMessageBatch request failed as a whole: what every BatchSender rejects with, whether it
 * read SQS's answer itself (the lean sender) or through the SDK, and what classifySendError classifies.
 */
export class SendFailure extends Error {
  override readonly name = "SendFailure";

  constructor(
    /** Every code the failure carries, the most specific first: the error shape, SQS's query-compatible code, a socket error's code. */
    readonly codes: readonly string[],
    /** The HTTP status SQS answered with; undefined when no answer came. */
    readonly httpStatus: number | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The most specific code, else the HTTP status, else "Error". */
  get code(): string {
    return this.codes[0] ?? (this.httpStatus === undefined ? "Error" : `HTTP ${this.httpStatus}`);
  }
}

/** A thrown SDK error, socket error or cancellation as a SendFailure; a SendFailure stays as it is. */
export function sendFailureOf(error: unknown): SendFailure {
  if (error instanceof SendFailure) return error;
  const raw = typeof error === "object" && error !== null ? (error as { message?: unknown }).message : undefined;
  const message = typeof raw === "string" && raw !== "" ? raw : String(error);
  return new SendFailure(awsErrorCodes(error), awsHttpStatus(error), message, { cause: error });
}

type ErrorKind = "retry" | "reject" | "fatal";

export interface ClassifiedError {
  kind: ErrorKind;
  /** The most specific code found: the SDK error name, the query-compatible code, or the socket error code. */
  code: string;
  /** The error's own text, with anything that looks like a credential removed. */
  message: string;
}

const MAX_MESSAGE_CHARS = 300;

/** Removes AWS credential shapes and, since an SQS error never needs one, any long base64 run (signatures). */
function redactSecrets(text: string): string {
  return redactCredentialShapes(text).replace(/[A-Za-z0-9+/=]{40,}/g, REDACTED);
}

function messageOf(failure: SendFailure): string {
  const redacted = redactSecrets(failure.message.replace(/\s+/g, " ").trim());
  return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS)}…` : redacted;
}

/** Whether an entry failure's code, or a request's HTTP status, asks the connector to slow down. */
export function isThrottlingCode(code: string): boolean {
  return awsErrorMeaning(code) === "throttled";
}

/**
 * Whether a failed request is throttling: a throttling code or HTTP 429. A 503 without a throttling
 * code is a failure on AWS's side (or a load balancer's), retried but not taken for back-pressure.
 */
export function isThrottlingError({ codes, httpStatus }: SendFailure): boolean {
  return httpStatus === 429 || codes.some(isThrottlingCode);
}

export function classifySendError(failure: SendFailure): ClassifiedError {
  const { codes, httpStatus, code } = failure;
  const message = messageOf(failure);
  const missingQueue = codes.find((each) => awsErrorMeaning(each) === "missing_queue");
  if (missingQueue !== undefined) return { kind: "reject", code: missingQueue, message };
  const retriable = codes.find(isRetriableAwsError);
  if (retriable !== undefined) return { kind: "retry", code: retriable, message };
  if (httpStatus !== undefined && (httpStatus === 429 || httpStatus >= 500)) return { kind: "retry", code, message };
  return { kind: "fatal", code, message };
}
