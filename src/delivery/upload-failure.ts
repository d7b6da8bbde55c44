/** Codes of entries that failed before reaching SQS because their body could not be stored in S3. */
export const UPLOAD_FAILURE_CODE_PREFIX = "S3.";

/** Whether an entry's failure code is an upload's (large_messages), not SQS's. */
export function isUploadFailureCode(code: string): boolean {
  return code.startsWith(UPLOAD_FAILURE_CODE_PREFIX);
}
