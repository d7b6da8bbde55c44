// Large messages through S3 in the SQS Extended Client format: the format itself, the config and
// composition rules, the offloading sender against fakes, and whole syncs on the emulators read back
// by a consumer that follows the documented pointer format. A sync whose bucket is missing is in
// test/slow/large-messages-e2e.test.ts.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { S3Client } from "@aws-sdk/client-s3";
import type { RowInput } from "../src/compose/composer.js";
import { accepted, rejected, composerFor } from "./helpers/compose.js";
import { validateConfig } from "../src/config/load.js";
import { UserFacingError } from "../src/errors.js";
import { bodyMd5 } from "../src/delivery/batch-outcome.js";
import { Cancellation } from "../src/delivery/cancellation.js";
import type { BatchEntry, BatchResult, BatchSender, OutgoingMessage } from "../src/delivery/types.js";
import { objectKey, pointerBody } from "../src/large-messages/extended-client-format.js";
import { probeS3Place } from "../src/aws/s3-probe.js";
import { OffloadingSender } from "../src/large-messages/offloading-sender.js";
import { LargeMessagePolicy } from "../src/large-messages/policy.js";
import { describeRun, rowsThenState, runSync, STREAM } from "./helpers/compose-e2e.js";
import { runCheck } from "../src/commands/check.js";
import { emulatorConfig, forEachEmulator, withMoto } from "./helpers/emulators.js";
import type { IamUser } from "./helpers/iam.js";
import { objectKeys, testS3Client } from "./helpers/s3.js";
import { sdkServiceError } from "./helpers/delivery-fakes.js";
import { apiCalls, consumeAll, largeSettings, type Setup, setUp, sizedRow, summaryOf, THRESHOLD } from "./helpers/large-messages-e2e.js";

const BASE = {
  region: "us-east-1",
  credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "test" },
  queue: { source: "static", value: "orders" },
};

function configWith(settings: Record<string, unknown>) {
  return validateConfig({ ...BASE, ...settings }, "the test config");
}

const S3_POLICY = { policy: "s3", bucket: "payloads", prefix: "dsqs/" };

function row(data: Record<string, unknown>): RowInput {
  return { data, change: "added", stream: STREAM, emittedAt: 0 };
}

describe("the SQS Extended Client format", () => {
  test("the pointer body is the Jackson-typed PayloadS3Pointer the libraries read", () => {
    assert.equal(
      pointerBody("my-payloads", "dsqs/a/b"),
      '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"my-payloads","s3Key":"dsqs/a/b"}]',
    );
  });

  test("object keys are deterministic per message id and body, and S3-safe", () => {
    const key = objectKey("dsqs/", "order 7/é", '{"a":1}');
    assert.equal(key, objectKey("dsqs/", "order 7/é", '{"a":1}'));
    assert.notEqual(key, objectKey("dsqs/", "order 7/é", '{"a":2}'));
    assert.match(key, /^dsqs\/order_7__\/[0-9a-f]{64}$/);
    assert.ok(objectKey("", "x".repeat(5000), "{}").length < 300, "long ids are shortened");
  });

  test("object keys have no '.', '..' or empty segment, whatever the message id", () => {
    for (const messageId of [".", "..", "", "/", "./..", "..."]) {
      for (const prefix of ["", "dsq/"]) {
        const segments = objectKey(prefix, messageId, "{}").split("/");
        assert.ok(
          segments.every((segment) => segment !== "" && segment !== "." && segment !== ".."),
          `${JSON.stringify(messageId)} → ${segments.join("/")}`,
        );
      }
    }
    assert.match(objectKey("dsq/", "..", "{}"), /^dsq\/__\/[0-9a-f]{64}$/);
    assert.match(objectKey("dsq/", "...", "{}"), /^dsq\/\.\.\.\/[0-9a-f]{64}$/, "other ids are kept as they are");
  });
});

