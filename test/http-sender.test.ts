import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createAwsClients } from "../src/aws/clients.js";
import { bodyMd5 } from "../src/delivery/batch-outcome.js";
import { Cancellation, requestCancelled } from "../src/delivery/cancellation.js";
import { fatalSendError } from "../src/delivery/errors.js";
import { HttpBatchSender } from "../src/delivery/http-sender.js";
import { SdkBatchSender } from "../src/delivery/sdk-sender.js";
import { classifySendError, SendFailure } from "../src/aws/send-failure.js";
import type { BatchEntry, BatchResult } from "../src/delivery/types.js";
import { outgoing } from "./helpers/delivery-fakes.js";
import { listenOnLoopback } from "./helpers/fake-endpoints.js";
import { emulatorConfig, forEachEmulator, uniqueQueueName, withMoto, type Emulator } from "./helpers/emulators.js";
import { TEST_REGION } from "./helpers/config.js";

function entriesOf(queueUrl: string, count: number, fields = {}): BatchEntry[] {
  return Array.from({ length: count }, (_, n) => ({ id: String(n), message: outgoing(queueUrl, n, fields) }));
}

function senderFor(endpoint: string, credentials = { accessKeyId: "test", secretAccessKey: "test" }, maxSockets = 8): HttpBatchSender {
  const client = new SQSClient({ region: TEST_REGION, endpoint, credentials });
  return new HttpBatchSender(client, { region: TEST_REGION, endpoint, maxSockets });
}

/** What a failed send rejected with, which must be a SendFailure. */
async function failureOf(promise: Promise<unknown>): Promise<SendFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SendFailure, `rejected with ${String(error)}`);
    return error;
  }
  assert.fail("expected the request to fail");
}

forEachEmulator("HttpBatchSender", (context) => {
  let emulator: Emulator;
  let sender: HttpBatchSender;
  before(() => {
    emulator = context.emulator;
    sender = senderFor(emulator.endpoint);
  });
  after(() => sender.destroy());

  it("stores every entry of a batch, with bodies, attributes and the MD5 of each body", async () => {
    const queueUrl = await emulator.createQueue(uniqueQueueName("http-sender"));
    const entries = entriesOf(queueUrl, 10, {
      attributes: {
        tenant: { DataType: "String", StringValue: "acme" },
        score: { DataType: "Number", StringValue: "42" },
        raw: { DataType: "Binary", BinaryValue: Buffer.from([0, 1, 2, 255]) },
      },
    });
    entries[3]!.message.body = JSON.stringify({ text: 'quotes " backslash \\ accents é ü 中 newline \n' });

    const result = await sender.sendBatch(queueUrl, entries, new Cancellation());

    assert.deepEqual(result.failed, []);
    assert.deepEqual(
      result.successful.map((entry) => [entry.id, entry.md5OfBody]).sort(),
      entries.map((entry) => [entry.id, bodyMd5(entry.message.body)]).sort(),
    );
    const received = await emulator.receiveAll(queueUrl, { expected: 10 });
    assert.deepEqual(received.map((message) => message.body).sort(), entries.map((entry) => entry.message.body).sort());
    const attributes = received[0]!.messageAttributes;
    assert.equal(attributes.tenant?.StringValue, "acme");
    assert.equal(attributes.score?.StringValue, "42");
    assert.deepEqual([...(attributes.raw?.BinaryValue ?? [])], [0, 1, 2, 255]);
  });

  it("returns the entry SQS refuses as a sender fault, and stores the others", async (t) => {
    if (emulator.name === "moto") return t.skip("moto accepts control characters in bodies");
    const queueUrl = await emulator.createQueue(uniqueQueueName("http-sender"));
    const entries = entriesOf(queueUrl, 3);
    entries[1]!.message.body = "a raw control character: \u0001";

    const result = await sender.sendBatch(queueUrl, entries, new Cancellation());

    assert.deepEqual(result.successful.map((entry) => entry.id).sort(), ["0", "2"]);
    assert.deepEqual(
      result.failed.map(({ id, senderFault }) => ({ id, senderFault })),
      [{ id: "1", senderFault: true }],
    );
  });

  it("sends FIFO group and deduplication ids, keeping the order within a group", async () => {
    const queueUrl = await emulator.createQueue(uniqueQueueName("http-sender", true));
    const entries = entriesOf(queueUrl, 5, { groupId: "tenant-1" }).map((entry, n) => ({
      ...entry,
      message: { ...entry.message, dedupId: `dedup-${n}` },
    }));

    const result = await sender.sendBatch(queueUrl, entries, new Cancellation());

    assert.equal(result.successful.length, 5);
    const received = await emulator.receiveAll(queueUrl, { expected: 5 });
    assert.deepEqual(
      received.map((message) => message.body),
      entries.map((entry) => entry.message.body),
    );
    assert.deepEqual(new Set(received.map((message) => message.groupId)), new Set(["tenant-1"]));
    assert.deepEqual(
      received.map((message) => message.dedupId),
      ["dedup-0", "dedup-1", "dedup-2", "dedup-3", "dedup-4"],
    );
  });

  it("reports a queue that does not exist as such: its rows are rejected, the sync goes on", async () => {
    const queueUrl = `${emulator.endpoint}/123456789012/${uniqueQueueName("never-created")}`;
    const error = await failureOf(sender.sendBatch(queueUrl, entriesOf(queueUrl, 2), new Cancellation()));

    assert.equal(classifySendError(error).kind, "reject");
  });

  it("classifies every error exactly as the SDK sender's failure for the same answer", async () => {
    const queueUrl = `${emulator.endpoint}/123456789012/${uniqueQueueName("never-created")}`;
    const client = createAwsClients(emulatorConfig(emulator)).sqs;
    const sdkError = await failureOf(new SdkBatchSender(client).sendBatch(queueUrl, entriesOf(queueUrl, 1), new Cancellation()));
    const leanError = await failureOf(sender.sendBatch(queueUrl, entriesOf(queueUrl, 1), new Cancellation()));
    client.destroy();

    assert.deepEqual(classifySendError(leanError).kind, classifySendError(sdkError).kind);
    assert.deepEqual(classifySendError(leanError).code, classifySendError(sdkError).code);
  });
});

