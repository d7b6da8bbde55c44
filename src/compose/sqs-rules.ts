import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import { isQueueUrl, queueNameFromUrl } from "../aws/queues.js";
import type { AttributeDataType, QueueType } from "../config/types.js";
import { queueNameTypeProblem } from "../queue-type.js";
import { DISALLOWED_MESSAGE_CHARACTER, FIFO_ID, MAX_DELAY_SECONDS, MAX_FIFO_ID_CHARS, MAX_QUEUE_NAME_CHARS } from "../sqs-limits.js";

// SQS's rules for the fields of a message, as the Amazon SQS documentation states them:
// SendMessageBatchRequestEntry and MessageAttributeValue in the API Reference
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html),
// and "Amazon SQS message quotas" and "Amazon SQS message attributes" in the Developer Guide;
// docs/configuration.md lists them for users under "Per-row validation". Each check returns a
// problem description, or undefined when the value is fine.

/**
 * JSON.stringify writes an unpaired surrogate as a lowercase `\udXXX` escape and a valid pair as
 * the character itself, so an escape preceded by an even number of backslashes is a lone surrogate.
 */
const LONE_SURROGATE_ESCAPE = /(?<!\\)(?:\\\\)*(\\ud[89a-f][0-9a-f]{2})/;

const WHOLE_NUMBER = /^\d+$/;
const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MAX_NUMBER_DIGITS = 38;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function describeCharacter(text: string, index: number): string {
  const code = text.codePointAt(index) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")} at character ${index}`;
}

/** Characters SQS refuses with InvalidMessageContents. */
function checkCharacters(text: string): string | undefined {
  const match = DISALLOWED_MESSAGE_CHARACTER.exec(text);
  if (match) return `contains ${describeCharacter(text, match.index)}, a character SQS does not accept`;
  return undefined;
}

/** A compact JSON body: SQS characters, and no unpaired surrogate hidden in a `\u` escape. */
export function checkJsonBody(body: string): string | undefined {
  if (body.includes("\\ud")) {
    const match = LONE_SURROGATE_ESCAPE.exec(body);
    if (match) {
      return `contains an unpaired UTF-16 surrogate (${match[1]}) at character ${match.index + match[0].length - 6}, which is not valid Unicode`;
    }
  }
  return checkCharacters(body);
}

export function checkFifoId(value: string): string | undefined {
  if (value.length > MAX_FIFO_ID_CHARS) return `is ${value.length} characters long; SQS allows at most ${MAX_FIFO_ID_CHARS}`;
  if (!FIFO_ID.test(value)) {
    return "contains a character SQS does not allow: use only letters, digits and ASCII punctuation, no spaces";
  }
  return undefined;
}

/** Far longer than any real queue URL (an 80-character name under the longest VPC endpoint host). */
const MAX_QUEUE_URL_CHARS = 1024;
const QUEUE_NAME = /^[A-Za-z0-9_-]+(?:\.fifo)?$/;

/** A queue name: letters, digits, - and _, up to 80 characters with .fifo. */
function checkQueueName(name: string): string | undefined {
  if (name.length > MAX_QUEUE_NAME_CHARS) return `is ${name.length} characters long; SQS queue names have at most ${MAX_QUEUE_NAME_CHARS}`;
  if (!QUEUE_NAME.test(name)) return "is not a queue name (letters, digits, hyphens and underscores, ending in .fifo for a FIFO queue)";
  return undefined;
}

/**
 * A queue name, or a bounded http(s) URL whose last path segment is one, of the configured queue
 * type. A URL's host is the business of queueUrlCheck (src/aws/queue-hosts.ts).
 */
export function checkQueueValue(value: string, queueType: QueueType): string | undefined {
  if (!isQueueUrl(value)) {
    const problem = checkQueueName(value);
    return problem === undefined ? queueNameTypeProblem(value, queueType) : `${problem} nor an http(s) queue URL`;
  }
  if (value.length > MAX_QUEUE_URL_CHARS)
    return `is ${value.length} characters long, more than any queue URL (at most ${MAX_QUEUE_URL_CHARS})`;
  const name = queueNameFromUrl(value);
  const problem = checkQueueName(name);
  if (problem !== undefined) return `does not end in a queue name: its last path segment ${JSON.stringify(name)} ${problem}`;
  return queueNameTypeProblem(name, queueType);
}

/** DelaySeconds: a whole number from 0 to MAX_DELAY_SECONDS. */
export function checkDelaySeconds(value: string): string | undefined {
  if (WHOLE_NUMBER.test(value) && Number(value) <= MAX_DELAY_SECONDS) return undefined;
  return `is not a whole number of seconds from 0 to ${MAX_DELAY_SECONDS} (digits only, no spaces)`;
}

/** SQS Number attributes: up to 38 significant digits, magnitude 10^-128 to 10^+126. */
function checkNumber(value: string): string | undefined {
  const invalid =
    "is not a number SQS accepts (decimal digits with an optional sign, point and exponent, up to 38 significant digits, between 10^-128 and 10^126)";
  if (!DECIMAL_NUMBER.test(value)) return invalid;
  const mantissa = value.replace(/^[+-]/, "").replace(/[eE].*$/, "");
  let digits = mantissa.replace(".", "").replace(/^0+/, "");
  if (mantissa.includes(".")) digits = digits.replace(/0+$/, "");
  const magnitude = Math.abs(Number(value));
  if (digits.length > MAX_NUMBER_DIGITS || !Number.isFinite(magnitude)) return invalid;
  if (magnitude !== 0 && (magnitude > 1e126 || magnitude < 1e-128)) return invalid;
  return undefined;
}

interface EncodedAttribute {
  value: MessageAttributeValue;
  /** The value's share of the message size, as SQS counts it. */
  bytes: number;
}

/** A non-empty attribute value SQS accepts for its data type. */
export function checkAttribute(dataType: AttributeDataType, value: string): string | undefined {
  switch (dataType) {
    case "String":
      return checkCharacters(value);
    case "Number":
      return checkNumber(value);
    case "Binary":
      return BASE64.test(value) ? undefined : "is not valid base64 (Binary attribute values are read as base64 text)";
  }
}

/** An attribute value that passed checkAttribute, in its SQS form. */
export function encodeAttribute(dataType: AttributeDataType, value: string): EncodedAttribute {
  if (dataType !== "Binary") return { value: { DataType: dataType, StringValue: value }, bytes: Buffer.byteLength(value) };
  const bytes = Buffer.from(value, "base64");
  return { value: { DataType: dataType, BinaryValue: bytes }, bytes: bytes.length };
}
