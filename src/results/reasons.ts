// The one table of rejected_reason codes: stable names a query can group by, whatever the wording
// of rejected_message (the reason as the logs give it) becomes.

/** Every code a rejected row's result can carry, with what it means (docs/sync-results.md lists them). */
export const REJECTED_REASONS = {
  change_undecided: "change_detection could not decide the row's change (a missing or unknown change value)",
  invalid_queue: "queue gave no usable queue name or URL for the row",
  queue_not_found: "the queue the row names does not exist",
  invalid_message_id: "message_id gave no usable value for the row",
  invalid_message_body: "message_body could not make a valid JSON body of the row",
  invalid_message_group_id: "message_group_id gave no usable value for the row",
  invalid_message_deduplication_id: "message_deduplication_id gave no usable value for the row",
  invalid_delay_seconds: "delay_seconds gave no whole number from 0 to 900 for the row",
  invalid_message_attribute: "a message_attributes value is missing or not valid for its data type",
  invalid_message: "the row could not become a valid message under a setting not listed here",
  message_too_large: "the message is larger than max_message_bytes, and large_messages cannot carry it",
  sqs_refused: "SQS refused the message for good (SenderFault); rejected_message gives SQS's code",
  upload_failed: "large_messages could not store the message body in S3",
} as const;

export type RejectedReason = keyof typeof REJECTED_REASONS;

/** The code of a row the composer rejected, by the top-level setting the rejection names. */
const BY_SETTING: Readonly<Record<string, RejectedReason>> = {
  queue: "invalid_queue",
  message_id: "invalid_message_id",
  message_body: "invalid_message_body",
  message_group_id: "invalid_message_group_id",
  message_deduplication_id: "invalid_message_deduplication_id",
  delay_seconds: "invalid_delay_seconds",
  message_attributes: "invalid_message_attribute",
  max_message_bytes: "message_too_large",
  large_messages: "message_too_large",
};

/** The code of a composer's rejection, from the setting it names (`message_attributes[2].value` → its top level). */
export function rejectedReasonOfSetting(setting: string): RejectedReason {
  const topLevel = /^[a-z_]+/.exec(setting)?.[0] ?? setting;
  return BY_SETTING[topLevel] ?? "invalid_message";
}
