import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import type { Config } from "./config/types.js";
import { createAwsClients } from "./aws/clients.js";
import { explainAwsError } from "./aws/explain.js";
import { findQueueUrl, isQueueUrl, QueueNotFoundError, queueNameFromUrl } from "./aws/queues.js";
import { queueTypeMismatch } from "./queue-type.js";

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
 * and every queue the config names outright exists and matches `queue_type`. Needs only
 * sqs:ListQueues (plus sts:AssumeRole with a role).
 */
export async function runCheck(config: Config): Promise<CheckResult> {
  const queues = namedQueues(config);
  const mainQueue = queues.find((queue) => queue.setting === "queue");
  const mismatch = mainQueue && queueTypeMismatch(mainQueue.name, config.queue_type);
  if (mismatch) return { status: "FAILED", message: `${mismatch}.` };

  const { sqs } = createAwsClients(config, { requestTimeoutMs: CHECK_REQUEST_TIMEOUT_MS, stsMaxAttempts: 1 });
  try {
    if (queues.length === 0) await sqs.send(new ListQueuesCommand({ MaxResults: 1 }));
    const found: string[] = [];
    for (const queue of queues) {
      if ((await findQueueUrl(sqs, queue.name)) === undefined) {
        return { status: "FAILED", message: new QueueNotFoundError(queue.name, config, queue.setting).message };
      }
      found.push(`queue "${queue.name}" (${queue.setting})`);
    }
    return { status: "SUCCEEDED", message: successMessage(config, found) };
  } catch (error) {
    return { status: "FAILED", message: explainAwsError(error, { permission: "sqs:ListQueues", config }) };
  } finally {
    sqs.destroy();
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
