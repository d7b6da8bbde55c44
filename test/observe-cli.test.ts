// What a user sees of a write besides its STATEs, through the real CLI: the API call log under
// injected SQS faults, the run summary's counts, progress lines, and the TRACE of each kind of failure
// (the failures of SQS calls are classified by the same write run in process). More failed writes
// through the CLI are in test/slow/observe-cli.test.ts.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { ApiCallLine } from "../src/observe/api-call-log.js";
import type { AirbyteMessage } from "../src/protocol/messages.js";
import { UserFacingError } from "../src/errors.js";
import { recordLine, stateLine, statesOf } from "./helpers/airbyte.js";
import { runCli } from "./helpers/cli.js";
import { emulatorConfig, emulatorConfigFile, freePort, uniqueQueueName, withMoto } from "./helpers/emulators.js";
import { writeInProcess } from "./helpers/in-process.js";
import { accessKeyCredentials, type IamAccessKey } from "./helpers/iam.js";
import { startFaultProxy } from "./helpers/fault-proxy.js";
import { startConnector } from "./helpers/live-connector.js";
import {
  AMOUNT_ATTRIBUTE,
  assertFailure,
  assertOneSentence,
  catalog,
  configFile,
  fauxqsForSuite,
  logTexts,
  summaryOf,
} from "./helpers/observe-cli.js";

function apiCalls(messages: AirbyteMessage[]): ApiCallLine[] {
  return logTexts(messages)
    .filter((text) => text.startsWith("API_CALL "))
    .map((text) => JSON.parse(text.slice("API_CALL ".length)) as ApiCallLine);
}

