// Unit tests of the observability pieces: redaction, the API call log (through a real Delivery and
// a fake sender), the run summary's counts, and the summary written when a write fails.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import type { ApiCall } from "../src/aws/api-calls.js";
import { Delivery } from "../src/delivery/delivery.js";
import type { BatchResult } from "../src/delivery/types.js";
import { UserFacingError } from "../src/errors.js";
import { API_CALL_PREFIX, ApiCallLog, type ApiCallLine } from "../src/observe/api-call-log.js";
import { ObservedSender } from "../src/observe/observed-sender.js";
import { MIN_SEARCHED_SECRET_CHARS, REDACTED, Redactor } from "../src/redact.js";
import { describeSummary, RunSummary, SUMMARY_PREFIX, type SyncSummary } from "../src/observe/summary.js";
import { describeLimitChange, SyncObservation } from "../src/observe/sync-observation.js";
import type { AirbyteMessage, LogLevel } from "../src/protocol/messages.js";
import { MessageWriter, redactedMessage } from "../src/protocol/output.js";
import { testConfig } from "./helpers/config.js";
import { FakeSender, md5, outgoing, serviceError, type succeedAll } from "./helpers/delivery-fakes.js";

const QUEUE = "http://127.0.0.1:4566/000000000000/orders";

describe("Redactor", () => {
  const redactor = new Redactor(["s3cr3t-value", "pd-routing/key"]);

  test(`a secret shorter than ${MIN_SEARCHED_SECRET_CHARS} characters is not searched for: it would rewrite ordinary words`, () => {
    const short = new Redactor(["test", "e", ":", "2024"]);
    const text = 'stream "test_stream", cursor "latest", type: event 2024';
    assert.equal(short.text(text), text);
  });

  test("a secret's JSON-escaped form is found too", () => {
    const quoted = new Redactor(['pass"word\\x']);
    assert.equal(quoted.text(`{"p":${JSON.stringify('pass"word\\x')}}`), `{"p":"${REDACTED}"}`);
  });

  test("messages: LOG and TRACE string values are redacted; keys, numbers and other message types never", () => {
    const keyNamed = new Redactor(["failure_type", "destinationStats"]);
    const trace: AirbyteMessage = {
      type: "TRACE",
      trace: { type: "ERROR", emitted_at: 5, error: { message: "failure_type leaked", failure_type: "system_error" } },
    };
    assert.deepEqual(redactedMessage(keyNamed, trace), {
      type: "TRACE",
      trace: { type: "ERROR", emitted_at: 5, error: { message: `${REDACTED} leaked`, failure_type: "system_error" } },
    });
    assert.deepEqual(redactedMessage(keyNamed, { type: "LOG", log: { level: "INFO", message: "destinationStats" } }), {
      type: "LOG",
      log: { level: "INFO", message: REDACTED },
    });
    const state: AirbyteMessage = { type: "STATE", state: { type: "LEGACY", data: { cursor: "destinationStats" } } };
    assert.equal(redactedMessage(keyNamed, state), state);
    const status: AirbyteMessage = { type: "CONNECTION_STATUS", connectionStatus: { status: "FAILED", message: "failure_type" } };
    assert.equal(redactedMessage(keyNamed, status), status);
  });

  test("removes config secrets, as they are and URL-encoded", () => {
    assert.equal(redactor.text("token s3cr3t-value in https://x/?k=pd-routing%2Fkey"), `token ${REDACTED} in https://x/?k=${REDACTED}`);
  });

  test("removes AWS credential shapes the config does not hold", () => {
    const text = [
      "key AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A",
      '"SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
      "<SessionToken>FQoGZXIvYXdzEBYaDHqa0AP1EXAMPLETOKEN</SessionToken>",
      "aws_session_token=AQoDYXdzEJr1K2example",
      "bare IQoJb3JpZ2luX2VjEHUaCXVzLWVhc3QtMSJGMEQCIBmexample",
      "FQoGZXIvYXdzSESSIONTOKENVALUE0123456789",
    ].join("\n");
    const redacted = redactor.text(text);
    for (const secret of [
      "AKIAIOSFODNN7EXAMPLE",
      "ASIAY34FZKBOKMUTVV7A",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "FQoGZXIvYXdzEBYaDHqa0AP1EXAMPLETOKEN",
      "AQoDYXdzEJr1K2example",
      "IQoJb3JpZ2lu",
      "FQoGZXIvYXdzSESSION",
    ]) {
      assert.ok(!redacted.includes(secret), `${secret} is redacted in:\n${redacted}`);
    }
    assert.match(redacted, /"SecretAccessKey":"\*{10}"/, "the label stays, so the reader knows what was removed");
  });

  test("leaves message ids, hashes and ordinary text alone", () => {
    const text =
      'message 65dee7b5611de8ec7732e8e9cf0b32d0 sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 "secret": "short"';
    assert.equal(redactor.text(text), text);
  });

  test("redacts every string of a JSON value", () => {
    assert.deepEqual(redactor.value({ a: ["s3cr3t-value", 1], b: { c: "AKIAIOSFODNN7EXAMPLE" }, d: null }), {
      a: [REDACTED, 1],
      b: { c: REDACTED },
      d: null,
    });
  });
});

