import type { SQSClient } from "@aws-sdk/client-sqs";
import { isQueueUrl, listQueueUrls, queueNameFromUrl } from "../aws/queues.js";
import type { Config } from "../config/types.js";
import type { DestinationCatalog } from "../protocol/messages.js";
import { queueTypeMismatch } from "../queue-type.js";
import { rowFieldsRead, type RowField } from "./row-fields.js";

/**
 * The queues this configuration can write to, one operation each: the static queue when one is
 * configured, else every queue of the configured type the credentials can list. Each operation's
 * schema names the row fields the configuration reads and allows any others, so the platform's
 * field mapping shows what a message needs and lets users map more.
 */
export async function discoverCatalog(config: Config, sqs: SQSClient): Promise<DestinationCatalog> {
  const schema = operationSchema(rowFieldsRead(config));
  const names = await queueNames(config, sqs);
  return { operations: names.map((name) => ({ object_name: name, sync_mode: "append", json_schema: schema })) };
}

async function queueNames(config: Config, sqs: SQSClient): Promise<string[]> {
  if (config.queue.source === "static") {
    const { value } = config.queue;
    return [isQueueUrl(value) ? queueNameFromUrl(value) : value];
  }
  const names = (await listQueueUrls(sqs)).map(queueNameFromUrl);
  return [...new Set(names)].filter((name) => queueTypeMismatch(name, config.queue_type) === undefined).sort();
}

function operationSchema(fields: RowField[]): Record<string, unknown> {
  const properties = Object.fromEntries(fields.map((field) => [field.name, { description: `Read by ${field.readBy.join(", ")}.` }]));
  return { type: "object", additionalProperties: true, properties };
}