describe("observability of a write (fauxqs)", () => {
  const fauxqs = fauxqsForSuite();

  test("the API call log shows every request, its failed entries by message id, retries as later attempts", async () => {
    const proxy = await startFaultProxy({ target: fauxqs.address(), seed: 11, faultRate: 0.4, faults: ["partial_failure", "throttle"] });
    try {
      const config = configFile(proxy.endpoint, {
        queue: { source: "static", value: fauxqs.newQueue("debugger") },
        log_api_calls: true,
        rejected_rows: { policy: "skip" },
        message_attributes: AMOUNT_ATTRIBUTE,
        max_in_flight: 2,
      });
      const ids = Array.from({ length: 300 }, (_, i) => `order-${i}`);
      const lines = ids.map((id, i) => recordLine("orders", { id, amount: i }));
      lines.splice(150, 0, recordLine("orders", { id: "bad-amount", amount: "lots" }));
      const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: lines.join("\n") + "\n" });
      assert.equal(result.code, 0, result.stdout.slice(-3000));

      const calls = apiCalls(result.messages);
      assert.deepEqual(
        calls.filter((call) => call.action !== "SendMessageBatch").map((call) => [call.action, call.outcome]),
        [["ListQueues", "ok"]],
      );
      const batches = calls.filter((call) => call.action === "SendMessageBatch");
      assert.equal(batches.length, proxy.batchRequests, "one line per request");
      assert.ok(proxy.injected.partial_failure > 0 && proxy.injected.throttle > 0, JSON.stringify(proxy.injected));

      const partial = batches.filter((call) => call.outcome === "partial");
      assert.equal(partial.length, proxy.injected.partial_failure);
      for (const call of partial) {
        for (const failed of call.failed ?? []) {
          assert.ok(ids.includes(failed.message_id), `${failed.message_id} names a row`);
          assert.deepEqual([failed.code, failed.sender_fault, failed.message], ["InternalError", false, "injected by the fault proxy"]);
        }
      }
      const throttled = batches.filter((call) => call.outcome === "error");
      assert.equal(throttled.length, proxy.injected.throttle);
      for (const call of throttled) assert.deepEqual([call.error, call.http_status], ["ThrottlingException", 400]);
      // max_in_flight 2 is the ceiling; each throttle cuts the limit, and it grows back.
      assert.ok(
        batches.every((call) => call.concurrency_limit === 1 || call.concurrency_limit === 2),
        "each call shows the limit",
      );
      assert.ok(
        batches.some((call) => call.concurrency_limit === 1),
        "a throttle cut the limit",
      );
      const limitChanges = result.messages.filter(
        (message) => message.type === "LOG" && message.log.level === "DEBUG" && message.log.message.startsWith("Concurrency limit "),
      );
      assert.ok(limitChanges.length > 0, "each change of the limit is logged at DEBUG level");
      for (const call of batches) {
        assert.equal(typeof call.latency_ms, "number");
        assert.ok(call.entries! >= 1 && call.entries! <= 10 && call.bytes > 0);
        assert.equal(call.messages, undefined, "no bodies without log_message_bodies");
      }
      assert.ok(
        batches.some((call) => call.attempt! >= 2),
        "a retried entry is logged as a later attempt",
      );
      assert.ok(!result.stdout.includes('"message_id":"bad-amount"'), "the rejected row never reached SQS");

      const summary = summaryOf(result.messages);
      assert.equal(summary.totals.published, ids.length);
      assert.equal(summary.totals.rejected, 1);
      assert.equal(summary.delivery.requests_sent, proxy.batchRequests);
      assert.equal(summary.delivery.throttled_requests, proxy.injected.throttle);
      assert.deepEqual([summary.concurrency?.mode, summary.concurrency?.limit_min, summary.concurrency?.limit_max], ["adaptive", 1, 2]);
      assert.ok(summary.concurrency!.limit_changes >= limitChanges.length);
      assert.equal(summary.delivery.messages_sent, ids.length + summary.delivery.entries_retried);
      assert.equal(
        summary.delivery.messages_sent,
        batches.reduce((sum, call) => sum + call.entries!, 0),
      );
    } finally {
      await proxy.stop();
    }
  });

  test("the run summary counts every row of the input exactly, per stream and change type", async () => {
    const config = configFile(fauxqs.address(), {
      queue: { source: "static", value: fauxqs.newQueue("summary") },
      change_detection: { mode: "field", field: "op" },
      events: ["added", "changed"],
      rejected_rows: { policy: "skip" },
      message_attributes: AMOUNT_ATTRIBUTE,
    });
    const row = (stream: string, id: string, op: string, amount: unknown = 1) =>
      stream === "users" ? recordLine("users", { id, op, amount }, "crm") : recordLine("orders", { id, op, amount });
    const input = [
      row("orders", "o1", "insert"),
      row("orders", "o2", "insert"),
      row("orders", "o3", "update"),
      row("orders", "o4", "delete"),
      row("orders", "o5", "explode"),
      row("orders", "o6", "insert", "NaN?"),
      stateLine({ at: 6 }),
      row("users", "u1", "update"),
      row("users", "u2", "delete"),
      row("users", "u3", "delete"),
      stateLine({ at: 9 }),
    ];
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: input.join("\n") + "\n" });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(statesOf(result.messages).length, 2);
    const summary = summaryOf(result.messages);
    assert.equal(summary.version, 1);
    assert.equal(summary.status, "succeeded");
    assert.deepEqual(summary.totals, {
      records_read: 9,
      unchanged: 0,
      published: 4,
      rejected: 2,
      skipped_by_events_filter: 3,
      bytes_published: summary.totals.bytes_published,
    });
    const [orders, users] = summary.streams;
    assert.deepEqual(
      {
        stream: orders!.stream,
        read: orders!.records_read,
        published: orders!.published,
        rejected: orders!.rejected,
        skipped: orders!.skipped_by_events_filter,
      },
      { stream: "orders", read: 6, published: 3, rejected: 2, skipped: 1 },
    );
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(orders!.by_change).map(([change, counts]) => [
          change,
          [counts.published, counts.rejected, counts.skipped_by_events_filter],
        ]),
      ),
      { added: [2, 1, 0], changed: [1, 0, 0], removed: [0, 0, 1] },
      "the row whose change is unknown counts for the stream only",
    );
    assert.deepEqual(
      orders!.rejections.map((rejection) => rejection.message_id),
      ["o5", "o6"],
    );
    assert.match(orders!.rejections[1]!.reason, /attribute "amount", Number/);
    assert.deepEqual(
      [
        users!.stream,
        users!.records_read,
        users!.published,
        users!.skipped_by_events_filter,
        users!.by_change.removed?.skipped_by_events_filter,
      ],
      ["users", 3, 1, 2, 2],
    );
    assert.equal(summary.delivery.messages_sent, 4);
    assert.equal(summary.delivery.entries_retried, 0);
    assert.equal(summary.delivery.bytes_sent, summary.totals.bytes_published);
    assert.equal(orders!.bytes_published + users!.bytes_published, summary.totals.bytes_published);
    assert.ok(summary.duration_seconds > 0 && summary.messages_per_second > 0);
    const human = logTexts(result.messages).find((text) => text.startsWith("Sync finished after "));
    assert.match(human ?? "", /: 9 records read, 4 published \(\d+ bytes\), 2 rejected, 3 skipped by the events filter, 0 unchanged;/);
  });

  test("a long write logs progress lines while it runs", async () => {
    const config = configFile(fauxqs.address(), { queue: { source: "static", value: fauxqs.newQueue("progress") } });
    const connector = startConnector(["write", "--config", config, "--catalog", catalog], { DESTINATION_SQS_PROGRESS_INTERVAL_MS: "50" });
    const isProgress = (message: AirbyteMessage) => message.type === "LOG" && message.log.message.startsWith("Progress: ");
    await connector.write(recordLine("orders", { id: "1" }) + "\n" + stateLine({ at: 1 }) + "\n");
    await connector.waitFor((messages) => statesOf(messages).length === 1, "the first STATE");
    // stdin stays open: the write is idle but not finished, and progress keeps coming.
    const progressAfterState = (messages: AirbyteMessage[]) =>
      messages.slice(messages.findIndex((message) => message.type === "STATE")).filter(isProgress);
    await connector.waitFor((messages) => progressAfterState(messages).length >= 2, "two progress lines after the STATE");
    connector.endInput();
    assert.equal((await connector.exit()).code, 0, connector.stdout());
    const progress = progressAfterState(connector.messages).map((message) => (message.type === "LOG" ? message.log.message : ""));
    assert.match(
      progress.at(-1)!,
      /^Progress: 1 records read, 1 published, 0 rejected, 0 not yet settled \(0 messages in 0 requests in flight, limit 16 \(16–16 so far\); 0 requests throttled\); \d+ messages\/s lately, \d+ messages\/s overall\.$/,
    );
  });
});

