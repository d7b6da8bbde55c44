import { GetTopicAttributesCommand } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { loadConfig } from "../config/load.js";
import { assertSyncCanStart } from "./sync-start.js";
import type { Config } from "../config/types.js";
import { UserFacingError } from "../errors.js";
import { createAwsClients, type AwsClients } from "../aws/clients.js";
import { configuredQueueUrlProblem, queueUrlCheck } from "../aws/queue-hosts.js";
import { awsErrorCode } from "../aws/error-code.js";
import { awsErrorMeaning } from "../aws/error-codes.js";
import { awsCallFailure, explainAwsError } from "../aws/explain.js";
import { checkSnapshotStore } from "../changes/snapshot/store-check.js";
import { findQueueUrl, isQueueUrl, QueueNotFoundError, queueNameFromUrl } from "../aws/queues.js";
import { probeS3Place, type ProbeResult } from "../aws/s3-probe.js";
import { resultsPlace } from "../results/place.js";
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
 * The `check` command: loads the config file (`onLoaded` sees it first, e.g. to redact its secrets)
 * and checks it. Every configuration error a sync would stop with before reading a row is a FAILED
 * result with the sync's message.
 */
export async function checkConfigFile(path: string, onLoaded: (config: Config) => void = () => undefined): Promise<CheckResult> {
  try {
    const config = loadConfig(path);
    onLoaded(config);
    return await runCheck(config);
  } catch (error) {
    if (!(error instanceof UserFacingError)) throw error;
    return { status: "FAILED", message: error.message };
  }
}

/**
 * Proves the connector can work with `config`: every setting compiles as a sync compiles it, the
 * credentials (and assumed role) are accepted, every queue the config names outright exists and
 * matches `queue_type`, the snapshot store works, the alerts' SNS topic, if any, is there, and, with
 * large_messages "s3" or object_storage_config "S3", a probe object can be stored in each bucket. Needs sqs:ListQueues for queues given by name (and to prove the
 * credentials when no queue is named), sqs:GetQueueAttributes to confirm queues given by URL, plus
 * sts:AssumeRole with a role, and the S3 and SNS permissions of the features configured.
 */
export async function runCheck(config: Config): Promise<CheckResult> {
  const queues = namedQueues(config);
  const mainQueue = queues.find((queue) => queue.setting === "queue");
  const mismatch = mainQueue && queueTypeMismatch(mainQueue.name, config.queue_type);
  if (mismatch) return { status: "FAILED", message: `${mismatch}.` };
  const startProblem = syncStartProblem(config);
  if (startProblem !== undefined) return { status: "FAILED", message: startProblem };

  const clients = createAwsClients(config, { requestTimeoutMs: CHECK_REQUEST_TIMEOUT_MS, retryMaxMs: 0 });
  const { sqs } = clients;
  const urlProblem = configuredQueueUrlProblem(config, queueUrlCheck(config, sqs.config.endpointProvider));
  if (urlProblem !== undefined) {
    sqs.destroy();
    return { status: "FAILED", message: urlProblem };
  }
  try {
    if (queues.length === 0) await sqs.send(new ListQueuesCommand({ MaxResults: 1 }));
    const found: string[] = [];
    const unconfirmed: string[] = [];
    for (const queue of queues) {
      const lookup = await lookForQueue(sqs, queue, config);
      if (lookup === "missing") return { status: "FAILED", message: missingQueueMessage(queue, config) };
      (lookup === "found" ? found : unconfirmed).push(`queue "${queue.name}" (${queue.setting})`);
    }
    const store = await checkSnapshotStore(config, clients.s3);
    if (store?.ok === false) return { status: "FAILED", message: store.message };
    if (store?.ok) found.push(store.description);
    const topicProblem = await alertTopicProblem(config, clients);
    if (topicProblem !== undefined) return { status: "FAILED", message: topicProblem };
    if (config.alerts?.sns_topic_arn) found.push(`SNS topic ${config.alerts.sns_topic_arn} (alerts.sns_topic_arn)`);
    const probes: ProbeResult[] = [];
    for (const probe of [probePayloadBucket, probeResultsBucket]) {
      const result = await probe(config, clients);
      if (result?.ok === false) return { status: "FAILED", message: result.message };
      if (result) probes.push(result);
    }
    const message = successMessage(config, found, unconfirmed);
    const notes = probes.map((probe) => (probe.ok ? `; ${probe.note}` : ""));
    return { status: "SUCCEEDED", message: notes.length > 0 ? `${message.replace(/\.$/, "")}${notes.join("")}.` : message };
  } catch (error) {
    const message = error instanceof UserFacingError ? error.message : explainAwsError(error, { permission: "sqs:ListQueues", config });
    return { status: "FAILED", message };
  } finally {
    sqs.destroy();
  }
}

