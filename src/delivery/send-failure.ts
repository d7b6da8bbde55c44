import { awsErrorCodes, awsHttpStatus } from "../aws/error-code.js";

/**
 * Why a SendMessageBatch request failed as a whole: what every BatchSender rejects with, whether it
 * read SQS's answer itself (the lean sender) or through the SDK, and what delivery/errors.ts classifies.
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
