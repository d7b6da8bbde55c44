// Large messages on fauxqs in longer scenarios: a third-party Extended Client consumer reading the
// exact rows back, preview of offloaded rows, always, and S3 faults during a sync.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PREVIEW_PREFIX, type PreviewEntry } from "../../src/commands/preview.js";
import { objectKey } from "../../src/large-messages/extended-client-format.js";
import { recordLine } from "../helpers/airbyte.js";
import { runCli } from "../helpers/cli.js";
import { describeRun, PEOPLE_CATALOG, rejectionWarnings, rowsThenState, runSync, STREAM } from "../helpers/compose-e2e.js";
import { emulatorConfigFile, forEachEmulator, startFauxqs } from "../helpers/emulators.js";
import { consumeQueue } from "../helpers/extended-client-consumer.js";
import { startFaultProxy } from "../helpers/fault-proxy.js";
import { consumeAll, largeSettings, logMessages, setUp, sizedRow } from "../helpers/large-messages-e2e.js";

describe("a Node service consuming with an Extended Client compatible library (sns-sqs-big-payload)", () => {
  for (const [sizeAttribute, resolved] of [
    [undefined, true],
    ["ExtendedPayloadSize", false],
  ] as const) {
    test(`size_attribute ${sizeAttribute ?? "left out"}: the library ${resolved ? "gets the exact rows back" : "sees only pointers"}`, async () => {
      const emulator = await startFauxqs();
      try {
        const setup = await setUp(emulator);
        const settings = largeSettings(emulator, setup);
        if (sizeAttribute) (settings.large_messages as Record<string, unknown>).size_attribute = sizeAttribute;
        const rows = [sizedRow("small", 100), sizedRow("large", 1_500_000), sizedRow("medium", 200_000)];
        const result = await runSync(emulator, settings, rowsThenState(rows));
        assert.equal(result.code, 0, describeRun(result));
        const consumed = await consumeQueue(emulator.endpoint, setup.queueUrl, rows.length);
        const bodies = consumed.map((message) => message.body).sort();
        const sent = rows.map((data) => JSON.stringify(data));
        if (resolved) {
          assert.deepEqual(bodies, [...sent].sort());
          assert.deepEqual(consumed.filter((message) => message.fromS3).length, 2);
        } else {
          assert.deepEqual(
            bodies.filter((body) => sent.includes(body)),
            [sent[0]],
          );
          assert.ok(
            bodies
              .filter((body) => !sent.includes(body))
              .every((body) => body.startsWith('["software.amazon.payloadoffloading.PayloadS3Pointer",')),
          );
        }
      } finally {
        await emulator.stop();
      }
    });
  }
});

