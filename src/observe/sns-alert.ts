import { createHash } from "node:crypto";
import { PublishCommand, type PublishCommandInput } from "@aws-sdk/client-sns";
import type { AwsClients } from "../aws/clients.js";
import { describeSnsFailure, parseTopicArn, type SnsTopic } from "../aws/sns-topic.js";
import type { Config } from "../config/types.js";
import { alertTitle, CONNECTOR, truncate, type AlertDelivery, type AlertEvent } from "./alerts.js";

// Exported only for test/sns-alerts.test.ts.
/** SNS takes email subjects of fewer than 100 characters, ASCII without control characters. */
export const SUBJECT_MAX = 99;
// Exported only for test/sns-alerts.test.ts.
/** One SMS holds 140 ASCII characters: the first line of the message says what happened on its own. */
export const HEADLINE_MAX = 140;
// Exported only for test/sns-alerts.test.ts.
/** The longest message SNS sends as SMS (in several parts); emails get the same text. */
export const MESSAGE_MAX = 1600;
const REJECTIONS_SHOWN = 5;
const REASON_MAX = 240;
const FAILURE_MAX = 600;
const CUT = "...";

// Exported only for test/sns-alerts.test.ts.
/** The Publish request for `event`: a subject for email, a plain-text message, and attributes to filter on. */
export function snsPublishInput(topic: SnsTopic, event: AlertEvent): PublishCommandInput {
  return {
    TopicArn: topic.arn,
    Subject: truncate(printableAscii(`${alertTitle(event)} (${event.queue})`), SUBJECT_MAX, CUT),
    Message: alertText(event),
    // Subscribers filter on these with SNS filter policies, e.g. {"severity": ["error"]} for SMS.
    MessageAttributes: {
      event: { DataType: "String", StringValue: event.event },
      severity: { DataType: "String", StringValue: event.severity },
    },
    ...(topic.fifo ? { MessageGroupId: CONNECTOR, MessageDeduplicationId: deduplicationId(event) } : {}),
  };
}

/** The delivery of `event` to the configured SNS topic, if there is one. */
export function snsDelivery(config: Config, event: AlertEvent, sns: AwsClients["sns"]): AlertDelivery | undefined {
  const topicArn = config.alerts?.sns_topic_arn;
  if (topicArn === undefined) return undefined;
  const topic = parseTopicArn(topicArn);
  return {
    service: "Amazon SNS",
    setting: "alerts.sns_topic_arn",
    async send(signal) {
      const client = sns(topic.region, config.alerts?.sns_endpoint);
      try {
        await client.send(new PublishCommand(snsPublishInput(topic, event)), { abortSignal: signal });
        return undefined;
      } catch (error) {
        return describeSnsFailure(error, topic, "sns:Publish", config);
      } finally {
        client.destroy();
      }
    },
  };
}

/**
 * The message: an SMS-length first line, then the details an on-call reader needs (the failure,
 * the queue, the counts, the first rejected rows), at most MESSAGE_MAX characters in all.
 */
function alertText(event: AlertEvent): string {
  const { sync } = event;
  const { totals } = sync;
  const lines = [truncate(event.headline.replace(/\s+/g, " "), HEADLINE_MAX, CUT), ""];
  if (sync.failure) lines.push(truncate(sync.failure.message, FAILURE_MAX, CUT), "");
  lines.push(
    `Destination: ${event.queue}`,
    `Outcome: ${sync.status}` + (sync.failure ? ` (${sync.failure.failure_type})` : ""),
    `Rows: ${totals.records_read} read, ${totals.published} published, ${totals.rejected} rejected, ` +
      `${totals.unchanged} unchanged, ${totals.skipped_by_events_filter} skipped by the events filter`,
    `Started: ${sync.started_at}, ran ${sync.duration_seconds} s`,
  );
  const rejections = sync.streams
    .flatMap((stream) => stream.rejections.map(({ reason }) => ({ stream: stream.stream, reason })))
    .slice(0, REJECTIONS_SHOWN);
  if (rejections.length > 0) {
    lines.push("", `First rejected rows (of ${totals.rejected}):`);
    for (const { stream, reason } of rejections) lines.push(`- ${stream}: ${truncate(reason, REASON_MAX, CUT)}`);
  }
  return truncate(lines.join("\n"), MESSAGE_MAX, CUT);
}

/** Control and non-ASCII characters become "?": SNS rewrites subjects that hold them. */
function printableAscii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?");
}

/** The same alert of the same sync is published once, should it be published twice. */
function deduplicationId(event: AlertEvent): string {
  return createHash("sha256").update(`${event.event}\n${event.queue}\n${event.sync.started_at}`).digest("hex");
}
