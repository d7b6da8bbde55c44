// Alerts through the real CLI: Slack, PagerDuty and a generic webhook, all pointed at a local HTTP
// server that records what it receives. Also: an alert endpoint that is down never fails a sync,
// and no secret from the config reaches stdout, stderr or an alert. Which alert an outcome calls for
// (on_failure, rejected_rows_threshold) is proven on alertEventFor itself. A template that does not
// parse failing the sync with an alert is in test/slow/alerts.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { alertEventFor, jsonPost, sendAlerts, type AlertEvent } from "../src/observe/alerts.js";
import { RunSummary, SUMMARY_PREFIX, type SyncSummary } from "../src/observe/summary.js";
import type { LogLevel } from "../src/protocol/messages.js";
import { errorTraceOf, recordLine, stateLine, statesOf } from "./helpers/airbyte.js";
import { runCli } from "./helpers/cli.js";
import { freePort } from "./helpers/emulators.js";
import { alertsFixture, badRow, catalog, goodRow, logs, startRecorder, summaryOf } from "./helpers/alerts-cli.js";

describe("alerts (fauxqs)", () => {
  const fixture = alertsFixture();
  const { configWith } = fixture;

  function allServices(tag: string, extra: Record<string, unknown> = {}) {
    return {
      slack_webhook_url: `${fixture.recorder.url}/slack/${tag}`,
      webhook_url: `${fixture.recorder.url}/hook/${tag}`,
      pagerduty_routing_key: `routing-key-${tag}`,
      ...extra,
    };
  }

  const pagerDutyEnv = (tag: string) => ({ DESTINATION_SQS_PAGERDUTY_URL: `${fixture.recorder.url}/pagerduty/${tag}` });

  test("a failed sync sends one alert to each service, after the summary and before the TRACE", async () => {
    const config = configWith({ alerts: allServices("failed") });
    const result = await runCli(["write", "--config", config, "--catalog", catalog], {
      stdin: [goodRow(1), stateLine({ at: 1 }), badRow(2), goodRow(3)].join("\n") + "\n",
      env: pagerDutyEnv("failed"),
    });
    assert.equal(result.code, 1, result.stdout);
    const error = errorTraceOf(result.messages);
    assert.equal(error?.failure_type, "config_error");

    const [slack, pagerDuty, hook] = ["/slack/failed", "/pagerduty/failed", "/hook/failed"].map((path) => fixture.recorder.to(path));
    assert.equal(slack!.length, 1);
    assert.equal(pagerDuty!.length, 1);
    assert.equal(hook!.length, 1);
    for (const request of [slack![0]!, pagerDuty![0]!, hook![0]!]) {
      assert.equal(request.headers["content-type"], "application/json");
    }

    const slackBody = slack![0]!.body as { text: string; blocks: { type: string }[] };
    assert.match(slackBody.text, /^The destination-sqs sync to queue alerts-\S+ failed: The sync stopped at a rejected row/);
    assert.deepEqual(
      slackBody.blocks.map((block) => block.type),
      ["header", "section", "section"],
    );

    const event = pagerDuty![0]!.body as {
      routing_key: string;
      event_action: string;
      dedup_key: string;
      payload: { summary: string; source: string; severity: string; custom_details: SyncSummary };
    };
    assert.equal(event.routing_key, "routing-key-failed");
    assert.equal(event.event_action, "trigger");
    assert.match(event.dedup_key, /^destination-sqs\/sync_failed\/queue alerts-/);
    assert.equal(event.payload.severity, "error");
    assert.equal(event.payload.summary, slackBody.text);
    assert.match(event.payload.source, /^queue alerts-/);
    assert.equal(event.payload.custom_details.status, "failed");

    const webhook = hook![0]!.body as {
      event: string;
      connector: string;
      summary: string;
      failure: { failure_type: string; message: string };
      sync: SyncSummary;
    };
    assert.equal(webhook.event, "sync_failed");
    assert.equal(webhook.connector, "destination-sqs");
    assert.equal(webhook.summary, slackBody.text);
    assert.equal(webhook.failure.failure_type, "config_error");
    assert.equal(webhook.failure.message, error?.message);
    assert.equal(webhook.sync.totals.rejected, 1);
    assert.deepEqual(webhook.sync, summaryOf(result.messages));

    const order = result.messages
      .map((message) =>
        message.type === "TRACE"
          ? "trace"
          : message.type === "LOG" && message.log.message.startsWith("Sent the sync_failed alert")
            ? "alert"
            : message.type === "LOG" && message.log.message.startsWith(SUMMARY_PREFIX)
              ? "summary"
              : undefined,
      )
      .filter((kind) => kind !== undefined);
    assert.deepEqual(order, ["summary", "alert", "alert", "alert", "trace"]);
  });

  test("rejected rows at the threshold send one warning alert per service", async () => {
    const input = [goodRow(1), badRow(2), goodRow(3), badRow(4), stateLine({ at: 4 })].join("\n") + "\n";
    const atThreshold = configWith({ rejected_rows: { policy: "skip" }, alerts: allServices("at", { rejected_rows_threshold: 2 }) });
    const result = await runCli(["write", "--config", atThreshold, "--catalog", catalog], { stdin: input, env: pagerDutyEnv("at") });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(statesOf(result.messages).length, 1);
    const hook = fixture.recorder.to("/hook/at");
    assert.equal(hook.length, 1);
    const webhook = hook[0]!.body as { event: string; severity: string; summary: string; sync: SyncSummary };
    assert.equal(webhook.event, "rejected_rows");
    assert.equal(webhook.severity, "warning");
    assert.match(webhook.summary, /rejected 2 rows \(alerts\.rejected_rows_threshold is 2\); the first: Row with message id/);
    assert.equal(webhook.sync.status, "succeeded");
    const pagerDuty = fixture.recorder.to("/pagerduty/at");
    assert.equal(pagerDuty.length, 1);
    assert.equal((pagerDuty[0]!.body as { payload: { severity: string } }).payload.severity, "warning");
    assert.equal(fixture.recorder.to("/slack/at").length, 1);
  });

  test("an alert endpoint that is down or failing costs a WARN line, never the sync", async () => {
    const failing = await startRecorder(500);
    try {
      const closedPort = await freePort();
      const config = configWith({
        rejected_rows: { policy: "skip" },
        alerts: { slack_webhook_url: `http://127.0.0.1:${closedPort}/slack/down`, webhook_url: `${failing.url}/hook/500` },
      });
      const result = await runCli(["write", "--config", config, "--catalog", catalog], {
        stdin: [badRow(1), goodRow(2), stateLine({ at: 2 })].join("\n") + "\n",
      });
      assert.equal(result.code, 0, result.stdout);
      assert.equal(statesOf(result.messages).length, 1);
      assert.equal(errorTraceOf(result.messages), undefined);
      const warnings = logs(result.messages, "WARN").filter((text) => text.startsWith("Could not send"));
      assert.deepEqual(warnings.sort(), [
        "Could not send the rejected_rows alert to Slack (could not connect: ECONNREFUSED); the sync's outcome is not affected. Check alerts.slack_webhook_url and that this host can reach it.",
        "Could not send the rejected_rows alert to webhook (the endpoint answered HTTP 500); the sync's outcome is not affected. Check alerts.webhook_url and that this host can reach it.",
      ]);
      assert.equal(failing.requests.length, 1);
      assert.ok(!result.stdout.includes("/slack/down") && !result.stdout.includes("/hook/500"), "alert URLs are secrets");
    } finally {
      await failing.stop();
    }
  });

  test("no secret from the config reaches stdout, stderr or an alert, with every log on", async () => {
    const secrets = {
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY",
      sessionToken: "FQoGZXIvYXdzSESSIONTOKENVALUE0123456789abcdef",
      slackPath: "T000/B000/SLACKSECRETPATH",
      webhookPath: "WEBHOOKSECRETPATH",
      routingKey: "R0UT1NGKEYSECRETVALUE",
    };
    const config = configWith({
      credentials: {
        auth_type: "access_key",
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_access_key: secrets.secretAccessKey,
        session_token: secrets.sessionToken,
      },
      log_api_calls: true,
      log_message_bodies: true,
      rejected_rows: { policy: "skip" },
      alerts: {
        slack_webhook_url: `${fixture.recorder.url}/slack/${secrets.slackPath}`,
        webhook_url: `${fixture.recorder.url}/hook/${secrets.webhookPath}`,
        pagerduty_routing_key: secrets.routingKey,
      },
    });
    const input = [
      // Rejected, with the secret key in its reason; then published, with secrets in its body.
      recordLine("orders", { id: 1, amount: secrets.secretAccessKey }),
      recordLine("orders", { id: 2, amount: 2, copied: `${secrets.sessionToken} ${secrets.routingKey} AKIAIOSFODNN7EXAMPLE` }),
      stateLine({ at: 2 }),
    ];
    const result = await runCli(["write", "--config", config, "--catalog", catalog], {
      stdin: input.join("\n") + "\n",
      env: pagerDutyEnv("secrets"),
    });
    assert.equal(result.code, 0, result.stdout);
    assert.ok(
      logs(result.messages).some((text) => text.startsWith("API_CALL ")),
      "the API call log ran",
    );
    const output = result.stdout + result.stderr;
    const alertBodies = fixture.recorder.requests
      .filter((request) => request.path.includes("SECRET") || request.path.endsWith("/secrets"))
      .map((request) => {
        const { routing_key: routingKey, ...rest } = request.body;
        if (routingKey !== undefined) assert.equal(routingKey, secrets.routingKey, "PagerDuty still gets its key");
        return JSON.stringify(rest);
      });
    assert.equal(alertBodies.length, 3);
    for (const [name, secret] of [...Object.entries(secrets), ["accessKeyId", "AKIAIOSFODNN7EXAMPLE"]]) {
      assert.ok(!output.includes(secret!), `${name} is not in the output`);
      for (const body of alertBodies) assert.ok(!body.includes(secret!), `${name} is not in an alert`);
    }
  });
});