withMoto("HttpBatchSender signing", (context) => {
  it("signs requests moto verifies, and reports a wrong secret and missing permission as fatal", async () => {
    const moto = context.emulator;
    const queueUrl = await moto.createQueue(uniqueQueueName("signed"));
    const allowed = await moto.createUser("http-sender-allowed", ["sqs:SendMessage", "sqs:SendMessageBatch"]);
    const denied = await moto.createUser("http-sender-denied", ["sqs:ListQueues"]);
    await moto.enforceAuth();
    const allowedSender = senderFor(moto.endpoint, allowed);
    const deniedSender = senderFor(moto.endpoint, denied);
    const forgedSender = senderFor(moto.endpoint, { ...allowed, secretAccessKey: `${allowed.secretAccessKey}x` });
    try {
      const result = await allowedSender.sendBatch(queueUrl, entriesOf(queueUrl, 3), new Cancellation());
      assert.equal(result.successful.length, 3);

      const forged = classifySendError(await failureOf(forgedSender.sendBatch(queueUrl, entriesOf(queueUrl, 1), new Cancellation())));
      assert.deepEqual([forged.kind, forged.code], ["fatal", "SignatureDoesNotMatch"]);

      const error = await failureOf(deniedSender.sendBatch(queueUrl, entriesOf(queueUrl, 1), new Cancellation()));
      const classified = classifySendError(error);
      assert.equal(classified.kind, "fatal");
      assert.match(fatalSendError(classified, queueUrl).message, /denied SendMessageBatch.*grant sqs:SendMessage/);
    } finally {
      allowedSender.destroy();
      deniedSender.destroy();
      forgedSender.destroy();
    }
  });
});

/** A scripted SQS: answers each request with the next reply. */
interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer (for the timeout test). */
  hang?: boolean;
}

