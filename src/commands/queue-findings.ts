// What each of a queue's attributes means for the rows about to be sent to it, under the
// configuration: the findings preview --send prints beside its rows.
import type { Config, ValueSource } from "../config/types.js";
import { LargeMessagePolicy } from "../large-messages/policy.js";

/** SQS drops a FIFO message whose deduplication id it saw within this window. */
const DEDUPLICATION_WINDOW_SECONDS = 300;
const WINDOW_MINUTES = DEDUPLICATION_WINDOW_SECONDS / 60;
/** A FIFO queue in per-queue throughput mode: messages a second, without and with batches of 10. */
const PER_QUEUE_MESSAGES_PER_SECOND = 300;
const PER_QUEUE_BATCHED_MESSAGES_PER_SECOND = 3000;

/** What the rows bound for one queue carry, as far as its settings go. */
export interface QueueSample {
  rows: number;
  /** The largest message (body and attributes, as SQS counts them) that goes to SQS as it is, not through S3. */
  largestBytes: number;
  /** The distinct message group ids of the rows. */
  groupIds: ReadonlySet<string>;
}

export type FindingTopic = "attributes" | "type" | "deduplication" | "size" | "encryption" | "delay" | "throughput" | "redrive";

/** One thing a queue's settings mean for these rows. A warning is something a sync would fail or lose rows on. */
export interface Finding {
  topic: FindingTopic;
  level: "ok" | "note" | "warning";
  text: string;
}

/** Which deduplication id SQS uses for the rows of a FIFO queue. */
export interface DeduplicationFacts {
  /** The connector always sends MessageDeduplicationId on FIFO queues, so that is the id SQS uses. */
  id: "MessageDeduplicationId";
  /** Where its value comes from: the setting, or the connector's default hash. */
  from: "message_deduplication_id" | "default";
  content_based_deduplication: boolean;
  window_seconds: number;
  scope: "queue" | "messageGroup";
}

/** A whole-number attribute, or undefined when absent or not a number. */
export function numberAttribute(attributes: Record<string, string> | undefined, name: string): number | undefined {
  const text = attributes?.[name];
  return text === undefined || !/^\d+$/.test(text) ? undefined : Number(text);
}

export function deduplicationFacts(attributes: Record<string, string>, config: Config): DeduplicationFacts {
  return {
    id: "MessageDeduplicationId",
    from: config.message_deduplication_id ? "message_deduplication_id" : "default",
    content_based_deduplication: attributes.ContentBasedDeduplication === "true",
    window_seconds: DEDUPLICATION_WINDOW_SECONDS,
    scope: attributes.DeduplicationScope === "messageGroup" ? "messageGroup" : "queue",
  };
}

/** What each attribute means for `sample` under `config`. */
export function queueFindings(
  attributes: Record<string, string>,
  sample: QueueSample,
  config: Config,
  deduplication: DeduplicationFacts | undefined,
): Finding[] {
  const fifo = attributes.FifoQueue === "true";
  return [
    typeFinding(fifo, config),
    ...(deduplication ? [deduplicationFinding(deduplication, config)] : []),
    ...sizeFinding(attributes, sample, config),
    encryptionFinding(attributes),
    ...delayFinding(attributes, fifo, config),
    ...(fifo ? [throughputFinding(attributes, sample)] : []),
    redriveFinding(attributes),
  ];
}

function typeFinding(fifo: boolean, config: Config): Finding {
  const type = fifo ? "fifo" : "standard";
  if (type === config.queue_type)
    return { topic: "type", level: "ok", text: `A ${fifo ? "FIFO" : "standard"} queue, as queue_type "${type}".` };
  return {
    topic: "type",
    level: "warning",
    text: `A ${fifo ? "FIFO" : "standard"} queue, but queue_type is "${config.queue_type}": SQS refuses these rows; set queue_type to "${type}" or send to a ${config.queue_type === "fifo" ? "FIFO" : "standard"} queue.`,
  };
}

function deduplicationFinding(facts: DeduplicationFacts, config: Config): Finding {
  const source = config.message_deduplication_id;
  const from = source
    ? `message_deduplication_id (${describeSource(source)})`
    : "the connector's default: SHA-256 of the message id, change and body";
  const contentBased = facts.content_based_deduplication
    ? "Content-based deduplication is on, but an explicit id takes precedence: SQS does not use the SHA-256 of the body for these rows."
    : "Content-based deduplication is off, so SQS requires an id with every message, which the connector always sends.";
  const scope = facts.scope === "messageGroup" ? "in the same message group" : "in the queue";
  const staticId =
    source?.source === "static"
      ? ` Every row gets the same id "${source.value}": after the first, SQS drops each row sent within ${WINDOW_MINUTES} minutes.`
      : "";
  return {
    topic: "deduplication",
    level: staticId === "" ? "ok" : "warning",
    text:
      `SQS deduplicates these rows by the MessageDeduplicationId the connector sends, from ${from}: a message whose id matches one sent ` +
      `${scope} within the last ${WINDOW_MINUTES} minutes is accepted but not delivered again (DeduplicationScope ${facts.scope}). ${contentBased}${staticId}`,
  };
}

function describeSource(source: ValueSource): string {
  switch (source.source) {
    case "static":
      return `static "${source.value}"`;
    case "column":
      return `column "${source.column}"`;
    case "template":
      return `template ${JSON.stringify(source.template)}`;
  }
}