test("which alert a sync calls for: a failure unless on_failure is false; rejected rows from rejected_rows_threshold on", () => {
  const sent = { requestsSent: 1, messagesSent: 2, entriesRetried: 0, bytesSent: 20, requestsInFlight: 0, messagesInFlight: 0 };
  const queue = { source: "static", value: "orders" } as const;
  const failed = new RunSummary().finish(sent, { failure_type: "config_error", message: "message_body.template does not parse" });
  assert.equal(alertEventFor({}, failed, queue)?.event, "sync_failed");
  assert.equal(alertEventFor({ on_failure: false }, failed, queue), undefined);

  const rejecting = new RunSummary();
  rejecting.rejected("orders", "added", "2", "amount is not a number");
  rejecting.rejected("orders", "added", "4", "amount is not a number");
  const twoRejected = rejecting.finish(sent);
  assert.equal(alertEventFor({ rejected_rows_threshold: 2 }, twoRejected, queue)?.event, "rejected_rows");
  assert.equal(alertEventFor({ rejected_rows_threshold: 3 }, twoRejected, queue), undefined);
  assert.equal(alertEventFor({}, new RunSummary().finish(sent), queue), undefined, "a clean sync calls for none");
});

describe("sendAlerts", () => {
  test("gives up on an endpoint that does not answer in time, with a WARN line", async () => {
    const hanging = await startRecorder("hang");
    try {
      const lines: [LogLevel, string][] = [];
      const event = { event: "sync_failed", severity: "error", summary: "s", queue: "q", sync: {} } as unknown as AlertEvent;
      await sendAlerts(event, [jsonPost("webhook", "alerts.webhook_url", hanging.url, {})], {
        timeoutMs: 100,
        log: async (level, text) => void lines.push([level, text]),
      });
      assert.deepEqual(lines, [
        [
          "WARN",
          "Could not send the sync_failed alert to webhook (no answer within 0.1 s); the sync's outcome is not affected. Check alerts.webhook_url and that this host can reach it.",
        ],
      ]);
    } finally {
      await hanging.stop();
    }
  });

  test("gives up on a delivery that ignores the deadline, e.g. one still waiting for credentials", async () => {
    const lines: [LogLevel, string][] = [];
    const event = { event: "rejected_rows", severity: "warning", summary: "s", queue: "q", sync: {} } as unknown as AlertEvent;
    const stuck = { service: "Amazon SNS", setting: "alerts.sns_topic_arn", send: () => new Promise<undefined>(() => {}) } as const;
    await sendAlerts(event, [stuck], { timeoutMs: 100, log: async (level, text) => void lines.push([level, text]) });
    assert.deepEqual(lines, [
      [
        "WARN",
        "Could not send the rejected_rows alert to Amazon SNS (no answer within 0.1 s); the sync's outcome is not affected. Check alerts.sns_topic_arn and that this host can reach it.",
      ],
    ]);
  });
});
