// Alerts through Amazon SNS. End to end on fauxqs: the topic fans each alert out to two subscribed
// SQS queues, one with raw message delivery (body = the message, SNS message attributes = SQS
// message attributes) and one receiving SNS's JSON envelope (Subject, Message, MessageAttributes),
// as AWS delivers to SQS subscribers. Also: the Publish request's bounds, `check` of the topic, and
// (on moto, with IAM enforced) missing SNS permissions named in `check` and in the write's WARN.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { startFauxqs } from "fauxqs";
import { runCheck } from "../src/commands/check.js";
import type { AlertEvent } from "../src/observe/alerts.js";
import { HEADLINE_MAX, MESSAGE_MAX, SUBJECT_MAX, snsPublishInput } from "../src/observe/sns-alert.js";
import { AssumeRoleError } from "../src/aws/credentials.js";
import { describeSnsFailure, parseTopicArn } from "../src/aws/sns-topic.js";
import type { SyncSummary } from "../src/observe/summary.js";
import type { AirbyteMessage, LogLevel } from "../src/protocol/messages.js";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "./helpers/airbyte.js";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { TEST_CREDENTIALS, TEST_REGION } from "./helpers/config.js";
import { emulatorConfig, emulatorConfigFile, uniqueQueueName, withMoto } from "./helpers/emulators.js";
import type { IamUser } from "./helpers/iam.js";

const TOPIC_REGION = "eu-west-1";
const catalog = writeTempJson(catalogOf([{ name: "orders" }]));

function logs(messages: AirbyteMessage[], level: LogLevel): string[] {
  return messages.flatMap((message) => (message.type === "LOG" && message.log.level === level ? [message.log.message] : []));
}

/** A row the composer rejects: its Number attribute is not a number. */
function badRow(id: number, amount = "not a number"): string {
  return recordLine("orders", { id, amount });
}

function goodRow(id: number): string {
  return recordLine("orders", { id, amount: id * 10 });
}

/** What SNS puts in an SQS subscriber's message body without raw message delivery. */
interface SnsEnvelope {
  Type: string;
  TopicArn: string;
  Subject: string | null;
  Message: string;
  MessageAttributes: Record<string, { Type: string; Value: string }>;
}

interface Fanout {
  raw: { body: string; attributes: Record<string, { DataType: string; StringValue?: string }> }[];
  envelope: SnsEnvelope[];
}