describe("HttpBatchSender error mapping (scripted endpoint)", () => {
  let server: Server;
  let endpoint: string;
  let reply: Reply = { status: 200, body: "{}" };
  const requests: { headers: IncomingMessage["headers"]; body: string }[] = [];

  before(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
        if (reply.hang) return;
        response.writeHead(reply.status, reply.headers ?? {});
        response.end(reply.body ?? "");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const queueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
  const jsonError = (status: number, type: string, queryCode?: string): Reply => ({
    status,
    headers: {
      "content-type": "application/x-amz-json-1.0",
      ...(queryCode ? { "x-amzn-query-error": `${queryCode};Sender` } : {}),
    },
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message: `${type} happened` }),
  });

  async function send(answer: Reply): Promise<{ result?: BatchResult; error?: unknown }> {
    reply = answer;
    const sender = senderFor(endpoint);
    try {
      return { result: await sender.sendBatch(queueUrl, entriesOf(queueUrl, 3), new Cancellation()) };
    } catch (error) {
      return { error };
    } finally {
      sender.destroy();
    }
  }

  it("sends an AWS JSON 1.0 request, signed, to the configured endpoint whatever the queue URL's host", async () => {
    requests.length = 0;
    await send({ status: 200, body: JSON.stringify({ Successful: [], Failed: [] }) });
    const [request] = requests;
    assert.equal(request?.headers["x-amz-target"], "AmazonSQS.SendMessageBatch");
    assert.equal(request?.headers["content-type"], "application/x-amz-json-1.0");
    assert.match(String(request?.headers.authorization), /^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/sqs\/aws4_request/);
    const signedAt = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(request?.headers["x-amz-date"]));
    assert.ok(signedAt, `x-amz-date ${String(request?.headers["x-amz-date"])} is not SigV4's basic ISO 8601 time`);
    const [, year, month, day, hour, minute, second] = signedAt;
    assert.ok(Math.abs(Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`) - Date.now()) < 5000);
    const body = JSON.parse(request?.body ?? "{}") as { QueueUrl: string; Entries: { Id: string; MessageBody: string }[] };
    assert.equal(body.QueueUrl, queueUrl);
    assert.deepEqual(
      body.Entries.map((entry) => entry.Id),
      ["0", "1", "2"],
    );
  });

  it("returns partial failures entry by entry: sender faults and retriable ones", async () => {
    const { result } = await send({
      status: 200,
      body: JSON.stringify({
        Successful: [{ Id: "0", MessageId: "m0", MD5OfMessageBody: "abc" }],
        Failed: [
          { Id: "1", SenderFault: true, Code: "InvalidParameterValue", Message: "bad delay" },
          { Id: "2", SenderFault: false, Code: "InternalError" },
        ],
      }),
    });
    assert.deepEqual(result, {
      successful: [{ id: "0", sqsMessageId: "m0", md5OfBody: "abc", md5OfAttributes: undefined, sequenceNumber: undefined }],
      failed: [
        { id: "1", senderFault: true, code: "InvalidParameterValue", message: "bad delay" },
        { id: "2", senderFault: false, code: "InternalError", message: undefined },
      ],
    });
  });

  const cases: { name: string; answer: Reply; kind: string; code: string }[] = [
    { name: "throttling", answer: jsonError(400, "RequestThrottled", "RequestThrottled"), kind: "retry", code: "RequestThrottled" },
    { name: "throttling (ThrottlingException)", answer: jsonError(400, "ThrottlingException"), kind: "retry", code: "ThrottlingException" },
    { name: "a 500 with a JSON error", answer: jsonError(500, "InternalError"), kind: "retry", code: "InternalError" },
    { name: "a 503 with no body", answer: { status: 503 }, kind: "retry", code: "HTTP 503" },
    { name: "a 502 HTML page from a proxy", answer: { status: 502, body: "<html>Bad gateway</html>" }, kind: "retry", code: "HTTP 502" },
    {
      name: "a missing queue",
      answer: jsonError(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"),
      kind: "reject",
      code: "QueueDoesNotExist",
    },
    {
      name: "access denied (JSON)",
      answer: jsonError(403, "AccessDeniedException", "AccessDenied"),
      kind: "fatal",
      code: "AccessDeniedException",
    },
    {
      name: "access denied (XML, as some emulators answer)",
      answer: { status: 403, body: "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>" },
      kind: "fatal",
      code: "AccessDenied",
    },
    { name: "a bad signature", answer: jsonError(403, "SignatureDoesNotMatch"), kind: "fatal", code: "SignatureDoesNotMatch" },
  ];
  for (const { name, answer, kind, code } of cases) {
    it(`classifies ${name} as ${kind}`, async () => {
      const { error } = await send(answer);
      assert.ok(error instanceof SendFailure);
      const classified = classifySendError(error);
      assert.equal(classified.kind, kind);
      assert.equal(classified.code, code);
      assert.equal(error.httpStatus, answer.status);
    });
  }

  it("gives up on a request when it is cancelled (the request timeout), as a retriable error", async () => {
    reply = { status: 200, hang: true };
    const sender = senderFor(endpoint);
    const cancellation = new Cancellation();
    const pending = sender.sendBatch(queueUrl, entriesOf(queueUrl, 1), cancellation);
    setImmediate(() => cancellation.cancel(requestCancelled("the test timed it out")));
    const error = await failureOf(pending);
    sender.destroy();
    assert.equal(classifySendError(error).kind, "retry");
  });

  it("keeps every socket open between swings of the requests in flight, more than Node's 256 idle ones included", async () => {
    const answering = await listenOnLoopback(
      createServer((request, response) => {
        request.resume();
        request.on("end", () => response.end(JSON.stringify({ Successful: [], Failed: [] })));
      }),
    );
    const inFlight = 300;
    const sender = senderFor(answering.endpoint, undefined, inFlight);
    try {
      for (let swing = 0; swing < 2; swing++) {
        await Promise.all(Array.from({ length: inFlight }, () => sender.sendBatch(queueUrl, entriesOf(queueUrl, 1), new Cancellation())));
      }
      assert.equal(answering.connections, inFlight);
    } finally {
      sender.destroy();
      await answering.stop();
    }
  });

  it("treats a refused connection as retriable", async () => {
    const sender = senderFor("http://127.0.0.1:1");
    const error = await failureOf(sender.sendBatch(queueUrl, entriesOf(queueUrl, 1), new Cancellation()));
    sender.destroy();
    assert.equal(classifySendError(error).kind, "retry");
  });
});
