import { createHash } from "node:crypto";
import { queueNameFromUrl } from "../aws/queues.js";
import type { RejectedRows } from "../config/types.js";
import type { OutgoingMessage } from "../delivery/types.js";
import { UserFacingError } from "../errors.js";
import { isFifoQueueName } from "../queue-type.js";

interface RejectedRow {
  messageId: string;
  stream: string;
  namespace?: string | null | undefined;
  data: Record<string, unknown>;
  /** A full sentence: what is wrong with the row. */
  reason: string;
  ticket: number;
}

/** What the write pipeline does with a rejected row: count it as handled, or send it on. */
type RejectionOutcome = { kind: "skipped" } | { kind: "dead_letter"; message: OutgoingMessage };

/** Applies the `rejected_rows` policy. Throws a UserFacingError when the sync must stop. */
export class RejectionPolicy {
  private rejected = 0;

  constructor(
    private readonly policy: RejectedRows,
    private readonly maxMessageBytes: number,
  ) {}

  handle(row: RejectedRow): RejectionOutcome {
    this.rejected++;
    const where = `row ${row.messageId} of stream "${row.stream}"`;
    switch (this.policy.policy) {
      case "fail":
        throw new UserFacingError(
          `The sync stopped at a rejected ${where}: ${row.reason} Fix the row or the setting, or set rejected_rows.policy to "skip" or "dead_letter" to carry on past such rows.`,
        );
      case "skip": {
        const max = this.policy.max_rejected_rows;
        if (max !== undefined && this.rejected > max) {
          throw new UserFacingError(
            `The sync stopped: ${this.rejected} rows were rejected, more than rejected_rows.max_rejected_rows (${max}). The last was ${where}: ${row.reason}`,
          );
        }
        return { kind: "skipped" };
      }
      case "dead_letter":
        return { kind: "dead_letter", message: this.deadLetterMessage(row, this.policy.queue_url) };
    }
  }

  private deadLetterMessage(row: RejectedRow, queueUrl: string): OutgoingMessage {
    const envelope = { error: row.reason, message_id: row.messageId, stream: row.stream, namespace: row.namespace ?? null };
    let body = JSON.stringify({ ...envelope, record: row.data });
    if (Buffer.byteLength(body) > this.maxMessageBytes) {
      body = JSON.stringify({ ...envelope, record: null, record_omitted: "the record is larger than max_message_bytes" });
    }
    const message: OutgoingMessage = {
      queueUrl,
      messageId: row.messageId,
      body,
      bytes: Buffer.byteLength(body),
      ticket: row.ticket,
    };
    if (isFifoQueueName(queueNameFromUrl(queueUrl))) {
      message.groupId = "destination-sqs-rejected";
      message.dedupId = createHash("sha256").update(`${row.messageId}\n${row.reason}`).digest("hex").slice(0, 64);
    }
    return message;
  }
}
