import type { Config } from "../config/types.js";
import { isFifoQueueName } from "../queue-type.js";
import { AssumeRoleError } from "./credentials.js";
import { awsErrorCode } from "./error-code.js";
import { describeAwsError } from "./explain.js";

/** An SNS topic, from its ARN: arn:<partition>:sns:<region>:<account id>:<name>. */
export interface SnsTopic {
  arn: string;
  region: string;
  name: string;
  /** FIFO topics take a message group and deduplication id with every Publish. */
  fifo: boolean;
}

/** The topic an ARN names; spec.json's pattern has already checked its shape. */
export function parseTopicArn(arn: string): SnsTopic {
  const [, , , region = "", , name = ""] = arn.split(":");
  return { arn, region, name, fifo: isFifoQueueName(name) };
}

/** Why an SNS call on `topic` failed, as a phrase naming the permission it needs and what to do. */
export function describeSnsFailure(
  error: unknown,
  topic: SnsTopic,
  permission: string,
  config: Pick<Config, "region" | "endpoint" | "credentials" | "alerts">,
): string {
  const code = awsErrorCode(error);
  if (code === "NotFoundException" || code === "NotFound") {
    return `topic ${topic.arn} does not exist (${code}): create it, or correct alerts.sns_topic_arn (its region is part of the ARN)`;
  }
  // A role that cannot be assumed is explained with the connector's own STS region and endpoint.
  if (error instanceof AssumeRoleError) return describeAwsError(error, { permission, config });
  const endpoint = config.alerts?.sns_endpoint;
  return describeAwsError(error, {
    permission,
    service: "sns",
    config: { region: topic.region, credentials: config.credentials, ...(endpoint ? { endpoint } : {}) },
  });
}
