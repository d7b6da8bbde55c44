import { GetTopicAttributesCommand } from "@aws-sdk/client-sns";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import type { Config } from "./config/types.js";
import { createAwsClients, type AwsClients } from "./aws/clients.js";
import { explainAwsError } from "./aws/explain.js";
import { findQueueUrl, isQueueUrl, QueueNotFoundError, queueNameFromUrl, queueTypeMismatch } from "./aws/queues.js";
import { describeSnsFailure, parseTopicArn } from "./aws/sns-topic.js";

export interface CheckResult {
  status: "SUCCEEDED" | "FAILED";
  message: string;
}

/** Short enough that a wrong endpoint fails the check within about ten seconds, role included. */
const CHECK_REQUEST_TIMEOUT_MS = 5000;

/** A queue the config names outright, which the check can look for. */
interface NamedQueue {
  setting: string;
  name: string;
}

/**
 * Proves the connector can work with `config`: the credentials (and assumed role) are accepted,
 * every queue the config names outright exists and matches `queue_type`, and the alerts' SNS
 * topic, if any, is there. Needs only sqs:ListQueues (plus sts:AssumeRole with a role, and
 * sns:GetTopicAttributes with an SNS topic).
 */
export async function runCheck(config: Config): Promise<CheckResult> {
  const queues = namedQueues(config);
  const mainQueue = queues.find((queue) => queue.setting === "queue");
  const mismatch = mainQueue && queueTypeMismatch(mainQueue.name, config.queue_type);
  if (mismatch) return { status: "FAILED", message: mismatch };

  const aws = createAwsClients(config, { requestTimeoutMs: CHECK_REQUEST_TIMEOUT_MS, stsMaxAttempts: 1 });
  const { sqs } = aws;
  try {
    if (queues.length === 0) await sqs.send(new ListQueuesCommand({ MaxResults: 1 }));
    const found: string[] = [];
    for (const queue of queues) {
      if ((await findQueueUrl(sqs, queue.name)) === undefined) {
        return { status: "FAILED", message: new QueueNotFoundError(queue.name, config, queue.setting).message };
      }
      found.push(`queue "${queue.name}" (${queue.setting})`);
    }
    const topicProblem = await alertTopicProblem(config, aws);
    if (topicProblem !== undefined) return { status: "FAILED", message: topicProblem };
    if (config.alerts?.sns_topic_arn) found.push(`SNS topic ${config.alerts.sns_topic_arn} (alerts.sns_topic_arn)`);
    return { status: "SUCCEEDED", message: successMessage(config, found) };
  } catch (error) {
    return { status: "FAILED", message: explainAwsError(error, { permission: "sqs:ListQueues", config }) };
  } finally {
    sqs.destroy();
  }
}

/** Why the alerts' SNS topic cannot be used, or undefined when it is there (or none is configured). */
async function alertTopicProblem(config: Config, aws: AwsClients): Promise<string | undefined> {
  const topicArn = config.alerts?.sns_topic_arn;
  if (topicArn === undefined) return undefined;
  const topic = parseTopicArn(topicArn);
  const sns = aws.sns(topic.region, config.alerts?.sns_endpoint);
  try {
    await sns.send(new GetTopicAttributesCommand({ TopicArn: topic.arn }));
    return undefined;
  } catch (error) {
    const why = describeSnsFailure(error, topic, "sns:GetTopicAttributes", config);
    return `Could not use the alerts topic (alerts.sns_topic_arn): ${why}. Alerts also need sns:Publish on the topic.`;
  } finally {
    sns.destroy();
  }
}

function namedQueues(config: Config): NamedQueue[] {
  const queues: NamedQueue[] = [];
  if (config.queue.source === "static") queues.push({ setting: "queue", name: nameOf(config.queue.value) });
  if (config.rejected_rows.policy === "dead_letter") {
    queues.push({ setting: "rejected_rows.queue_url", name: nameOf(config.rejected_rows.queue_url) });
  }
  return queues;
}

/** Queues are compared by name: emulators and VPC endpoints rewrite the host of queue URLs. */
function nameOf(nameOrUrl: string): string {
  return isQueueUrl(nameOrUrl) ? queueNameFromUrl(nameOrUrl) : nameOrUrl;
}

function successMessage(config: Config, found: string[]): string {
  const where = `SQS in region ${config.region}` + (config.endpoint ? ` at ${config.endpoint}` : "");
  const who = config.role_arn ? ` as role ${config.role_arn}` : "";
  const perRow =
    config.queue.source === "static" ? "" : "; the queue is chosen per row, so each one is looked up when a sync first uses it";
  const queues = found.length > 0 ? ` and found ${found.join(" and ")}` : "";
  return `Connected to ${where}${who}${queues}${perRow}.`;
}