describe("large_messages configuration", () => {
  test("defaults to reject", () => {
    assert.deepEqual(configWith({}).large_messages, { policy: "reject" });
  });

  test("s3 takes the S3 settings and defaults always to false and the size attribute to SQSLargePayloadSize", () => {
    const config = configWith({ large_messages: { ...S3_POLICY, endpoint: "http://127.0.0.1:4566", force_path_style: true } });
    assert.deepEqual(config.large_messages, {
      ...S3_POLICY,
      endpoint: "http://127.0.0.1:4566",
      force_path_style: true,
      always: false,
      size_attribute: "SQSLargePayloadSize",
    });
    const current = configWith({ large_messages: { ...S3_POLICY, size_attribute: "ExtendedPayloadSize" } }).large_messages;
    assert.equal(current.policy === "s3" && current.size_attribute, "ExtendedPayloadSize");
    assert.throws(() => configWith({ large_messages: { ...S3_POLICY, size_attribute: "PayloadSize" } }), /large_messages\.size_attribute/);
  });

  test("refuses a threshold over max_message_bytes, a reserved attribute name, and 10 attributes with always", () => {
    const attributes = Array.from({ length: 10 }, (_, index) => ({
      name: index === 0 ? "ExtendedPayloadSize" : `a${index}`,
      data_type: "String",
      value: { source: "static", value: "v" },
    }));
    assert.throws(
      () =>
        configWith({
          max_message_bytes: 262144,
          message_attributes: attributes,
          large_messages: { ...S3_POLICY, threshold_bytes: 300000, always: true },
        }),
      (error: Error) => {
        assert.match(error.message, /large_messages\.threshold_bytes \(300000\) is over max_message_bytes \(262144\)/);
        assert.match(error.message, /message_attributes\[0\]\.name "ExtendedPayloadSize" is reserved/);
        assert.match(error.message, /large_messages\.always .* use at most 9 message_attributes/);
        return true;
      },
    );
  });

  test("refuses a prefix with characters the Extended Client does not allow", () => {
    assert.throws(() => configWith({ large_messages: { ...S3_POLICY, prefix: "a b/" } }), /large_messages\.prefix/);
  });
});

describe("composing large messages", () => {
  const big = { id: "big", text: "x".repeat(2000) };

  test("with reject, a message over max_message_bytes is rejected with a hint at large_messages", () => {
    const result = rejected(composerFor(configWith({ max_message_bytes: 1024 })).compose(row(big)));
    assert.match(result.reason, /over max_message_bytes \(1024\).*large_messages\.policy to "s3"/);
  });

  test("with s3, a message over the threshold is composed whole", () => {
    const result = accepted(composerFor(configWith({ max_message_bytes: 1024, large_messages: S3_POLICY })).compose(row(big)));
    assert.equal(result.body, JSON.stringify(big));
  });

  test("with s3, a large message with 10 attributes is rejected: the pointer needs one", () => {
    const attributes = Array.from({ length: 10 }, (_, index) => ({
      name: `a${index}`,
      data_type: "String",
      value: { source: "static", value: "v" },
    }));
    const config = configWith({ max_message_bytes: 1024, message_attributes: attributes, large_messages: S3_POLICY });
    const composer = composerFor(config);
    accepted(composer.compose(row({ id: "small" })), "a small message that keeps its 10 attributes");
    const result = rejected(composer.compose(row(big)));
    assert.equal(result.setting, "large_messages");
    assert.match(result.reason, /has 10 message attributes: the S3 pointer needs one of the 10 SQS allows \(SQSLargePayloadSize\)/);
  });

  test("the threshold and always decide what goes through S3", () => {
    const threshold = LargeMessagePolicy.of(configWith({ large_messages: { ...S3_POLICY, threshold_bytes: 100 } }));
    assert.equal(threshold.offloads(100), false);
    assert.equal(threshold.offloads(101), true);
    const always = LargeMessagePolicy.of(configWith({ large_messages: { ...S3_POLICY, always: true } }));
    assert.equal(always.offloads(1), true);
    assert.equal(LargeMessagePolicy.of(configWith({})).offloads(10_000_000), false);
  });
});

// ---------------------------------------------------------------------------------------------
// The offloading sender against a fake S3 and a fake SQS sender