describe("large messages on fauxqs: preview, always, S3 faults", () => {
  test("with always, even small messages go through S3, keeping their attributes", async () => {
    const emulator = await startFauxqs();
    try {
      const setup = await setUp(emulator);
      const settings = largeSettings(emulator, setup, {
        message_attributes: [{ name: "kind", data_type: "String", value: { source: "static", value: "order" } }],
      });
      (settings.large_messages as Record<string, unknown>).always = true;
      const rows = [sizedRow("a", 10), sizedRow("b", 20)];
      const result = await runSync(emulator, settings, rowsThenState(rows));
      assert.equal(result.code, 0, describeRun(result));
      const consumed = await consumeAll(emulator, setup.queueUrl, rows.length);
      assert.deepEqual(consumed.map((message) => message.body).sort(), rows.map((data) => JSON.stringify(data)).sort());
      assert.ok(consumed.every((message) => message.fromS3));
      assert.ok(consumed.every((message) => message.received.messageAttributes.kind?.StringValue === "order"));
    } finally {
      await emulator.stop();
    }
  });

  test("preview shows that a message would go through S3, with its size and key, and makes no call", async () => {
    const config = emulatorConfigFile("http://127.0.0.1:9", {
      message_id: { source: "column", column: "id" },
      large_messages: { policy: "s3", bucket: "payloads", prefix: "p/", threshold_bytes: 1000 },
    });
    const large = sizedRow("large", 5000);
    const input = [recordLine(STREAM, sizedRow("small", 10)), recordLine(STREAM, large)].join("\n") + "\n";
    const result = await runCli(["preview", "--config", config, "--catalog", PEOPLE_CATALOG], { stdin: input });
    assert.equal(result.code, 0, describeRun(result));
    const entries = logMessages(result.messages)
      .filter((text) => text.startsWith(PREVIEW_PREFIX))
      .map((text) => JSON.parse(text.slice(PREVIEW_PREFIX.length)) as PreviewEntry);
    assert.equal(entries.length, 2);
    const [small, big] = entries;
    assert.ok(small?.outcome === "message" && big?.outcome === "message");
    assert.equal(small.offloaded_to_s3, undefined);
    const body = JSON.stringify(large);
    assert.deepEqual(big.offloaded_to_s3, { bucket: "payloads", key: objectKey("p/", "large", body), body_bytes: Buffer.byteLength(body) });
  });

  test("throttled and failing uploads are retried until every body is stored and every pointer sent", async () => {
    const emulator = await startFauxqs();
    const proxy = await startFaultProxy({
      target: emulator.endpoint,
      seed: 18,
      faultRate: 0.5,
      faults: ["throttle", "server_error", "reset_before", "reset_after"],
      requests: "s3_put_object",
    });
    try {
      const setup = await setUp(emulator);
      const rows = Array.from({ length: 12 }, (_, index) => sizedRow(`row-${index}`, 80_000));
      const settings = largeSettings(emulator, setup);
      (settings.large_messages as Record<string, unknown>).endpoint = proxy.endpoint;
      const result = await runSync(emulator, settings, rowsThenState(rows));
      assert.equal(result.code, 0, describeRun(result));
      assert.ok(proxy.batchRequests > rows.length, "some uploads were faulted and sent again");
      const consumed = await consumeAll(emulator, setup.queueUrl, rows.length);
      assert.deepEqual(consumed.map((message) => message.body).sort(), rows.map((data) => JSON.stringify(data)).sort());
      assert.ok(consumed.every((message) => message.fromS3));
    } finally {
      await proxy.stop();
      await emulator.stop();
    }
  });

  test("a bucket answering 403 AccessDenied fails the sync as a config error, even when rejected rows are skipped", async () => {
    const emulator = await startFauxqs();
    const proxy = await startFaultProxy({
      target: emulator.endpoint,
      seed: 1,
      faultRate: 1,
      faults: ["access_denied"],
      requests: "s3_put_object",
    });
    try {
      const setup = await setUp(emulator);
      const settings = largeSettings(emulator, setup, { rejected_rows: { policy: "skip" } });
      (settings.large_messages as Record<string, unknown>).endpoint = proxy.endpoint;
      const rows = Array.from({ length: 10 }, (_, index) => sizedRow(`row-${index}`, 80_000));
      const result = await runSync(emulator, settings, rowsThenState([sizedRow("small", 100), ...rows]));
      assert.equal(result.code, 1, describeRun(result));
      assert.equal(result.states.length, 0);
      assert.equal(result.error?.failure_type, "config_error");
      assert.match(
        result.error?.message ?? "",
        new RegExp(
          `s3://${setup.bucket}/destination-sqs/ \\(large_messages\\.bucket\\): s3:PutObject failed with AccessDenied; grant s3:PutObject`,
        ),
      );
      assert.deepEqual(rejectionWarnings(result), [], "no row is blamed");
    } finally {
      await proxy.stop();
      await emulator.stop();
    }
  });

  test("uploads throttled past retry_max_seconds fail the sync naming S3 and the bucket, not SQS, with no STATE", async () => {
    const emulator = await startFauxqs();
    const proxy = await startFaultProxy({
      target: emulator.endpoint,
      seed: 1,
      faultRate: 1,
      faults: ["throttle"],
      requests: "s3_put_object",
    });
    try {
      const setup = await setUp(emulator);
      const settings = largeSettings(emulator, setup, { retry_max_seconds: 2 });
      (settings.large_messages as Record<string, unknown>).endpoint = proxy.endpoint;
      const result = await runSync(emulator, settings, rowsThenState([sizedRow("large", 80_000)]));
      assert.equal(result.code, 1, describeRun(result));
      assert.equal(result.states.length, 0);
      const message = result.error?.message ?? "";
      assert.match(
        message,
        new RegExp(
          `^Gave up storing message bodies in S3 \\(large_messages\\).* kept failing .* last error S3\\.SlowDown: PutObject of the message body to s3://${setup.bucket}/`,
        ),
      );
      assert.doesNotMatch(message, /SQS queue|throttling limits/);
      assert.deepEqual(await emulator.receiveAll(setup.queueUrl), []);
    } finally {
      await proxy.stop();
      await emulator.stop();
    }
  });
});

forEachEmulator("large messages through S3, a missing bucket", (context) => {
  test("a missing bucket fails the sync as a config error naming it, even when rejected rows are skipped", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    const settings = largeSettings(emulator, { ...setup, bucket: `${setup.bucket}-missing` }, { rejected_rows: { policy: "skip" } });
    const result = await runSync(emulator, settings, rowsThenState([sizedRow("small", 100), sizedRow("large", 100_000)]));
    assert.equal(result.code, 1, describeRun(result));
    assert.equal(result.states.length, 0);
    assert.equal(result.error?.failure_type, "config_error");
    assert.match(
      result.error?.message ?? "",
      /s3:\/\/.*-missing\/destination-sqs\/ \(large_messages\.bucket\): s3:PutObject failed with NoSuchBucket/,
    );
    assert.deepEqual(rejectionWarnings(result), [], "no row is blamed");
  });
});
