import { GetTopicAttributesCommand } from "@aws-sdk/client-sns";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import type { Config } from "../config/types.js";
import { createAwsClients, type AwsClients } from "../aws/clients.js";
import { queueUrlCheck } from "../aws/queue-hosts.js";
import { explainAwsError } from "../aws/explain.js";
import { checkSnapshotStore } from "../changes/snapshot/store-check.js";
import { findQueueUrl, isQueueUrl, QueueNotFoundError, queueNameFromUrl } from "../aws/queues.js";
import { probeBucket, type ProbeResult } from "../large-messages/bucket-probe.js";
import { LargeMessagePolicy } from "../large-messages/policy.js";
import { describeSnsFailure, parseTopicArn } from "../aws/sns-topic.js";
import { queueTypeMismatch } from "../queue-type.js";

interface CheckResult {
  status: "SUCCEEDED" | "FAILED";
  message: string;
}

/** Short enough that a wrong endpoint fails the check within about ten seconds, role included. */
const CHECK_REQUEST_TIMEOUT_MS = 5000;

/** A queue the config names outright, which the check can look for. */
interface NamedQueue {
  setting: string;
  name: string;
  /** The setting's value when it is a URL. */
  url?: string;
}

/**
 * Proves the connector can work with `config`: the credentials (and assumed role) are accepted,
 * every queue the config names outright exists and matches `queue_type`, the snapshot store
 * works, the alerts' SNS topic, if any, is there, and, with large_messages "s3", a probe object can
 * be stored in the bucket. Needs only sqs:ListQueues (plus sts:AssumeRole with a role, and the S3
 * and SNS permissions of the features configured).
 */
export async function runCheck(config: Config): Promise<CheckResult> {
  const queues = namedQueues(config);
  const mainQueue = queues.find((queue) => queue.setting === "queue");
  const mismatch = mainQueue && queueTypeMismatch(mainQueue.name, config.queue_type);
  if (mismatch) return { status: "FAILED", message: `${mismatch}.` };

  const clients = createAwsClients(config, { requestTimeoutMs: CHECK_REQUEST_TIMEOUT_MS, retryMaxMs: 0 });
  const { sqs } = clients;
  const checkUrl = queueUrlCheck(config, sqs.config.endpointProvider);
  for (const queue of queues) {
    const problem = queue.url === undefined ? undefined : checkUrl(queue.url);
    if (problem !== undefined) {
      sqs.destroy();
      return { status: "FAILED", message: `${queue.setting} ${JSON.stringify(queue.url)} ${problem}.` };
    }
  }
  try {
    if (queues.length === 0) await sqs.send(new ListQueuesCommand({ MaxResults: 1 }));
    const found: string[] = [];
    for (const queue of queues) {
      if ((await findQueueUrl(sqs, queue.name)) === undefined) {
        return { status: "FAILED", message: new QueueNotFoundError(queue.name, config, queue.setting).message };
      }
      found.push(`queue "${queue.name}" (${queue.setting})`);
    }
    const store = await checkSnapshotStore(config, clients.s3);
    if (store?.ok === false) return { status: "FAILED", message: store.message };
    if (store?.ok) found.push(store.description);
    const topicProblem = await alertTopicProblem(config, clients);
    if (topicProblem !== undefined) return { status: "FAILED", message: topicProblem };
    if (config.alerts?.sns_topic_arn) found.push(`SNS topic ${config.alerts.sns_topic_arn} (alerts.sns_topic_arn)`);
    const payloads = await probePayloadBucket(config, clients);
    if (payloads?.ok === false) return { status: "FAILED", message: payloads.message };
    const message = successMessage(config, found);
    return { status: "SUCCEEDED", message: payloads ? `${message.replace(/\.$/, "")}; ${payloads.note}.` : message };
  } catch (error) {
    return { status: "FAILED", message: explainAwsError(error, { permission: "sqs:ListQueues", config }) };
  } finally {
    sqs.destroy();
  }
}

/** With large_messages "s3": whether a probe object can be stored in the bucket. */
async function probePayloadBucket(config: Config, clients: AwsClients): Promise<ProbeResult | undefined> {
  const bucket = LargeMessagePolicy.of(config).s3;
  if (!bucket) return undefined;
  const s3 = clients.s3(bucket);
  try {
    return await probeBucket(s3, bucket.bucket, bucket.prefix, config);
  } finally {
    s3.destroy();
  }
}

/** Why the alerts' SNS topic cannot be used, or undefined when it is there (or none is configured). */
async function alertTopicProblem(config: Config, clients: AwsClients): Promise<string | undefined> {
  const topicArn = config.alerts?.sns_topic_arn;
  if (topicArn === undefined) return undefined;
  const topic = parseTopicArn(topicArn);
  const sns = clients.sns(topic.region, config.alerts?.sns_endpoint);
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
  if (config.queue.source === "static") queues.push(namedQueue("queue", config.queue.value));
  if (config.rejected_rows.policy === "dead_letter") {
    queues.push(namedQueue("rejected_rows.queue_url", config.rejected_rows.queue_url));
  }
  return queues;
}

/** Queues are looked up by name: emulators and VPC endpoints rewrite the host of queue URLs. */
function namedQueue(setting: string, nameOrUrl: string): NamedQueue {
  if (!isQueueUrl(nameOrUrl)) return { setting, name: nameOrUrl };
  return { setting, name: queueNameFromUrl(nameOrUrl), url: nameOrUrl };
}

function successMessage(config: Config, found: string[]): string {
  const where = `SQS in region ${config.region}` + (config.endpoint ? ` at ${config.endpoint}` : "");
  const who = config.role_arn ? ` as role ${config.role_arn}` : "";
  const perRow =
    config.queue.source === "static" ? "" : "; the queue is chosen per row, so each one is looked up when a sync first uses it";
  const queues = found.length > 0 ? ` and found ${found.join(" and ")}` : "";
  return `Connected to ${where}${who}${queues}${perRow}.`;
}