interface PutCall {
  Bucket: string;
  Key: string;
  Body: string;
}

function fakeS3(fail: (call: PutCall) => Error | undefined = () => undefined): { client: S3Client; puts: PutCall[] } {
  const puts: PutCall[] = [];
  const client = {
    async send(command: { input: PutCall }) {
      puts.push(command.input);
      const error = fail(command.input);
      if (error) throw error;
      return {};
    },
  } as unknown as S3Client;
  return { client, puts };
}

class RecordingSender implements BatchSender {
  readonly batches: BatchEntry[][] = [];
  constructor(private readonly answer: (entries: BatchEntry[]) => BatchResult = acceptAll) {}
  async sendBatch(_queueUrl: string, entries: BatchEntry[]): Promise<BatchResult> {
    this.batches.push(entries);
    return this.answer(entries);
  }
}

function acceptAll(entries: BatchEntry[]): BatchResult {
  return { successful: entries.map(({ id, message }) => ({ id, md5OfBody: bodyMd5(message.body) })), failed: [] };
}

function message(messageId: string, bodyBytes: number, groupId?: string): OutgoingMessage {
  const body = JSON.stringify({ id: messageId, pad: "p".repeat(Math.max(0, bodyBytes - 20)) });
  return { queueUrl: "q", messageId, body, bytes: Buffer.byteLength(body), ticket: 0, ...(groupId ? { groupId } : {}) };
}

function entriesOf(...messages: OutgoingMessage[]): BatchEntry[] {
  return messages.map((message, index) => ({ id: String(index), message }));
}

