// preview --send reads each target queue's attributes (GetQueueAttributes) before sending; what they
// mean for the rows is worded in queue-findings.ts, and what they add to a refusal here.
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { awsErrorCode } from "../aws/error-code.js";
import { awsErrorMeaning } from "../aws/error-codes.js";
import { describeAwsError } from "../aws/explain.js";
import type { Config } from "../config/types.js";
import { LargeMessagePolicy } from "../large-messages/policy.js";
import {
  type DeduplicationFacts,
  deduplicationFacts,
  type Finding,
  numberAttribute,
  oversizeFix,
  queueFindings,
  type QueueSample,
} from "./queue-findings.js";

export interface QueueInspection {
  queue_url: string;
  /** The queue's attributes as GetQueueAttributes answered; absent when they could not be read. */
  attributes?: Record<string, string>;
  deduplication?: DeduplicationFacts;
  findings: Finding[];
}

/** Reads the queue's attributes and words what they mean for `sample`; a refusal becomes a finding, never an error. */
export async function inspectQueue(sqs: SQSClient, queueUrl: string, sample: QueueSample, config: Config): Promise<QueueInspection> {
  let attributes: Record<string, string>;
  try {
    const answer = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["All"] }));
    attributes = answer.Attributes ?? {};
  } catch (error) {
    return { queue_url: queueUrl, findings: [{ topic: "attributes", level: "warning", text: unreadable(error, config) }] };
  }
  const deduplication = attributes.FifoQueue === "true" ? deduplicationFacts(attributes, config) : undefined;
  return {
    queue_url: queueUrl,
    attributes,
    ...(deduplication ? { deduplication } : {}),
    findings: queueFindings(attributes, sample, config, deduplication),
  };
}

/** The queue's MaximumMessageSize, when its attributes were read. */
export function maximumMessageSize(inspection: QueueInspection | undefined): number | undefined {
  return numberAttribute(inspection?.attributes, "MaximumMessageSize");
}

/** The queue's DelaySeconds, when its attributes were read. */
export function queueDelaySeconds(inspection: QueueInspection | undefined): number | undefined {
  return numberAttribute(inspection?.attributes, "DelaySeconds");
}

const SEEN_WITH_GET_QUEUE_ATTRIBUTES =
  "its type, deduplication, MaximumMessageSize, encryption (KMS key), DelaySeconds, FIFO throughput mode and redrive policy";

function unreadable(error: unknown, config: Config): string {
  const code = awsErrorCode(error);
  const meaning = awsErrorMeaning(code);
  if (meaning === "access_denied") {
    return (
      `Could not read the queue's attributes (${code}): the credentials may not call sqs:GetQueueAttributes on it, so ` +
      `${SEEN_WITH_GET_QUEUE_ATTRIBUTES} could not be checked; grant sqs:GetQueueAttributes to see them. The rows are sent all the same.`
    );
  }
  if (meaning === "missing_queue") {
    return `The queue does not exist (${code}): create it, or correct the queue setting; SQS will refuse its rows.`;
  }
  const why = describeAwsError(error, { permission: "sqs:GetQueueAttributes", config });
  return `Could not read the queue's attributes: ${why}; ${SEEN_WITH_GET_QUEUE_ATTRIBUTES} could not be checked. The rows are sent all the same.`;
}

/**
 * SQS's refusal (`code`, and the connector's `explanation` of it) of a message of `bytes`, with what
 * the queue's settings add: the MaximumMessageSize it is over, or the KMS key it was refused by.
 */
export function refusalInContext(
  refusal: { code: string; explanation: string },
  bytes: number,
  inspection: QueueInspection | undefined,
  config: Config,
): string {
  const maximum = maximumMessageSize(inspection);
  if (maximum !== undefined && bytes > maximum) {
    return `The message is ${bytes} bytes (body and attributes), over the queue's MaximumMessageSize of ${maximum} bytes. ${oversizeFix(maximum, LargeMessagePolicy.of(config))}.`;
  }
  const key = inspection?.attributes?.KmsMasterKeyId;
  if (key && /^kms/i.test(refusal.code)) return `${refusal.explanation} The queue's KMS key is ${key}.`;
  return refusal.explanation;
}