/**
 * Whether the queue is there. A bare name is looked up with ListQueues, as a sync looks it up; a
 * URL is asked for its attributes, since a sync sends to it without ListQueues: credentials that
 * may send but not call GetQueueAttributes leave it unconfirmed rather than failing the check.
 */
async function lookForQueue(sqs: SQSClient, queue: NamedQueue, config: Config): Promise<"found" | "missing" | "unconfirmed"> {
  if (queue.url === undefined) return (await findQueueUrl(sqs, queue.name)) === undefined ? "missing" : "found";
  try {
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["QueueArn"] }));
    return "found";
  } catch (error) {
    const meaning = awsErrorMeaning(awsErrorCode(error));
    if (meaning === "missing_queue") return "missing";
    if (meaning === "access_denied") return "unconfirmed";
    throw awsCallFailure(error, { permission: "sqs:GetQueueAttributes", config });
  }
}

function missingQueueMessage(queue: NamedQueue, config: Config): string {
  if (queue.url === undefined) return new QueueNotFoundError(queue.name, config, queue.setting).message;
  const where = `region ${config.region}` + (config.endpoint ? ` at endpoint ${config.endpoint}` : "");
  return `Queue ${queue.url} (${queue.setting}) does not exist in ${where}: create the queue, or correct the URL in ${queue.setting}.`;
}

/** The message a sync would stop with at its start, before reading a row. */
function syncStartProblem(config: Config): string | undefined {
  try {
    assertSyncCanStart(config);
    return undefined;
  } catch (error) {
    if (error instanceof UserFacingError) return error.message;
    throw error;
  }
}

/** With large_messages "s3": whether a probe object can be stored in the bucket. */
async function probePayloadBucket(config: Config, clients: AwsClients): Promise<ProbeResult | undefined> {
  const bucket = LargeMessagePolicy.of(config).s3;
  if (!bucket) return undefined;
  const s3 = clients.s3(bucket);
  try {
    return await probeS3Place(s3, { setting: "large_messages", bucket: bucket.bucket, prefix: bucket.prefix }, config);
  } finally {
    s3.destroy();
  }
}

/** With object_storage_config "S3": whether a probe object can be stored where the sync results go. */
async function probeResultsBucket(config: Config, clients: AwsClients): Promise<ProbeResult | undefined> {
  const storage = config.object_storage_config;
  if (storage.storage_type !== "S3") return undefined;
  const s3 = clients.resultsS3(storage);
  try {
    return await probeS3Place(s3, resultsPlace(storage), config);
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

/** A queue setting's value: a bare name, or a URL and the name it ends in. */
function namedQueue(setting: string, nameOrUrl: string): NamedQueue {
  if (!isQueueUrl(nameOrUrl)) return { setting, name: nameOrUrl };
  return { setting, name: queueNameFromUrl(nameOrUrl), url: nameOrUrl };
}

function successMessage(config: Config, found: string[], unconfirmed: string[]): string {
  const where = `SQS in region ${config.region}` + (config.endpoint ? ` at ${config.endpoint}` : "");
  const who = config.role_arn ? ` as role ${config.role_arn}` : "";
  const perRow =
    config.queue.source === "static" ? "" : "; the queue is chosen per row, so each one is looked up when a sync first uses it";
  const queues = found.length > 0 ? ` and found ${found.join(" and ")}` : "";
  const unproven = unconfirmed.map(
    (queue) =>
      `; could not confirm that ${queue} exists: the credentials may not call sqs:GetQueueAttributes on it; ` +
      "a sync needs only sqs:SendMessage there, so the first sync will tell",
  );
  return `Connected to ${where}${who}${queues}${unproven.join("")}${perRow}.`;
}
