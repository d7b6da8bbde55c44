// Alerts through Amazon SNS end to end on fauxqs: the topic fans each alert out to two subscribed SQS
// queues, one with raw message delivery (body = the message, SNS message attributes = SQS message
// attributes) and one receiving SNS's JSON envelope (Subject, Message, MessageAttributes), as AWS
// delivers to SQS subscribers; and check of the topic.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { startFauxqs } from "fauxqs";
import { runCheck } from "../../src/commands/check.js";
import { errorTraceOf, recordLine, stateLine, statesOf } from "../helpers/airbyte.js";
import { runCli } from "../helpers/cli.js";
import { emulatorConfig, emulatorConfigFile, uniqueQueueName } from "../helpers/emulators.js";
import { badRow, catalog, logs } from "../helpers/sns-alerts.js";

const TOPIC_REGION = "eu-west-1";

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
