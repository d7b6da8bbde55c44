// The Amazon SQS limits the connector works within, each named once. Source: "Amazon SQS quotas"
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-quotas.html),
// which also links the message attribute rules. spec.json repeats some of them as bounds
// (test/sqs-limits.test.ts keeps the two equal).

/** Entries in one SendMessageBatch request. */
export const MAX_BATCH_ENTRIES = 10;

/** Bytes in one SendMessageBatch request: every entry's body and attributes together. */
export const MAX_BATCH_REQUEST_BYTES = 1_048_576;

/** Bytes in one message, body and attributes (a queue's MaximumMessageSize may be set lower). */
export const MAX_MESSAGE_BYTES = 1_048_576;

/** A message's DelaySeconds (standard queues only: a FIFO queue takes a delay per queue). */
export const MAX_DELAY_SECONDS = 900;

/** A batch entry's Id: unique in its request, made of letters, digits, - and _. */
export const MAX_BATCH_ENTRY_ID_CHARS = 80;

/** MessageGroupId and MessageDeduplicationId. */
export const MAX_FIFO_ID_CHARS = 128;

/** The characters a MessageGroupId or MessageDeduplicationId may use: letters, digits and ASCII punctuation. */
export const FIFO_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/;

/** Message attributes on one message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/** A message attribute's name. */
export const MAX_ATTRIBUTE_NAME_CHARS = 256;

/** A queue's name: letters, digits, - and _, ending in .fifo for a FIFO queue (the suffix counts). */
export const MAX_QUEUE_NAME_CHARS = 80;

/** A character SQS refuses in a body or String attribute: it accepts only #x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD #x10000–#x10FFFF. */
export const DISALLOWED_MESSAGE_CHARACTER = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
