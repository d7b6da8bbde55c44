// What delivery tells the user when SendMessageBatch fails for good: the advice for each fatal
// code, the reason given to rows sent to a missing queue, and the error when retries run out.
// Which failures are fatal is decided in aws/send-failure.ts.

import { type AwsErrorMeaning, awsErrorMeaning } from "../aws/error-codes.js";
import type { ClassifiedError } from "../aws/send-failure.js";
import { type FailureType, UserFacingError } from "../errors.js";
import { isUploadFailureCode } from "./upload-failure.js";

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
  InvalidParameterValue: userMustFix(
    "SQS refused a value of the message, as its reason says; a message over the queue's MaximumMessageSize is refused so: " +
      "set max_message_bytes (or large_messages.threshold_bytes) to that size, or raise the queue's MaximumMessageSize",
  ),
  UnsupportedOperation: userMustFix(
    "the queue does not support this request: check queue_type (fifo for .fifo queues, standard otherwise)",
  ),
};

const DEFAULT_ADVICE: FatalAdvice = {
  failureType: "system_error",
  verb: "refused",
  hint: "this is not retried; if the queue's settings look right, report it with this message",
};

function adviceFor(code: string): FatalAdvice {
  const meaning = awsErrorMeaning(code);
  return ADVICE[code] ?? (meaning === undefined ? undefined : ADVICE_BY_MEANING[meaning]) ?? DEFAULT_ADVICE;
}

/** What to do about a message SQS refused with `code` (a sentence without its period). */
export function refusalAdvice(code: string): string {
  const meaning = awsErrorMeaning(code);
  if (meaning === "missing_queue")
    return "The queue does not exist (deleted, or the routed URL is wrong): create the queue or fix the queue setting";
  if (meaning === "unreachable") return "No answer from SQS: check the region and the endpoint, and that this host can reach it";
  if (meaning === "throttled" || meaning === "service_failed") {
    return "The failure is temporary (a sync retries it within retry_max_seconds): send the row again";
  }
  const { hint } = adviceFor(code);
  return hint.charAt(0).toUpperCase() + hint.slice(1);
}

/** The error that stops the sync when a SendMessageBatch request fails for a reason retrying cannot fix. */
export function fatalSendError(classified: ClassifiedError, queueUrl: string): UserFacingError {
  const advice = adviceFor(classified.code);
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