/** Asserts `write` fails with a user-facing error of `failureType` whose message is one sentence matching `message`. */
async function assertThrowsFailure(write: Promise<unknown>, failureType: string, message: RegExp): Promise<UserFacingError> {
  const error = await write.then(
    () => assert.fail("the write should have failed"),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof UserFacingError, String(error));
  assert.equal(error.failureType, failureType, error.message);
  assert.match(error.message, message);
  assertOneSentence(error.message);
  return error;
}

// The cases are independent and two of them wait out retry_max_seconds: they run at the same time.
describe("TRACE failure types (fauxqs and closed ports)", { concurrency: true }, () => {
  const fauxqs = fauxqsForSuite();

  const oneRow = recordLine("orders", { id: "1" }) + "\n";
  const write = (config: string, stdin = oneRow) => runCli(["write", "--config", config, "--catalog", catalog], { stdin });

  // The failures below are classified where they are thrown: the write, run in process, throws what the
  // CLI prints as its TRACE (the last test shows the TRACE and the summary the CLI prints).
  const writeInProcessTo = (endpoint: string, settings: Record<string, unknown>) =>
    writeInProcess(emulatorConfig({ endpoint }, { message_id: { source: "column", column: "id" }, ...settings }), catalog, oneRow);

  test("a queue name that does not exist is a config error", async () => {
    await assertThrowsFailure(
      writeInProcessTo(fauxqs.address(), { queue: { source: "static", value: uniqueQueueName("missing") } }),
      "config_error",
      /Queue "missing-\S+" \(queue\) was not found/,
    );
  });

  test("a queue URL that does not exist is a config error", async () => {
    const queueUrl = `${fauxqs.address().replace("127.0.0.1", "sqs.us-east-1.localhost")}/000000000000/${uniqueQueueName("gone")}`;
    await assertThrowsFailure(
      writeInProcessTo(fauxqs.address(), { queue: { source: "static", value: queueUrl } }),
      "config_error",
      /does not exist/,
    );
  });

  test("retries running out is a transient error", async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    await assertThrowsFailure(
      writeInProcessTo(endpoint, { queue: { source: "static", value: `${endpoint}/000000000000/q` }, retry_max_seconds: 1 }),
      "transient_error",
      /^Gave up sending to SQS queue .* last error ECONNREFUSED/,
    );
  });

  test("an unreachable endpoint while looking up a queue name is a transient error", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    // The lookup is retried within retry_max_seconds, like every AWS call.
    const error = await assertThrowsFailure(
      writeInProcessTo(endpoint, { queue: { source: "static", value: "q" }, retry_max_seconds: 1 }),
      "transient_error",
      /^Could not reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
    assert.match(error.detail ?? "", /ECONNREFUSED/);
  });

  test("input that is not an Airbyte message is a system error", async () => {
    const result = await write(configFile(fauxqs.address(), { queue: { source: "static", value: "q" } }), "{oops\n");
    assertFailure(result.messages, "system_error", /line 1 is not valid JSON/);
  });
});

