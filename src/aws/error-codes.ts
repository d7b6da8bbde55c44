// The AWS error codes the connector tells apart, by what they mean for it. Explanations of failed
// calls (aws/explain.ts) and delivery's retry decisions (delivery/errors.ts) both read them here.

export type AwsErrorMeaning =
  | "throttled"
  | "service_failed"
  | "unreachable"
  | "missing_queue"
  | "credentials_rejected"
  | "credentials_expired"
  | "no_credentials"
  | "access_denied";

// Exported only for test/aws-error-codes.test.ts.
export const AWS_ERROR_CODES: Readonly<Record<AwsErrorMeaning, readonly string[]>> = {
  /** Too many requests: a later request may pass. */
  throttled: [
    "RequestThrottled",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "KmsThrottled",
    "KMS.ThrottlingException",
  ],
  /** AWS failed on its side, or gave up waiting for the request. */
  service_failed: ["InternalError", "InternalFailure", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException"],
  /** No answer: DNS, connection and socket errors (Node's, undici's, the SDK's) and client-side timeouts. */
  unreachable: [
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ECONNRESET",
    "ECONNABORTED",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "ENETDOWN",
    "ETIMEDOUT",
    "EPIPE",
    "UND_ERR_SOCKET",
    "UND_ERR_CONNECT_TIMEOUT",
    "NetworkingError",
    "TimeoutError",
    "AbortError",
  ],
  /** The queue does not exist: the SDK's name, SQS's query-compatible code and older spellings. */
  missing_queue: ["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue"],
  credentials_rejected: [
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidSecurityToken",
    "IncompleteSignature",
    "AuthFailure",
  ],
  credentials_expired: ["ExpiredToken", "ExpiredTokenException", "RequestExpired"],
  /** The SDK's credential chain found nothing to sign with. */
  no_credentials: ["CredentialsProviderError"],
  access_denied: [
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "AuthorizationErrorException",
    "KmsAccessDenied",
    "KMS.AccessDeniedException",
  ],
};

const MEANING_OF_CODE = new Map<string, AwsErrorMeaning>(
  (Object.entries(AWS_ERROR_CODES) as [AwsErrorMeaning, readonly string[]][]).flatMap(([meaning, codes]) =>
    codes.map((code): [string, AwsErrorMeaning] => [code, meaning]),
  ),
);

/** What an AWS error code means for the connector, or undefined for a code it does not single out. */
export function awsErrorMeaning(code: string): AwsErrorMeaning | undefined {
  return MEANING_OF_CODE.get(code);
}

/** Whether the same request may succeed later: throttling, a failure on AWS's side, or no answer at all. */
export function isRetriableAwsError(code: string): boolean {
  const meaning = awsErrorMeaning(code);
  return meaning === "throttled" || meaning === "service_failed" || meaning === "unreachable";
}

/** Whether the user must change the credentials or their permissions before the call can succeed. */
export function isCredentialsAwsError(code: string): boolean {
  const meaning = awsErrorMeaning(code);
  return (
    meaning === "credentials_rejected" || meaning === "credentials_expired" || meaning === "no_credentials" || meaning === "access_denied"
  );
}