function sizeFinding(attributes: Record<string, string>, sample: QueueSample, config: Config): Finding[] {
  const maximum = numberAttribute(attributes, "MaximumMessageSize");
  if (maximum === undefined) return [];
  const policy = LargeMessagePolicy.of(config);
  const setting = policy.s3 ? "large_messages.threshold_bytes" : "max_message_bytes";
  const largest = `the largest of these rows' messages (body and attributes) is ${sample.largestBytes} bytes`;
  if (sample.largestBytes > maximum) {
    return [
      {
        topic: "size",
        level: "warning",
        text: `MaximumMessageSize is ${maximum} bytes and ${largest}: SQS refuses a message over its queue's MaximumMessageSize (InvalidParameterValue). ${oversizeFix(maximum, policy)}.`,
      },
    ];
  }
  if (policy.threshold > maximum) {
    const handled = policy.s3 ? "go through S3" : "be rejected by the connector (rejected_rows)";
    return [
      {
        topic: "size",
        level: "note",
        text: `MaximumMessageSize is ${maximum} bytes and ${largest}, but ${setting} is ${policy.threshold}: a row whose message is between the two is refused by SQS instead of being made to ${handled}; set ${setting} to ${maximum}.`,
      },
    ];
  }
  return [{ topic: "size", level: "ok", text: `MaximumMessageSize is ${maximum} bytes; ${largest}.` }];
}

export function oversizeFix(maximum: number, policy: LargeMessagePolicy): string {
  const fix = policy.s3
    ? `set large_messages.threshold_bytes to at most ${maximum} so such bodies go through S3`
    : `set max_message_bytes to ${maximum} so rows over it are rejected before sending (rejected_rows)`;
  return `To fix it, ${fix}, or raise the queue's MaximumMessageSize`;
}

function encryptionFinding(attributes: Record<string, string>): Finding {
  const key = attributes.KmsMasterKeyId;
  if (key) {
    return {
      topic: "encryption",
      level: "note",
      text: `Encrypted with KMS key ${key}: the connector's credentials need kms:GenerateDataKey and kms:Decrypt on that key, or SQS refuses the rows (KMS.AccessDeniedException).`,
    };
  }
  if (attributes.SqsManagedSseEnabled === "true") {
    return { topic: "encryption", level: "ok", text: "Encrypted with SQS-managed keys (SSE-SQS): no KMS permission is needed." };
  }
  return { topic: "encryption", level: "ok", text: "Not encrypted at rest: no KMS permission is needed." };
}

function delayFinding(attributes: Record<string, string>, fifo: boolean, config: Config): Finding[] {
  const delay = numberAttribute(attributes, "DelaySeconds");
  if (delay === undefined) return [];
  if (delay === 0)
    return [
      { topic: "delay", level: "ok", text: "No queue delay (DelaySeconds 0): consumers can receive a message as soon as it is stored." },
    ];
  const perRow = fifo ? "" : config.delay_seconds ? "; a row's delay_seconds replaces it" : "; delay_seconds would set one per row instead";
  return [
    {
      topic: "delay",
      level: "note",
      text: `DelaySeconds is ${delay}: consumers can receive each message only ${delay} s after it is stored${perRow}.`,
    },
  ];
}

function throughputFinding(attributes: Record<string, string>, sample: QueueSample): Finding {
  const limit = attributes.FifoThroughputLimit ?? "perQueue";
  const scope = attributes.DeduplicationScope ?? "queue";
  const groups = sample.groupIds.size;
  const carry = `these ${sample.rows} row${sample.rows === 1 ? "" : "s"} carry ${groups} distinct message group id${groups === 1 ? "" : "s"}`;
  const oneGroup =
    groups === 1 && sample.rows > 1
      ? " A group's messages are delivered one at a time, in order: with one group, consumers cannot work in parallel; set message_group_id per entity (e.g. a column) to spread them."
      : "";
  if (limit === "perMessageGroupId") {
    const needsScope =
      scope === "messageGroup"
        ? ""
        : " High throughput also needs DeduplicationScope messageGroup; with queue, the per-queue limits still apply.";
    return {
      topic: "throughput",
      level: oneGroup === "" && needsScope === "" ? "ok" : "note",
      text: `High throughput mode (FifoThroughputLimit perMessageGroupId, DeduplicationScope ${scope}): the limits apply to each message group; ${carry}.${oneGroup}${needsScope}`,
    };
  }
  return {
    topic: "throughput",
    level: "note",
    text:
      `Per-queue throughput mode (FifoThroughputLimit ${limit}): at most ${PER_QUEUE_MESSAGES_PER_SECOND} messages a second ` +
      `(${PER_QUEUE_BATCHED_MESSAGES_PER_SECOND} in batches of 10) for the whole queue, however many groups; ${carry}.${oneGroup}` +
      (groups > 1 ? " For more, set FifoThroughputLimit perMessageGroupId and DeduplicationScope messageGroup on the queue." : ""),
  };
}

function redriveFinding(attributes: Record<string, string>): Finding {
  const policy = parseRedrivePolicy(attributes.RedrivePolicy);
  if (policy) {
    return {
      topic: "redrive",
      level: "ok",
      text: `Redrive policy: a message consumers fail to process ${policy.maxReceiveCount} times moves to the dead-letter queue ${policy.deadLetterTargetArn}.`,
    };
  }
  const retention = numberAttribute(attributes, "MessageRetentionPeriod");
  return {
    topic: "redrive",
    level: "note",
    text:
      "No redrive policy: a message consumers keep failing on is received again and again until the retention period" +
      `${retention === undefined ? "" : ` (MessageRetentionPeriod ${retention} s)`} ends, then deleted; give the queue a dead-letter queue to keep such messages.`,
  };
}

function parseRedrivePolicy(text: string | undefined): { deadLetterTargetArn: string; maxReceiveCount: string } | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    if (typeof parsed.deadLetterTargetArn !== "string") return undefined;
    return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount: String(parsed.maxReceiveCount ?? "?") };
  } catch {
    return undefined;
  }
}
