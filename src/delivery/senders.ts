import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Config } from "../config/types.js";
import { HttpBatchSender } from "./http-sender.js";
import { SdkBatchSender } from "./sdk-sender.js";
import type { BatchSender } from "./types.js";

/**
 * The lean HTTP sender, whatever else is configured: the API call log observes the sender that
 * production uses. DESTINATION_SQS_SENDER=sdk sends through the SDK client instead (a comparison
 * for the benchmark and for debugging the lean path itself).
 */
export function createBatchSender(config: Config, sqs: SQSClient, env: NodeJS.ProcessEnv): BatchSender {
  if (env.DESTINATION_SQS_SENDER === "sdk") return new SdkBatchSender(sqs);
  return new HttpBatchSender(sqs, {
    region: config.region,
    endpoint: config.endpoint,
    maxSockets: Math.max(50, config.max_in_flight),
  });
}
