// Alerts through Amazon SNS: the Publish request's bounds, why an SNS call failed, and (on moto, with
// IAM enforced) missing SNS permissions named in `check` and in the write's WARN. The end-to-end
// fan-out on fauxqs is in test/slow/sns-alerts-fauxqs.test.ts.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { runCheck } from "../src/commands/check.js";
import type { AlertEvent } from "../src/observe/alerts.js";
import { HEADLINE_MAX, MESSAGE_MAX, SUBJECT_MAX, snsPublishInput } from "../src/observe/sns-alert.js";
import { AssumeRoleError } from "../src/aws/credentials.js";
import { describeSnsFailure, parseTopicArn } from "../src/aws/sns-topic.js";
import type { SyncSummary } from "../src/observe/summary.js";
import { stateLine, statesOf } from "./helpers/airbyte.js";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { TEST_CREDENTIALS, TEST_REGION } from "./helpers/config.js";
import { emulatorConfig, uniqueQueueName, withMoto } from "./helpers/emulators.js";
import { badRow, catalog, logs } from "./helpers/sns-alerts.js";
import type { IamUser } from "./helpers/iam.js";

describe("the SNS Publish request", () => {
  const topic = parseTopicArn("arn:aws:sns:us-east-1:123456789012:sqs-sync-alerts");

  function event(overrides: Partial<AlertEvent> = {}, sync: Partial<SyncSummary> = {}): AlertEvent {
    return {
      event: "rejected_rows",
      severity: "warning",
      headline: "The destination-sqs sync to queue orders rejected 3 rows (alerts.rejected_rows_threshold is 1).",
      summary: "The destination-sqs sync to queue orders rejected 3 rows (alerts.rejected_rows_threshold is 1); the first: bad",
      queue: "queue orders",
      sync: {
        version: 1,
        status: "succeeded",
        started_at: "2026-12-01T00:00:00.000Z",
        duration_seconds: 1.5,
        messages_per_second: 10,
        totals: { records_read: 4, unchanged: 0, published: 1, rejected: 3, skipped_by_events_filter: 0, bytes_published: 10 },
        delivery: { requests_sent: 1, messages_sent: 1, entries_retried: 0, bytes_sent: 10 },
        streams: [],
        ...sync,
      },
      ...overrides,
    };
  }

  test("the region comes from the topic ARN", () => {
    assert.deepEqual(parseTopicArn("arn:aws-cn:sns:cn-north-1:123456789012:alerts.fifo"), {
      arn: "arn:aws-cn:sns:cn-north-1:123456789012:alerts.fifo",
      region: "cn-north-1",
      name: "alerts.fifo",
      fifo: true,
    });
    assert.equal(topic.region, "us-east-1");
    assert.equal(topic.fifo, false);
  });

  test("the subject is printable ASCII and shorter than 100 characters, whatever the queue is called", () => {
    const queue = `the queues of template "{{ row.région }}\n${"x".repeat(200)}"`;
    const input = snsPublishInput(topic, event({ queue }));
    assert.ok(input.Subject!.length <= SUBJECT_MAX, input.Subject);
    assert.match(input.Subject!, /^destination-sqs: rows rejected \(the queues of template "\{\{ row\.r\?gion \}\}\?x+\.\.\.$/);
  });

  test("the first line fits one SMS and the message is bounded, however long the failure and the reasons", () => {
    const reason = `Row rejected: ${"y".repeat(5000)}`;
    const streams = ["a", "b", "c"].map((stream) => ({
      stream,
      records_read: 5,
      unchanged: 0,
      published: 0,
      rejected: 5,
      skipped_by_events_filter: 0,
      bytes_published: 0,
      by_change: {},
      rejections: Array.from({ length: 5 }, (_, index) => ({ message_id: `${stream}-${index}`, reason })),
    }));
    const failure = `The sync stopped:\n${"z".repeat(3000)}`;
    const queue = `the queues of template "${"{{ row.queue }}".repeat(20)}"`;
    const input = snsPublishInput(
      topic,
      event(
        {
          event: "sync_failed",
          severity: "error",
          queue,
          headline: `The destination-sqs sync to ${queue} failed (config_error).`,
          summary: `The destination-sqs sync to ${queue} failed: ${failure}`,
        },
        { status: "failed", failure: { failure_type: "config_error", message: failure }, streams },
      ),
    );
    const message = input.Message!;
    assert.ok(message.length <= MESSAGE_MAX, `${message.length} characters`);
    const [headline, blank, failureLine] = message.split("\n");
    assert.ok(headline!.length <= HEADLINE_MAX);
    assert.match(headline!, /^The destination-sqs sync to the queues of template "(\{\{ row\.queue \}\})+\{*[^"]*\.\.\.$/);
    assert.equal(blank, "");
    assert.equal(failureLine, "The sync stopped:");
    assert.ok(message.includes("\nOutcome: failed (config_error)\n"), "the details survive a long failure");
    assert.ok(message.endsWith("..."));
  });

  test("the rejections shown are the first five, each reason cut short", () => {
    const streams = [
      {
        stream: "orders",
        records_read: 9,
        unchanged: 0,
        published: 2,
        rejected: 7,
        skipped_by_events_filter: 0,
        bytes_published: 0,
        by_change: {},
        rejections: Array.from({ length: 7 }, (_, index) => ({ message_id: `m${index}`, reason: `reason ${index} ${"r".repeat(300)}` })),
      },
    ];
    const message = snsPublishInput(topic, event({}, { streams })).Message!;
    const shown = message.split("\n").filter((line) => line.startsWith("- orders: "));
    assert.deepEqual(
      shown.map((line) => line.slice(0, "- orders: reason 0".length)),
      [0, 1, 2, 3, 4].map((index) => `- orders: reason ${index}`),
    );
    for (const line of shown) assert.ok(line.length <= "- orders: ".length + 240 && line.endsWith("..."), line);
  });

  test("the first line is the headline; attributes carry the event and the severity", () => {
    const input = snsPublishInput(topic, event());
    const lines = input.Message!.split("\n");
    assert.equal(lines[0], event().headline);
    assert.equal(lines[1], "");
    assert.equal(lines[2], "Destination: queue orders");
    assert.deepEqual(input.MessageAttributes, {
      event: { DataType: "String", StringValue: "rejected_rows" },
      severity: { DataType: "String", StringValue: "warning" },
    });
    assert.equal(input.MessageGroupId, undefined);
  });

  test("a FIFO topic gets a message group and a deduplication id that is the same for the same sync's alert", () => {
    const fifo = parseTopicArn("arn:aws:sns:us-east-1:123456789012:alerts.fifo");
    const first = snsPublishInput(fifo, event());
    assert.equal(first.MessageGroupId, "destination-sqs");
    assert.match(first.MessageDeduplicationId!, /^[0-9a-f]{64}$/);
    assert.equal(snsPublishInput(fifo, event()).MessageDeduplicationId, first.MessageDeduplicationId);
    const later = snsPublishInput(fifo, event({}, { started_at: "2026-12-01T01:00:00.000Z" }));
    assert.notEqual(later.MessageDeduplicationId, first.MessageDeduplicationId);
  });
});

describe("why an SNS call failed", () => {
  const topic = parseTopicArn("arn:aws:sns:eu-west-1:123456789012:sqs-sync-alerts");
  const config = emulatorConfig({ endpoint: "http://127.0.0.1:4566" }, { alerts: { sns_topic_arn: topic.arn } });
  const failure = (name: string, fields: Record<string, unknown> = {}) => Object.assign(new Error(`${name} happened`), { name, ...fields });

  test("SNS's access denied names the permission to grant", () => {
    assert.equal(
      describeSnsFailure(failure("AuthorizationErrorException"), topic, "sns:Publish", config),
      "the credentials are valid but not allowed to call sns:Publish (AuthorizationErrorException): grant sns:Publish to them in IAM",
    );
  });

  test("an unreachable SNS is named by the topic's region, or by sns_endpoint", () => {
    const refused = failure("Error", { code: "ECONNREFUSED" });
    assert.match(
      describeSnsFailure(refused, topic, "sns:Publish", config),
      /^could not reach https:\/\/sns\.eu-west-1\.amazonaws\.com \(ECONNREFUSED\)/,
    );
    const viaEndpoint = { ...config, alerts: { sns_topic_arn: topic.arn, sns_endpoint: "http://127.0.0.1:4575" } };
    assert.match(
      describeSnsFailure(refused, topic, "sns:Publish", viaEndpoint),
      /^could not reach http:\/\/127\.0\.0\.1:4575 \(ECONNREFUSED\)/,
    );
  });

  test("a role that cannot be assumed is explained with the connector's STS endpoint", () => {
    const error = new AssumeRoleError("arn:aws:iam::123456789012:role/alerts", false, failure("Error", { code: "ECONNREFUSED" }));
    assert.match(
      describeSnsFailure(error, topic, "sns:Publish", config),
      /^Could not assume role arn:aws:iam::123456789012:role\/alerts: could not reach http:\/\/127\.0\.0\.1:4566 \(ECONNREFUSED\)/,
    );
  });
});

withMoto("SNS alert permissions with IAM enforced", (context) => {
  let queueName: string;
  let topicArn: string;
  let checker: IamUser;
  let sqsOnly: IamUser;

  before(async () => {
    const moto = context.emulator;
    queueName = uniqueQueueName("orders");
    await moto.createQueue(queueName);
    const sns = new SNSClient({ region: TEST_REGION, endpoint: moto.endpoint, credentials: TEST_CREDENTIALS });
    try {
      topicArn = (await sns.send(new CreateTopicCommand({ Name: uniqueQueueName("alerts") }))).TopicArn!;
    } finally {
      sns.destroy();
    }
    checker = await moto.createUser("sns-checker", ["sqs:ListQueues", "sns:GetTopicAttributes"]);
    sqsOnly = await moto.createUser("sqs-only", ["sqs:ListQueues"]);
    await moto.enforceAuth();
  });

  function settings(user: IamUser): Record<string, unknown> {
    return {
      credentials: { auth_type: "access_key", access_key_id: user.accessKeyId, secret_access_key: user.secretAccessKey },
      queue: { source: "static", value: queueName },
      rejected_rows: { policy: "skip" },
      message_attributes: [{ name: "amount", data_type: "Number", value: { source: "column", column: "amount" } }],
      alerts: { sns_topic_arn: topicArn, sns_endpoint: context.emulator.endpoint },
    };
  }

  test("check names sns:GetTopicAttributes when the credentials may not read the topic", async () => {
    const denied = await runCheck(emulatorConfig(context.emulator, settings(sqsOnly)));
    assert.equal(denied.status, "FAILED");
    assert.match(
      denied.message,
      /^Could not use the alerts topic \(alerts\.sns_topic_arn\): the credentials are valid but not allowed to call sns:GetTopicAttributes \(\w+\): grant sns:GetTopicAttributes to them in IAM\. Alerts also need sns:Publish on the topic\.$/,
    );
    const allowed = await runCheck(emulatorConfig(context.emulator, settings(checker)));
    assert.equal(allowed.status, "SUCCEEDED", allowed.message);
  });

  test("a write whose credentials may not publish logs a WARN naming sns:Publish, and succeeds", async () => {
    const file = writeTempJson(emulatorConfig(context.emulator, settings(checker)));
    // Only a rejected row: nothing to send to SQS, whose permission names moto reads its own way.
    const result = await runCli(["write", "--config", file, "--catalog", catalog], {
      stdin: [badRow(1), stateLine({ at: 1 })].join("\n") + "\n",
    });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(statesOf(result.messages).length, 1);
    const warnings = logs(result.messages, "WARN").filter((text) => text.startsWith("Could not send"));
    assert.equal(warnings.length, 1, result.stdout);
    assert.match(
      warnings[0]!,
      /^Could not send the rejected_rows alert to Amazon SNS \(the credentials are valid but not allowed to call sns:Publish \(\w+\): grant sns:Publish to them in IAM\); the sync's outcome is not affected\./,
    );
  });
});
