// What differs between standard and FIFO queues, in one place: the settings each queue type
// requires or forbids, and how a queue's name shows its type. Config loading, composing, check and
// preview all apply these rules.
import type { Config, QueueType } from "./config/types.js";

/** SQS requires a FIFO queue's name to end in .fifo, and a standard queue's not to. */
export function isFifoQueueName(name: string): boolean {
  return name.endsWith(".fifo");
}

/** The settings `queue_type` requires or forbids that are wrong, each as a sentence naming the setting and the fix. */
export function queueTypeSettingIssues(
  config: Pick<Config, "queue_type" | "message_group_id" | "message_deduplication_id" | "delay_seconds">,
): string[] {
  const fifo = config.queue_type === "fifo";
  const issues: string[] = [];
  if (fifo && config.message_group_id === undefined) {
    issues.push(
      "message_group_id is required when queue_type is fifo: FIFO queues need a message group id for every message; set message_group_id (for example a static value)",
    );
  }
  if (fifo && config.delay_seconds !== undefined) {
    issues.push(
      "delay_seconds is only allowed with queue_type standard: FIFO queues take a delay per queue, not per message; remove delay_seconds or set a delay on the queue itself",
    );
  }
  if (!fifo && config.message_deduplication_id !== undefined) {
    issues.push("message_deduplication_id is only allowed with queue_type fifo; remove it or set queue_type to fifo");
  }
  return issues;
}

/** Why a queue named `queueName` cannot take `queueType`'s messages, as a phrase that follows "which", or undefined when it can. */
export function queueNameTypeProblem(queueName: string, queueType: QueueType): string | undefined {
  if (isFifoQueueName(queueName) === (queueType === "fifo")) return undefined;
  return queueType === "fifo"
    ? 'names a standard queue, but queue_type is "fifo" (FIFO queue names end in .fifo)'
    : 'names a FIFO queue (its name ends in .fifo), but queue_type is "standard"';
}

/** Why a queue cannot take `queueType`'s messages (a sentence without its period), or undefined when it can. */
export function queueTypeMismatch(queueName: string, queueType: QueueType): string | undefined {
  if (queueType === "standard" && isFifoQueueName(queueName)) {
    return (
      `queue_type is "standard" but queue "${queueName}" is a FIFO queue (its name ends in .fifo): ` +
      `set queue_type to "fifo" and configure message_group_id, or use a standard queue`
    );
  }
  if (queueType === "fifo" && !isFifoQueueName(queueName)) {
    return (
      `queue_type is "fifo" but queue "${queueName}" is a standard queue (FIFO queue names end in .fifo): ` +
      `set queue_type to "standard", or use a FIFO queue`
    );
  }
  return undefined;
}
