// Turns a failed SendMessageBatch request (a SendFailure) into what delivery should do about it:
// retry the request, reject its rows, or stop the sync.

import { type AwsErrorMeaning, awsErrorMeaning, isRetriableAwsError } from "../aws/error-codes.js";
import { UserFacingError } from "../errors.js";
import { isUploadFailureCode } from "../large-messages/upload-failure.js";
import { REDACTED, redactCredentialShapes } from "../observe/redact.js";
import type { FailureType } from "../protocol/messages.js";
import type { SendFailure } from "./send-failure.js";

export type ErrorKind = "retry" | "reject" | "fatal";

export interface ClassifiedError {
  kind: ErrorKind;
  /** The most specific code found: the SDK error name, the query-compatible code, or the socket error code. */
  code: string;
  /** The error's own text, with anything that looks like a credential removed. */
  message: string;
}

const MAX_MESSAGE_CHARS = 300;

/** Removes AWS credential shapes and, since an SQS error never needs one, any long base64 run (signatures). */
export function redactSecrets(text: string): string {
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

interface FatalAdvice {
  failureType: FailureType;
  verb: string;
  hint: string;
}

function userMustFix(hint: string, verb = "refused"): FatalAdvice {
  return { failureType: "config_error", verb, hint };
}

const CHECK_CREDENTIALS = "check the credentials in the connector's configuration (or the role it assumes)";
const ACCESS_DENIED = userMustFix(
  "grant sqs:SendMessage on this queue to the connector's credentials " +
    "(and kms:GenerateDataKey and kms:Decrypt if the queue uses a customer managed KMS key)",
  "denied",
);
const UNKNOWN_KEY = userMustFix(`the access key id is unknown: ${CHECK_CREDENTIALS}`);
const EXPIRED_TOKEN = userMustFix(`the session token has expired: ${CHECK_CREDENTIALS}`);
const KMS_DENIED = userMustFix(
  "the queue's KMS key refuses the connector's credentials: grant kms:GenerateDataKey and kms:Decrypt on it",
  "denied",
);

/** Advice for what a code means (aws/error-codes.ts), unless ADVICE has some for the code itself. */
const ADVICE_BY_MEANING: Partial<Record<AwsErrorMeaning, FatalAdvice>> = {
  access_denied: ACCESS_DENIED,
  credentials_rejected: userMustFix(`AWS rejected the credentials: ${CHECK_CREDENTIALS}`),
  credentials_expired: EXPIRED_TOKEN,
  no_credentials: userMustFix(
    "no AWS credentials were found: set access keys in the configuration, or give the environment a role",
    "could not sign",
  ),
};

const ADVICE: Record<string, FatalAdvice> = {
  InvalidClientTokenId: UNKNOWN_KEY,
  UnrecognizedClientException: UNKNOWN_KEY,
  SignatureDoesNotMatch: userMustFix(`the secret access key does not match the access key id: ${CHECK_CREDENTIALS}`),
  InvalidSecurity: userMustFix("the queue requires HTTPS: use an https endpoint"),
  // Thrown by the credentials provider when STS refuses role_arn; an unreachable STS carries a retriable cause code.
  AssumeRoleError: userMustFix(
    "role_arn could not be assumed: the role's trust policy must allow the configured credentials (with external_id if it " +
      "has an sts:ExternalId condition) and they need sts:AssumeRole on it; check role_arn and external_id",
    "never received",
  ),
  KmsAccessDenied: KMS_DENIED,
  "KMS.AccessDeniedException": KMS_DENIED,
  KmsDisabled: userMustFix("the queue's KMS key is disabled: enable it or change the queue's encryption"),
  KmsNotFound: userMustFix("the queue's KMS key does not exist: fix the queue's encryption settings"),
  UnsupportedOperation: userMustFix(
    "the queue does not support this request: check queue_type (fifo for .fifo queues, standard otherwise)",
  ),
};

const DEFAULT_ADVICE: FatalAdvice = {
  failureType: "system_error",
  verb: "refused",
  hint: "this is not retried; if the queue's settings look right, report it with this message",
};

/** The error that stops the sync when a SendMessageBatch request fails for a reason retrying cannot fix. */
export function fatalSendError(classified: ClassifiedError, queueUrl: string): UserFacingError {
  const meaning = awsErrorMeaning(classified.code);
  const advice = ADVICE[classified.code] ?? (meaning === undefined ? undefined : ADVICE_BY_MEANING[meaning]) ?? DEFAULT_ADVICE;
  return new UserFacingError(
    `SQS ${advice.verb} SendMessageBatch on queue ${queueUrl}: ${classified.code} — ${advice.hint}.`,
    advice.failureType,
    classified.message,
  );
}

/** The reason given for each row of a request sent to a queue that does not exist. */
export function missingQueueReason(classified: ClassifiedError, queueUrl: string): string {
  return (
    `${classified.code}: queue ${queueUrl} does not exist (deleted, or the routed URL is wrong); ` +
    "create the queue or fix the queue setting"
  );
}

/** The error that stops the sync when a message kept failing with retriable errors for too long. */
export function retriesExhaustedError(
  queueUrl: string,
  last: { code: string; message: string },
  failingMs: number,
  retryMaxMs: number,
): UserFacingError {
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  const howLong = `kept failing for ${seconds(failingMs)} s (the limit, retry_max_seconds, is ${seconds(retryMaxMs)} s)`;
  // The last failure was S3's, storing a body (large_messages): its message names the bucket and key.
  if (isUploadFailureCode(last.code)) {
    // An entry's reason already begins with its code.
    const detail = (last.message.startsWith(last.code) ? last.message : `${last.code}: ${last.message}`).replace(/\.+$/, "");
    return new UserFacingError(
      `Gave up storing message bodies in S3 (large_messages) for queue ${queueUrl}: uploads ${howLong}; last error ${detail}. ` +
        "Check the bucket's request rate (S3 answers SlowDown when a prefix gets too many requests) and S3's health, then run the sync again (or raise retry_max_seconds).",
      "transient_error",
      `${last.code}: ${last.message}`,
    );
  }
  return new UserFacingError(
    `Gave up sending to SQS queue ${queueUrl}: messages ${howLong}; last error ${last.code}. ` +
      "Check the queue's throttling limits and SQS's health, then run the sync again (or raise retry_max_seconds).",
    "transient_error",
    `${last.code}: ${last.message}`,
  );
}