function recordingLog(bodies = false) {
  const lines: { level: LogLevel; call: ApiCallLine }[] = [];
  const log = new ApiCallLog({
    bodies,
    redactor: new Redactor(["hunter2-secret"]),
    log: (level, text) => {
      assert.ok(text.startsWith(API_CALL_PREFIX));
      lines.push({ level, call: JSON.parse(text.slice(API_CALL_PREFIX.length)) as ApiCallLine });
    },
  });
  return { log, lines };
}

/** Batches wait for flush(), so each test decides what goes in one request. */
function deliveryThrough(sender: ObservedSender, rejected: string[] = []) {
  return new Delivery(
    sender,
    { fifo: false, maxInFlight: 1, maxBatchBytes: 1_048_576, retryMaxMs: 10_000, lingerMs: 60_000 },
    { acknowledged: () => undefined, rejected: (message) => void rejected.push(message.messageId) },
  );
}

describe("API call log (SendMessageBatch through delivery)", () => {
  test("a partial failure names each failed entry's message id and code; the retry is attempt 2", async () => {
    const { log, lines } = recordingLog();
    const answers: ((entries: Parameters<typeof succeedAll>[0]) => BatchResult)[] = [
      (entries) => ({
        successful: [{ id: entries[2]!.id, md5OfBody: md5(entries[2]!.message.body) }],
        failed: [
          { id: entries[0]!.id, senderFault: true, code: "InvalidParameterValue", message: "bad attribute hunter2-secret" },
          { id: entries[1]!.id, senderFault: false, code: "InternalError", message: "try again" },
        ],
      }),
    ];
    const fake = new FakeSender((request, index) => answers[index]?.(request.entries));
    const sender = new ObservedSender(fake, log.batchCall);
    const rejected: string[] = [];
    const delivery = deliveryThrough(sender, rejected);
    for (let n = 0; n < 3; n++) await delivery.submit(outgoing(QUEUE, n));
    await delivery.flush();

    assert.deepEqual(rejected, ["row-0"]);
    assert.equal(lines.length, 2);
    const [first, retry] = lines.map((line) => line.call);
    assert.equal(lines[0]!.level, "WARN");
    assert.deepEqual(
      { ...first, latency_ms: 0 },
      {
        service: "SQS",
        action: "SendMessageBatch",
        queue: QUEUE,
        entries: 3,
        bytes: [0, 1, 2].reduce((sum, n) => sum + outgoing(QUEUE, n).bytes, 0),
        latency_ms: 0,
        http_status: 200,
        attempt: 1,
        outcome: "partial",
        failed: [
          { message_id: "row-0", entry_id: "0", code: "InvalidParameterValue", sender_fault: true, message: "bad attribute **********" },
          { message_id: "row-1", entry_id: "1", code: "InternalError", sender_fault: false, message: "try again" },
        ],
      },
    );
    assert.equal(lines[1]!.level, "INFO");
    assert.equal(retry!.attempt, 2);
    assert.equal(retry!.entries, 1);
    assert.equal(retry!.outcome, "ok");
    assert.equal(retry!.messages, undefined, "no bodies unless log_message_bodies");
    assert.deepEqual(sender.stats, {
      requestsSent: 2,
      messagesSent: 4,
      entriesRetried: 1,
      bytesSent: first!.bytes + outgoing(QUEUE, 1).bytes,
      requestsInFlight: 0,
      messagesInFlight: 0,
    });
  });

  test("a request that fails as a whole shows its error code and HTTP status", async () => {
    const { log, lines } = recordingLog();
    const fake = new FakeSender((_, index) => (index === 0 ? serviceError("ThrottlingException", "Rate exceeded", 400) : undefined));
    const delivery = deliveryThrough(new ObservedSender(fake, log.batchCall));
    await delivery.submit(outgoing(QUEUE, 0));
    await delivery.flush();
    assert.deepEqual(
      lines.map(({ call }) => [call.outcome, call.attempt, call.http_status, call.error, call.error_message]),
      [
        ["error", 1, 400, "ThrottlingException", "Rate exceeded"],
        ["ok", 2, 200, undefined, undefined],
      ],
    );
  });

  test("with bodies on, each entry's body is printed, truncated and redacted", async () => {
    const { log, lines } = recordingLog(true);
    const long = JSON.stringify({ pad: "x".repeat(2000), password: "hunter2-secret" });
    const delivery = deliveryThrough(new ObservedSender(new FakeSender(), log.batchCall));
    await delivery.submit(outgoing(QUEUE, 0, { body: '{"key":"AKIAIOSFODNN7EXAMPLE"}' }));
    await delivery.submit(outgoing(QUEUE, 1, { body: long }));
    await delivery.flush();
    const messages = lines.flatMap(({ call }) => call.messages ?? []);
    assert.deepEqual(messages[0], { message_id: "row-0", body: '{"key":"**********"}' });
    assert.equal(messages[1]!.message_id, "row-1");
    assert.ok(messages[1]!.body.length < 600);
    assert.match(messages[1]!.body, /… \(\d+ characters\)$/);
  });
});