describe("the offloading sender", () => {
  const config = configWith({ large_messages: { ...S3_POLICY, threshold_bytes: 1000 } });
  const policy = LargeMessagePolicy.of(config);

  test("stores large bodies first and sends pointers with SQSLargePayloadSize; small ones pass through", async () => {
    const s3 = fakeS3();
    const sqs = new RecordingSender();
    const sender = new OffloadingSender(sqs, s3.client, policy, { fifo: false, config });
    const large = message("large", 5000);
    const small = message("small", 100);
    const result = await sender.sendBatch("q", entriesOf(large, small), new Cancellation());

    assert.deepEqual(
      s3.puts.map((put) => [put.Bucket, put.Key, put.Body]),
      [["payloads", objectKey("dsqs/", "large", large.body), large.body]],
    );
    const [pointer, passed] = sqs.batches[0]!;
    assert.equal(pointer!.message.body, pointerBody("payloads", objectKey("dsqs/", "large", large.body)));
    assert.deepEqual(pointer!.message.attributes, {
      SQSLargePayloadSize: { DataType: "Number", StringValue: String(Buffer.byteLength(large.body)) },
    });
    assert.equal(passed!.message, small);
    // The pointer's MD5 is checked here; delivery, which knows only the original body, gets none to
    // check, and the receipt names where the body went.
    assert.deepEqual(result.successful, [
      { id: "0", md5OfBody: undefined, offloadedTo: `s3://payloads/${objectKey("dsqs/", "large", large.body)}` },
      { id: "1", md5OfBody: bodyMd5(small.body) },
    ]);
  });

  test("with size_attribute ExtendedPayloadSize, pointers carry that name instead", async () => {
    const currentConfig = configWith({ large_messages: { ...S3_POLICY, threshold_bytes: 1000, size_attribute: "ExtendedPayloadSize" } });
    const current = LargeMessagePolicy.of(currentConfig);
    const sqs = new RecordingSender();
    const large = message("large", 5000);
    await new OffloadingSender(sqs, fakeS3().client, current, { fifo: false, config: currentConfig }).sendBatch(
      "q",
      entriesOf(large),
      new Cancellation(),
    );
    assert.deepEqual(sqs.batches[0]![0]!.message.attributes, {
      ExtendedPayloadSize: { DataType: "Number", StringValue: String(Buffer.byteLength(large.body)) },
    });
  });

  test("a retry after SQS failed sends the same pointer without storing the body again", async () => {
    const s3 = fakeS3();
    let calls = 0;
    const sqs = new RecordingSender((entries) =>
      ++calls === 1
        ? { successful: [], failed: entries.map(({ id }) => ({ id, senderFault: false, code: "InternalError" })) }
        : acceptAll(entries),
    );
    const sender = new OffloadingSender(sqs, s3.client, policy, { fifo: false, config });
    const entries = entriesOf(message("large", 5000));
    await sender.sendBatch("q", entries, new Cancellation());
    await sender.sendBatch("q", entries, new Cancellation());
    assert.equal(s3.puts.length, 1);
    assert.equal(sqs.batches[0]![0]!.message, sqs.batches[1]![0]!.message);
  });

  test("a failed upload comes back as a failed entry: retriable, or the row's rejection with the S3 code", async () => {
    const s3 = fakeS3((put) =>
      put.Key.includes("refused")
        ? sdkServiceError("InvalidArgument", "refused by the fake", 400)
        : sdkServiceError("SlowDown", "slow down", 503),
    );
    const sqs = new RecordingSender();
    const sender = new OffloadingSender(sqs, s3.client, policy, { fifo: false, config });
    const result = await sender.sendBatch(
      "q",
      entriesOf(message("refused", 5000), message("slow", 5000), message("small", 10)),
      new Cancellation(),
    );
    assert.deepEqual(
      sqs.batches[0]!.map(({ id }) => id),
      ["2"],
    );
    const failed = new Map(result.failed.map((failure) => [failure.id, failure]));
    assert.equal(failed.get("0")?.senderFault, true);
    assert.equal(failed.get("0")?.code, "S3.InvalidArgument");
    assert.match(failed.get("0")?.message ?? "", /PutObject of the message body to s3:\/\/payloads\/dsqs\/refused\/.*refused by the fake/);
    assert.equal(failed.get("1")?.senderFault, false);
    assert.equal(failed.get("1")?.code, "S3.SlowDown");
  });

  test("a bucket that refuses the connector is no row's fault: the send fails with a config error naming the bucket", async () => {
    for (const [code, status, advice] of [
      ["AccessDenied", 403, /s3:PutObject failed with AccessDenied; grant s3:PutObject on arn:aws:s3:::payloads\/dsqs\/\*/],
      ["NoSuchBucket", 404, /the bucket "payloads" does not exist/],
    ] as const) {
      const sqs = new RecordingSender();
      const sender = new OffloadingSender(sqs, fakeS3(() => sdkServiceError(code, "refused by the fake", status)).client, policy, {
        fifo: false,
        config,
      });
      await assert.rejects(sender.sendBatch("q", entriesOf(message("large", 5000)), new Cancellation()), (error: unknown) => {
        assert.ok(error instanceof UserFacingError);
        assert.equal(error.failureType, "config_error");
        assert.match(error.message, /^The large-message store s3:\/\/payloads\/dsqs\/ \(large_messages\.bucket\)/);
        assert.match(error.message, advice);
        return true;
      });
      assert.deepEqual(sqs.batches, [], "nothing is sent to SQS");
    }
  });

  test("check's probe write that got no answer is deleted, and named in case it lands later", async () => {
    const calls: string[] = [];
    const client = {
      async send(command: { constructor: { name: string }; input: { Key: string } }) {
        calls.push(`${command.constructor.name} ${command.input.Key}`);
        if (command.constructor.name === "PutObjectCommand") throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
        return {};
      },
    } as unknown as S3Client;
    const probe = await probeS3Place(client, { setting: "large_messages", bucket: "payloads", prefix: "dsqs/" }, config);
    assert.ok(!probe.ok);
    const key = /^PutObjectCommand (dsqs\/destination-sqs-check-[0-9a-f-]+)$/.exec(calls[0] ?? "")?.[1];
    assert.ok(key !== undefined, calls.join("\n"));
    assert.deepEqual(calls, [`PutObjectCommand ${key}`, `DeleteObjectCommand ${key}`]);
    assert.match(probe.message, new RegExp(`The probe object ${key} may still be stored .* delete it\\.$`));

    const refused = await probeS3Place(
      fakeS3(() => sdkServiceError("AccessDenied", "denied", 403)).client,
      { setting: "large_messages", bucket: "payloads", prefix: "dsqs/" },
      config,
    );
    assert.ok(!refused.ok);
    assert.doesNotMatch(refused.message, /may still be stored/, "S3 answered: nothing was stored");
  });

  test("uploads are bounded in number, whatever the batch holds", async () => {
    let active = 0;
    let mostActive = 0;
    const client = {
      async send() {
        mostActive = Math.max(mostActive, ++active);
        await new Promise((resolve) => setImmediate(resolve));
        active--;
        return {};
      },
    } as unknown as S3Client;
    const sender = new OffloadingSender(new RecordingSender(), client, policy, { fifo: false, config, maxConcurrentUploads: 3 });
    const batch = entriesOf(...Array.from({ length: 10 }, (_, index) => message(`m${index}`, 5000)));
    const result = await sender.sendBatch("q", batch, new Cancellation());
    assert.equal(result.successful.length, 10);
    assert.equal(mostActive, 3);
  });

  test("on a FIFO queue, a message whose body could not be stored holds back the rest of its group", async () => {
    const s3 = fakeS3((put) => (put.Key.includes("a1") ? sdkServiceError("InternalError", "failed in the fake", 500) : undefined));
    const sqs = new RecordingSender();
    const sender = new OffloadingSender(sqs, s3.client, policy, { fifo: true, config });
    const result = await sender.sendBatch(
      "q",
      entriesOf(message("a1", 5000, "a"), message("a2", 10, "a"), message("b1", 10, "b"), message("b2", 5000, "b")),
      new Cancellation(),
    );
    assert.deepEqual(
      sqs.batches[0]!.map(({ id }) => id),
      ["2", "3"],
    );
    assert.deepEqual(
      result.failed.map(({ id, code, senderFault }) => [id, code, senderFault]),
      [
        ["0", "S3.InternalError", false],
        ["1", "HeldBack", false],
      ],
    );
  });
});

