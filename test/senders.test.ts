import assert from "node:assert/strict";
import { test } from "node:test";
import { createAwsClients } from "../src/aws/clients.js";
import { HttpBatchSender } from "../src/delivery/http-sender.js";
import { SdkBatchSender } from "../src/delivery/sdk-sender.js";
import { createBatchSender } from "../src/delivery/senders.js";
import { testConfig } from "./helpers/config.js";

test("the API call log observes the lean sender that production uses, not a different one", () => {
  for (const log_api_calls of [false, true]) {
    const config = testConfig({ log_api_calls });
    const { sqs } = createAwsClients(config);
    assert.ok(createBatchSender(config, sqs, {}) instanceof HttpBatchSender, `log_api_calls: ${log_api_calls}`);
    sqs.destroy();
  }
});

test("DESTINATION_SQS_SENDER=sdk sends through the SDK client", () => {
  const config = testConfig();
  const { sqs } = createAwsClients(config);
  assert.ok(createBatchSender(config, sqs, { DESTINATION_SQS_SENDER: "sdk" }) instanceof SdkBatchSender);
  sqs.destroy();
});