describe("API call log (SDK calls)", () => {
  const call: ApiCall = { service: "SQS", action: "ListQueues", bytes: 45, latencyMs: 12.345, httpStatus: 200, input: {} };

  test("logs other calls, with their status or error", () => {
    const { log, lines } = recordingLog();
    log.sdkCall(call);
    log.sdkCall({ ...call, service: "STS", action: "AssumeRole", httpStatus: 403, error: "AccessDenied" });
    assert.deepEqual(
      lines.map(({ level, call: line }) => ({ level, ...line })),
      [
        { level: "INFO", service: "SQS", action: "ListQueues", bytes: 45, latency_ms: 12.3, http_status: 200, outcome: "ok" },
        {
          level: "WARN",
          service: "STS",
          action: "AssumeRole",
          bytes: 45,
          latency_ms: 12.3,
          http_status: 403,
          outcome: "error",
          error: "AccessDenied",
        },
      ],
    );
  });

  test("leaves SendMessageBatch to the sender, which knows each entry's row", () => {
    const { log, lines } = recordingLog();
    log.sdkCall({ ...call, action: "SendMessageBatch", queueUrl: QUEUE, entries: 10 });
    assert.deepEqual(lines, []);
  });
});

describe("RunSummary", () => {
  test("counts rows per stream and change type, keeping the first five rejection reasons", () => {
    const summary = new RunSummary();
    for (let i = 0; i < 10; i++) summary.recordRead("orders");
    summary.recordRead("users");
    summary.published("orders", "added", 100);
    summary.published("orders", "changed", 50);
    summary.skipped("orders", "removed", "event_filter");
    summary.skipped("orders", undefined, "unchanged");
    for (let i = 0; i < 6; i++) summary.rejected("orders", i === 0 ? undefined : "added", `id-${i}`, `reason ${i}`);
    summary.published("users", "added", 7);
    const sent = { requestsSent: 3, messagesSent: 4, entriesRetried: 1, bytesSent: 207, requestsInFlight: 0, messagesInFlight: 0 };
    const result = summary.finish(sent);

    assert.equal(result.status, "succeeded");
    assert.deepEqual(result.totals, {
      records_read: 11,
      unchanged: 1,
      published: 3,
      rejected: 6,
      skipped_by_events_filter: 1,
      bytes_published: 157,
    });
    assert.deepEqual(result.delivery, { requests_sent: 3, messages_sent: 4, entries_retried: 1, bytes_sent: 207 });
    const orders = result.streams.find((stream) => stream.stream === "orders")!;
    assert.deepEqual(orders.by_change, {
      added: { published: 1, rejected: 5, skipped_by_events_filter: 0, bytes_published: 100 },
      changed: { published: 1, rejected: 0, skipped_by_events_filter: 0, bytes_published: 50 },
      removed: { published: 0, rejected: 0, skipped_by_events_filter: 1, bytes_published: 0 },
    });
    assert.equal(orders.rejected, 6, "a rejection whose change is unknown still counts for the stream");
    assert.deepEqual(
      orders.rejections.map((rejection) => rejection.message_id),
      ["id-0", "id-1", "id-2", "id-3", "id-4"],
    );
    assert.equal(result.streams.find((stream) => stream.stream === "users")!.published, 1);
    assert.equal(result.offloaded_to_s3, undefined, "no S3 counts when nothing went through S3");
  });

  test("counts messages whose body went through S3, and their bytes, and says so in the text", () => {
    const summary = new RunSummary();
    summary.published("orders", "added", 2_000_000, true);
    summary.published("orders", "added", 10, false);
    const result = summary.finish({
      requestsSent: 1,
      messagesSent: 2,
      entriesRetried: 0,
      bytesSent: 300,
      requestsInFlight: 0,
      messagesInFlight: 0,
    });
    assert.deepEqual(result.offloaded_to_s3, { messages: 1, bytes: 2_000_000 });
    assert.equal(result.totals.published, 2);
    assert.match(describeSummary(result)[0]!, /; 1 messages \(2000000 bytes\) had their body stored in S3\.$/);
  });

  test("reports the limit on requests in flight and throttled requests, in JSON and in words", () => {
    const summary = new RunSummary();
    const sent = { requestsSent: 30, messagesSent: 300, entriesRetried: 20, bytesSent: 9000, requestsInFlight: 0, messagesInFlight: 0 };
    const concurrency = { mode: "adaptive" as const, limit: 11, min: 8, max: 32, mean: 17.26, changes: 5, throttled: 2 };
    const result = summary.finish(sent, undefined, concurrency);
    assert.equal(result.delivery.throttled_requests, 2);
    assert.deepEqual(result.concurrency, {
      mode: "adaptive",
      limit_min: 8,
      limit_mean: 17.3,
      limit_max: 32,
      limit_last: 11,
      limit_changes: 5,
    });
    assert.match(
      describeSummary(result)[0]!,
      / Requests in flight \(adaptive\): limit 8–32 \(mean 17\.3, 5 changes\); 2 throttled requests\.$/,
    );
  });
});