describe("SNS alerts (fauxqs)", () => {
  let server: Awaited<ReturnType<typeof startFauxqs>>;
  before(async () => {
    server = await startFauxqs({ port: 0, logger: false });
  });
  after(async () => {
    await server.stop();
  });

  /** A topic in TOPIC_REGION with a raw and an envelope SQS subscriber; `read` returns what each received. */
  function subscribedTopic(): { arn: string; read(): Fanout } {
    const topic = uniqueQueueName("alerts-topic");
    const raw = uniqueQueueName("alerts-raw");
    const envelope = uniqueQueueName("alerts-envelope");
    const { topicArn } = server.createTopic(topic, { region: TOPIC_REGION });
    server.createQueue(raw, { region: TOPIC_REGION });
    server.createQueue(envelope, { region: TOPIC_REGION });
    server.subscribe({ topic, queue: raw, region: TOPIC_REGION, attributes: { RawMessageDelivery: "true" } });
    server.subscribe({ topic, queue: envelope, region: TOPIC_REGION });
    return {
      arn: topicArn,
      read: () => ({
        raw: (server.inspectQueue(raw)?.messages.ready ?? []).map((message) => ({
          body: message.body,
          attributes: message.messageAttributes,
        })),
        envelope: (server.inspectQueue(envelope)?.messages.ready ?? []).map((message) => JSON.parse(message.body) as SnsEnvelope),
      }),
    };
  }

  /** A config publishing to a new queue (Number attribute from column "amount") with SNS alerts to `topicArn`. */
  function configWith(
    topicArn: string,
    settings: Record<string, unknown> = {},
    alerts: Record<string, unknown> = {},
  ): { file: string; queue: string } {
    const queue = uniqueQueueName("orders");
    server.createQueue(queue);
    const file = emulatorConfigFile(server.address, {
      queue: { source: "static", value: queue },
      message_attributes: [{ name: "amount", data_type: "Number", value: { source: "column", column: "amount" } }],
      alerts: { sns_topic_arn: topicArn, sns_endpoint: server.address, ...alerts },
      ...settings,
    });
    return { file, queue };
  }

  test("rejected rows at the threshold publish one warning alert: subject, plain-text message and attributes", async () => {
    const secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY";
    const topic = subscribedTopic();
    const { file, queue } = configWith(
      topic.arn,
      {
        credentials: { auth_type: "access_key", access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: secretAccessKey },
        rejected_rows: { policy: "skip" },
      },
      { rejected_rows_threshold: 2 },
    );
    const result = await runCli(["write", "--config", file, "--catalog", catalog], {
      stdin: [goodRow(1), badRow(2), badRow(3, secretAccessKey), stateLine({ at: 3 })].join("\n") + "\n",
    });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(statesOf(result.messages).length, 1);
    assert.ok(logs(result.messages, "INFO").includes("Sent the rejected_rows alert to Amazon SNS."), result.stdout);

    const { raw, envelope } = topic.read();
    assert.equal(raw.length, 1, "one alert per sync");
    assert.equal(envelope.length, 1);
    const message = raw[0]!.body;
    assert.deepEqual(raw[0]!.attributes, {
      event: { DataType: "String", StringValue: "rejected_rows" },
      severity: { DataType: "String", StringValue: "warning" },
    });
    assert.equal(envelope[0]!.Type, "Notification");
    assert.equal(envelope[0]!.TopicArn, topic.arn);
    assert.equal(envelope[0]!.Subject, `destination-sqs: rows rejected (queue ${queue})`);
    assert.equal(envelope[0]!.Message, message);
    assert.deepEqual(envelope[0]!.MessageAttributes, {
      event: { Type: "String", Value: "rejected_rows" },
      severity: { Type: "String", Value: "warning" },
    });

    const lines = message.split("\n");
    assert.equal(lines[0], `The destination-sqs sync to queue ${queue} rejected 2 rows (alerts.rejected_rows_threshold is 2).`);
    assert.equal(lines[1], "");
    for (const expected of [
      `Destination: queue ${queue}`,
      "Outcome: succeeded",
      "Rows: 3 read, 1 published, 2 rejected, 0 unchanged, 0 skipped by the events filter",
      "First rejected rows (of 2):",
    ]) {
      assert.ok(lines.includes(expected), `"${expected}" in:\n${message}`);
    }
    assert.equal(lines.filter((line) => /^- orders: Row with message id "\w+" was rejected: /.test(line)).length, 2, message);
    assert.match(message, /\nStarted: \d{4}-\d\d-\d\dT[\d:.]+Z, ran [\d.]+ s\n/);
    assert.ok(!message.includes(secretAccessKey), "the secret in a rejected row's reason is redacted");
    assert.ok(!(result.stdout + result.stderr).includes(secretAccessKey));
  });

  test("a failed sync publishes one error alert alongside the other channels, before the TRACE", async () => {
    const webhookBodies: string[] = [];
    const webhook = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        webhookBodies.push(body);
        response.end("ok");
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
    const topic = subscribedTopic();
    const { file, queue } = configWith(topic.arn, {}, { webhook_url: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook` });
    const result = await runCli(["write", "--config", file, "--catalog", catalog], {
      stdin: [goodRow(1), stateLine({ at: 1 }), badRow(2), goodRow(3)].join("\n") + "\n",
    }).finally(() => {
      webhook.closeAllConnections();
      webhook.close();
    });
    assert.equal(result.code, 1, result.stdout);
    assert.equal(webhookBodies.length, 1);
    assert.equal((JSON.parse(webhookBodies[0]!) as { event: string }).event, "sync_failed");
    const error = errorTraceOf(result.messages);
    assert.equal(error?.failure_type, "config_error");

    const { raw, envelope } = topic.read();
    assert.equal(raw.length, 1);
    assert.deepEqual(raw[0]!.attributes, {
      event: { DataType: "String", StringValue: "sync_failed" },
      severity: { DataType: "String", StringValue: "error" },
    });
    assert.equal(envelope[0]!.Subject, `destination-sqs: sync failed (queue ${queue})`);
    const message = raw[0]!.body;
    const lines = message.split("\n");
    assert.deepEqual(lines.slice(0, 5), [
      `The destination-sqs sync to queue ${queue} failed (config_error).`,
      "",
      error?.message,
      "",
      `Destination: queue ${queue}`,
    ]);
    assert.ok(lines.includes("Outcome: failed (config_error)"), message);

    const order = result.messages
      .map((entry) =>
        entry.type === "TRACE"
          ? "trace"
          : entry.type === "LOG" && entry.log.message.startsWith("Sent the sync_failed alert to ")
            ? entry.log.message
            : undefined,
      )
      .filter((kind) => kind !== undefined);
    assert.deepEqual(order.slice(-1), ["trace"]);
    assert.deepEqual(order.slice(0, -1).sort(), ["Sent the sync_failed alert to Amazon SNS.", "Sent the sync_failed alert to webhook."]);
  });

  test("with log_api_calls, the alert's Publish is in the API call log", async () => {
    const topic = subscribedTopic();
    const { file } = configWith(topic.arn, { rejected_rows: { policy: "skip" }, log_api_calls: true });
    const result = await runCli(["write", "--config", file, "--catalog", catalog], {
      stdin: [badRow(1), stateLine({ at: 1 })].join("\n") + "\n",
    });
    assert.equal(result.code, 0, result.stdout);
    const calls = logs(result.messages, "INFO")
      .filter((text) => text.startsWith("API_CALL "))
      .map((text) => JSON.parse(text.slice("API_CALL ".length)) as { service: string; action: string; outcome: string });
    assert.deepEqual(
      calls.filter((call) => call.service === "SNS").map((call) => [call.action, call.outcome]),
      [["Publish", "ok"]],
    );
  });

  test("a topic that does not exist costs a WARN line, and the sync succeeds", async () => {
    const missing = `arn:aws:sns:${TOPIC_REGION}:000000000000:${uniqueQueueName("no-such-topic")}`;
    const { file } = configWith(missing, { rejected_rows: { policy: "skip" } });
    const result = await runCli(["write", "--config", file, "--catalog", catalog], {
      stdin: [badRow(1), goodRow(2), stateLine({ at: 2 })].join("\n") + "\n",
    });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(statesOf(result.messages).length, 1);
    assert.equal(errorTraceOf(result.messages), undefined);
    assert.deepEqual(
      logs(result.messages, "WARN").filter((text) => text.startsWith("Could not send")),
      [
        `Could not send the rejected_rows alert to Amazon SNS (topic ${missing} does not exist (NotFoundException): create it, ` +
          "or correct alerts.sns_topic_arn (its region is part of the ARN)); the sync's outcome is not affected. " +
          "Check alerts.sns_topic_arn and that this host can reach it.",
      ],
    );
  });

  test("an SNS endpoint that does not answer costs a WARN line within the alert time limit", async () => {
    const topic = subscribedTopic();
    const { file } = configWith(topic.arn, { rejected_rows: { policy: "skip" } }, { sns_endpoint: "http://127.0.0.1:9" });
    const result = await runCli(["write", "--config", file, "--catalog", catalog], {
      stdin: [badRow(1), stateLine({ at: 1 })].join("\n") + "\n",
    });
    assert.equal(result.code, 0, result.stdout);
    const [warning, ...more] = logs(result.messages, "WARN").filter((text) => text.startsWith("Could not send"));
    assert.deepEqual(more, []);
    assert.match(
      warning ?? "",
      /^Could not send the rejected_rows alert to Amazon SNS \((could not reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)|no answer within 5 s)/,
    );
  });

  test("check finds the topic, or fails naming it and the permissions alerts need", async () => {
    const topic = subscribedTopic();
    const queue = uniqueQueueName("orders");
    server.createQueue(queue);
    const settings = (topicArn: string) => ({
      queue: { source: "static", value: queue },
      alerts: { sns_topic_arn: topicArn, sns_endpoint: server.address },
    });
    const found = await runCheck(emulatorConfig({ endpoint: server.address }, settings(topic.arn)));
    assert.equal(found.status, "SUCCEEDED", found.message);
    assert.ok(found.message.includes(`SNS topic ${topic.arn} (alerts.sns_topic_arn)`), found.message);

    const missing = `arn:aws:sns:${TOPIC_REGION}:000000000000:${uniqueQueueName("no-such-topic")}`;
    const failed = await runCheck(emulatorConfig({ endpoint: server.address }, settings(missing)));
    assert.equal(failed.status, "FAILED");
    assert.equal(
      failed.message,
      `Could not use the alerts topic (alerts.sns_topic_arn): topic ${missing} does not exist (NotFoundException): create it, ` +
        "or correct alerts.sns_topic_arn (its region is part of the ARN). Alerts also need sns:Publish on the topic.",
    );
  });
});

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