forEachEmulator("large messages through S3", (context) => {
  test("a consumer following the pointer format reads back exactly the bodies of a mixed batch", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    const rows = [
      sizedRow("small-1", 200),
      sizedRow("large-1", 300_000),
      sizedRow("medium-1", 70_000),
      sizedRow("small-2", 10),
      sizedRow("large-2", 1_200_000),
    ];
    const result = await runSync(emulator, largeSettings(emulator, setup, { log_api_calls: true }), rowsThenState(rows));
    assert.equal(result.code, 0, describeRun(result));
    assert.equal(result.states.length, 1, describeRun(result));

    const consumed = await consumeAll(emulator, setup.queueUrl, rows.length);
    const bodies = new Map(consumed.map((message) => [JSON.parse(message.body).id as string, message]));
    for (const expected of rows) {
      const got = bodies.get(expected.id as string);
      assert.ok(got, `message ${expected.id as string} arrived`);
      assert.equal(got.body, JSON.stringify(expected), `body of ${expected.id as string}`);
      assert.equal(got.fromS3, Buffer.byteLength(JSON.stringify(expected)) > THRESHOLD, `whether ${expected.id as string} went through S3`);
    }
    const s3 = testS3Client(emulator.endpoint);
    const keys = await objectKeys(s3, setup.bucket);
    s3.destroy();
    assert.equal(keys.length, 3);
    assert.ok(keys.every((key) => key.startsWith("destination-sqs/")));

    const summary = summaryOf(result);
    assert.equal(summary.totals.published, 5);
    assert.equal(summary.offloaded_to_s3?.messages, 3);
    assert.ok((summary.offloaded_to_s3?.bytes ?? 0) > 1_500_000);
    const puts = apiCalls(result).filter((call) => call.service === "S3" && call.action === "PutObject");
    assert.equal(puts.length, 3);
    assert.ok(puts.every((call) => call.outcome === "ok" && call.object?.startsWith(`s3://${setup.bucket}/destination-sqs/`)));
  });

  test("FIFO: bodies through S3 keep their group's order and a deduplication id from the original body", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator, true);
    const rows = Array.from({ length: 8 }, (_, index) => sizedRow(`row-${index}`, index % 3 === 0 ? 100_000 : 100));
    const settings = largeSettings(emulator, setup, { queue_type: "fifo", message_group_id: { source: "static", value: "g" } });
    const result = await runSync(emulator, settings, rowsThenState(rows));
    assert.equal(result.code, 0, describeRun(result));
    const consumed = await consumeAll(emulator, setup.queueUrl, rows.length);
    assert.deepEqual(
      consumed.map((message) => message.body),
      rows.map((data) => JSON.stringify(data)),
    );
    assert.deepEqual(
      consumed.map((message) => message.fromS3),
      rows.map((_, index) => index % 3 === 0),
    );
    assert.ok(
      consumed.every((message) => /^[0-9a-f]{64}$/.test(message.received.dedupId ?? "")),
      "dedup ids are hashes",
    );
  });

  test("check stores and deletes a probe object, and names the bucket and s3:PutObject when it cannot", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    // In process, as the IAM cases below: what only the CLI adds to a check is in test/check.test.ts.
    const check = (bucket: string) => runCheck(emulatorConfig(emulator, largeSettings(emulator, { ...setup, bucket })));
    const ok = await check(setup.bucket);
    assert.equal(ok.status, "SUCCEEDED", ok.message);
    assert.match(ok.message, /stored and deleted a probe object in S3 bucket "payloads-/);
    const s3 = testS3Client(emulator.endpoint);
    assert.deepEqual(await objectKeys(s3, setup.bucket), [], "the probe object is gone");
    s3.destroy();

    const missing = await check(`${setup.bucket}-missing`);
    assert.equal(missing.status, "FAILED");
    assert.match(
      missing.message,
      /probe object in the large-message store s3:\/\/payloads-.*-missing\/.* \(large_messages\.bucket\): s3:PutObject failed with NoSuchBucket; the bucket "payloads-.*-missing" does not exist: create it/,
    );
  });
});