describe("describeLimitChange", () => {
  test("says how the limit moved and why, with the round trips behind it", () => {
    assert.equal(
      describeLimitChange({ from: 64, to: 44, reason: "throttled", floorRttMs: 20.04, rttMs: 21.5 }),
      "Concurrency limit 64 → 44 requests in flight: SQS throttled requests (round trip 21.5 ms, floor 20.0 ms).",
    );
  });
});

function capturedWriter() {
  const out = new PassThrough();
  let text = "";
  out.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  const messages = (): AirbyteMessage[] =>
    text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as AirbyteMessage);
  return { writer: new MessageWriter(out), messages };
}

function summaryOf(messages: AirbyteMessage[]): SyncSummary {
  const line = messages.flatMap((message) =>
    message.type === "LOG" && message.log.message.startsWith(SUMMARY_PREFIX) ? [message.log.message] : [],
  );
  assert.equal(line.length, 1, "exactly one summary line");
  return JSON.parse(line[0]!.slice(SUMMARY_PREFIX.length)) as SyncSummary;
}

describe("SyncObservation", () => {
  test("a write that fails still gets its summary, with the failure type of the error, and the error is rethrown", async () => {
    for (const [error, failureType] of [
      [new UserFacingError("The template is wrong.", "config_error"), "config_error"],
      [new UserFacingError("Gave up.", "transient_error"), "transient_error"],
      [new TypeError("x is undefined"), "system_error"],
    ] as const) {
      const { writer, messages } = capturedWriter();
      const observation = new SyncObservation(testConfig(), writer);
      observation.rows.recordRead("orders");
      await assert.rejects(
        observation.run(() => Promise.reject(error), { sns: () => assert.fail("no SNS alert is configured") }),
        (thrown) => thrown === error,
      );
      const summary = summaryOf(messages());
      assert.equal(summary.status, "failed");
      assert.equal(summary.failure?.failure_type, failureType);
      assert.equal(summary.totals.records_read, 1);
    }
  });

  test("the API call observer exists only with log_api_calls", () => {
    const { writer } = capturedWriter();
    assert.equal(new SyncObservation(testConfig(), writer).onCall, undefined);
    assert.equal(typeof new SyncObservation(testConfig({ log_api_calls: true }), writer).onCall, "function");
  });
});