withMoto("TRACE failure types with IAM enforced", (context) => {
  const oneRow = recordLine("orders", { id: "1" }) + "\n";
  let queueName = "";
  let queueUrl = "";
  const keys: Record<string, IamAccessKey> = {};

  before(async () => {
    const moto = context.emulator;
    queueName = uniqueQueueName("iam");
    queueUrl = await moto.createQueue(queueName);
    keys.sendOnly = await moto.createUser("send-only", ["sqs:SendMessage"]);
    keys.listOnly = await moto.createUser("list-only", ["sqs:ListQueues"]);
    keys.nothing = await moto.createUser("nothing", []);
    await moto.enforceAuth();
  });

  const configAs = (user: string, settings: Record<string, unknown>) =>
    emulatorConfigFile(context.emulator.endpoint, { credentials: accessKeyCredentials(keys[user]!), ...settings });
  const write = (config: string) => runCli(["write", "--config", config, "--catalog", catalog], { stdin: oneRow });

  test("ListQueues denied while looking up a queue name is a config error", async () => {
    const result = await write(configAs("sendOnly", { queue: { source: "static", value: queueName } }));
    assertFailure(result.messages, "config_error", /not allowed to call sqs:ListQueues \(AccessDenied\): grant sqs:ListQueues/);
  });

  test("SendMessageBatch denied is a config error", async () => {
    const result = await write(configAs("listOnly", { queue: { source: "static", value: queueUrl } }));
    assertFailure(result.messages, "config_error", /denied SendMessageBatch .*AccessDenied — grant sqs:SendMessage/);
  });

  test("a role that cannot be assumed is a config error", async () => {
    const result = await write(
      configAs("nothing", { queue: { source: "static", value: queueUrl }, role_arn: "arn:aws:iam::123456789012:role/not-trusted" }),
    );
    assertFailure(result.messages, "config_error", /AssumeRoleError — role_arn could not be assumed: .*check role_arn and external_id/);
  });
});
