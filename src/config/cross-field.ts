// Rules JSON Schema cannot express (Airbyte's spec rules forbid if/then/else).

import { queueNameFromUrl } from "../aws/queues.js";
import { checkAttribute, checkDelaySeconds, checkFifoId, checkQueueValue } from "../compose/sqs-rules.js";
import { DEFAULT_PAYLOAD_SIZE_ATTRIBUTE, pointerAttributeProblem, RESERVED_ATTRIBUTES } from "../large-messages/extended-client-format.js";
import { queueTypeMismatch, queueTypeSettingIssues } from "../queue-type.js";
import type { Alerts, ChangeDetection, Config, MessageAttributeSetting, ValueSource } from "./types.js";

/** What is wrong with a config that matches spec.json; empty when nothing is. */
export function crossFieldIssues(config: Config): string[] {
  return [
    ...queueTypeIssues(config),
    ...staticValueIssues(config),
    ...(config.external_id !== undefined && config.role_arn === undefined
      ? ["external_id is only used when assuming a role: set role_arn too, or remove external_id"]
      : []),
    ...attributeIssues(config.message_attributes),
    ...primaryKeyIssues(config.change_detection),
    ...(config.change_detection.mode === "snapshot" &&
    config.change_detection.store &&
    config.change_detection.state_directory !== undefined
      ? [
          'change_detection.state_directory is a deprecated alias of change_detection.store: set only store (for a directory, {"type": "local", "directory": …})',
        ]
      : []),
    ...alertIssues(config.alerts),
    ...largeMessageIssues(config),
    ...objectStorageIssues(config),
  ];
}

function queueTypeIssues(config: Config): string[] {
  const issues = queueTypeSettingIssues(config);
  if (config.queue.source === "static") {
    const mismatch = queueTypeMismatch(queueNameFromUrl(config.queue.value), config.queue_type);
    if (mismatch !== undefined) issues.push(mismatch);
  }
  return issues;
}

/**
 * A static value gets the rule every row's value gets (src/compose/sqs-rules.ts), so a value the
 * config accepts is one each row can send. A queue whose type is wrong is queueTypeIssues' to report.
 */
function staticValueIssues(config: Config): string[] {
  const queueType = config.queue_type;
  const rules: [string, ValueSource | undefined, (value: string) => string | undefined][] = [
    [
      "queue",
      config.queue,
      (value) => (queueTypeMismatch(queueNameFromUrl(value), queueType) ? undefined : checkQueueValue(value, queueType)),
    ],
    ["message_group_id", config.message_group_id, checkFifoId],
    ["message_deduplication_id", config.message_deduplication_id, checkFifoId],
    ["delay_seconds", config.delay_seconds, checkDelaySeconds],
    ...config.message_attributes.map((attribute, index): [string, ValueSource, (value: string) => string | undefined] => [
      `message_attributes[${index}].value`,
      attribute.value,
      (value) => checkAttribute(attribute.data_type, value),
    ]),
  ];
  return rules.flatMap(([setting, source, check]) => {
    if (source?.source !== "static") return [];
    const problem = check(source.value);
    // Like every config error, this names the field, not the value (which may be a secret).
    return problem === undefined ? [] : [`${setting}.value ${problem}`];
  });
}

/** Names are checked one by one by spec.json's pattern; their uniqueness needs the whole list. */
function attributeIssues(attributes: MessageAttributeSetting[]): string[] {
  const firstIndex = new Map<string, number>();
  return attributes.flatMap((attribute, index) => {
    const previous = firstIndex.get(attribute.name);
    if (previous !== undefined) {
      return [`message_attributes[${index}].name repeats message_attributes[${previous}].name: attribute names must be unique`];
    }
    firstIndex.set(attribute.name, index);
    return [];
  });
}

// spec.json cannot declare items for primary_key: Airbyte's UI rejects arrays of arrays.
function primaryKeyIssues(detection: ChangeDetection): string[] {
  if (detection.mode !== "snapshot" || detection.primary_key === undefined) return [];
  const keys: unknown[] = detection.primary_key;
  return keys.flatMap((path, index) =>
    Array.isArray(path) && path.length > 0 && path.every((segment) => typeof segment === "string" && segment !== "")
      ? []
      : [`change_detection.primary_key[${index}] must be a column path: a non-empty list of names like ["customer", "id"]`],
  );
}

function alertIssues(alerts: Alerts | undefined): string[] {
  if (alerts === undefined) return [];
  const destinations = [alerts.slack_webhook_url, alerts.pagerduty_routing_key, alerts.webhook_url, alerts.sns_topic_arn];
  return [
    ...(destinations.some((destination) => destination !== undefined)
      ? []
      : ["alerts needs at least one of slack_webhook_url, pagerduty_routing_key, webhook_url or sns_topic_arn"]),
    ...(alerts.sns_endpoint !== undefined && alerts.sns_topic_arn === undefined
      ? ["alerts.sns_endpoint is only used with alerts.sns_topic_arn: set sns_topic_arn too, or remove sns_endpoint"]
      : []),
  ];
}

function largeMessageIssues(config: Config): string[] {
  const settings = config.large_messages;
  if (settings.policy !== "s3") return [];
  const issues: string[] = [];
  if (settings.threshold_bytes !== undefined && settings.threshold_bytes > config.max_message_bytes) {
    issues.push(
      `large_messages.threshold_bytes (${settings.threshold_bytes}) is over max_message_bytes (${config.max_message_bytes}): ` +
        "messages between the two could neither be sent nor go through S3; lower threshold_bytes or leave it out",
    );
  }
  config.message_attributes.forEach((attribute, index) => {
    if (RESERVED_ATTRIBUTES.includes(attribute.name)) {
      issues.push(
        `message_attributes[${index}].name "${attribute.name}" is reserved when large_messages.policy is "s3": ` +
          "the SQS Extended Client format uses it to mark messages whose body is in S3; rename the attribute",
      );
    }
  });
  const pointerProblem =
    settings.always === true
      ? pointerAttributeProblem(config.message_attributes.length, settings.size_attribute ?? DEFAULT_PAYLOAD_SIZE_ATTRIBUTE)
      : undefined;
  if (pointerProblem !== undefined) {
    issues.push(
      `large_messages.always sends every message through S3, but ${config.message_attributes.length} message_attributes are set: ${pointerProblem}`,
    );
  }
  return issues;
}

function objectStorageIssues(config: Config): string[] {
  const storage = config.object_storage_config;
  if (storage.storage_type === "None") {
    return config.sync_results === "all"
      ? [
          'sync_results "all" writes every row\'s outcome to object_storage_config, whose storage_type is "None": set storage_type "S3" (with its bucket), or remove sync_results',
        ]
      : [];
  }
  return (storage.access_key_id === undefined) === (storage.secret_access_key === undefined)
    ? []
    : [
        "object_storage_config.access_key_id and object_storage_config.secret_access_key go together: set both, or neither to use the connector's credentials",
      ];
}