withMoto("large messages: check with IAM enforced", (context) => {
  let setup: Setup;
  let listerOnly: IamUser;
  let writer: IamUser;
  let assumer: IamUser;
  let roleArn: string;

  before(async () => {
    const moto = context.emulator;
    setup = await setUp(moto);
    listerOnly = await moto.createUser("sqs-only", ["sqs:ListQueues"]);
    writer = await moto.createUser("payload-writer", ["sqs:ListQueues", "s3:PutObject"]);
    assumer = await moto.createUser("payload-assumer", ["sts:AssumeRole"]);
    roleArn = await moto.createRole("payload-role", ["sqs:ListQueues", "s3:PutObject", "s3:DeleteObject"], { userArn: assumer.arn });
    await moto.enforceAuth();
  });

  function check(user: IamUser, settings: Record<string, unknown> = {}) {
    const { emulator } = context;
    return runCheck(
      emulatorConfig(emulator, {
        ...largeSettings(emulator, setup),
        credentials: { auth_type: "access_key", access_key_id: user.accessKeyId, secret_access_key: user.secretAccessKey },
        ...settings,
      }),
    );
  }

  test("credentials without s3:PutObject fail naming the bucket and the permission", async () => {
    const result = await check(listerOnly);
    assert.equal(result.status, "FAILED");
    assert.match(
      result.message,
      new RegExp(`s3://${setup.bucket}/.* \\(large_messages\\.bucket\\): s3:PutObject failed with AccessDenied; grant s3:PutObject`),
    );
  });

  test("s3:PutObject is enough; a refused delete of the probe object is only a note", async () => {
    const result = await check(writer);
    assert.equal(result.status, "SUCCEEDED", result.message);
    assert.match(
      result.message,
      /could not delete it \(AccessDenied\): delete .*destination-sqs-check-.* by hand, or grant s3:DeleteObject/,
    );
  });

  test("S3 calls use the assumed role", async () => {
    const result = await check(assumer, { role_arn: roleArn });
    assert.equal(result.status, "SUCCEEDED", result.message);
    assert.match(result.message, /stored and deleted a probe object/);
  });
});
