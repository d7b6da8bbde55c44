import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Delivery } from "../src/delivery/delivery.js";
import { fatalSendError } from "../src/delivery/errors.js";
import { SdkBatchSender } from "../src/delivery/sdk-sender.js";
import { classifySendError, sendFailureOf } from "../src/aws/send-failure.js";
import type { BatchSender } from "../src/delivery/types.js";
import { UserFacingError } from "../src/errors.js";
import { ObservedSender } from "../src/observe/observed-sender.js";
import {
  FakeSender,
  eventually,
  failSuffix,
  isPending,
  md5,
  outgoing,
  sdkServiceError,
  serviceError,
  options,
  range,
  recorder,
  submitAll,
  succeedAll,
  throttlingError,
} from "./helpers/delivery-fakes.js";
import { assertFifoOrderThroughFaults, assertLandsExactlyOnce, fauxqsForSuite } from "./helpers/delivery-volume.js";

const QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function socketError(code: string): Error {
  return Object.assign(new Error(`${code} on the socket`), { code });
}

describe("classifySendError", () => {
  const retriable: [string, unknown][] = [
    ["RequestThrottled", serviceError("RequestThrottled", "slow down")],
    ["ThrottlingException", throttlingError()],
    ["Throttling", serviceError("Throttling", "slow down")],
    ["TooManyRequestsException", serviceError("TooManyRequestsException", "slow down")],
    ["HTTP 429", serviceError("Unknown", "too many", 429)],
    ["HTTP 503", serviceError("Unknown", "unavailable", 503)],
    ["InternalError", serviceError("InternalError", "oops", 500)],
    ["ServiceUnavailable", serviceError("ServiceUnavailable", "down", 503)],
    ["ECONNRESET", socketError("ECONNRESET")],
    ["ECONNREFUSED", socketError("ECONNREFUSED")],
    ["EPIPE", socketError("EPIPE")],
    ["ETIMEDOUT", socketError("ETIMEDOUT")],
    ["TimeoutError", serviceError("TimeoutError", "socket timed out", 0)],
    ["AbortError", serviceError("AbortError", "Request aborted", 0)],
    ["RequestTimeout", serviceError("RequestTimeout", "timed out")],
    ["a cause's ECONNRESET", new Error("request failed", { cause: socketError("ECONNRESET") })],
  ];
  for (const [label, error] of retriable) {
    it(`retries ${label}`, () => assert.equal(classifySendError(sendFailureOf(error)).kind, "retry"));
  }

  it("rejects the rows of a request to a queue that does not exist", () => {
    assert.equal(classifySendError(serviceError("QueueDoesNotExist", "The queue does not exist.")).kind, "reject");
    const queryCompatible = Object.assign(sdkServiceError("Unknown", "gone"), {
      Code: "AWS.SimpleQueueService.NonExistentQueue",
    });
    assert.equal(classifySendError(sendFailureOf(queryCompatible)).kind, "reject");
  });

  const fatal = ["AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidParameterValue", "BatchRequestTooLong"];
  for (const code of fatal) {
    it(`stops the sync on ${code}`, () => assert.equal(classifySendError(serviceError(code, "no")).kind, "fatal"));
  }

  it("says which queue refused, why, and what to do, without credentials", () => {
    const denied = serviceError(
      "AccessDenied",
      "User arn:aws:iam::123456789012:user/etl with key AKIAIOSFODNN7EXAMPLE is not authorized; token " +
        "FQoGZXIvYXdzEJr//////////wEaDOL4bW9x8eVO5iTYfSKvAVh9yCP0Yv2aUjN0b4gy5Ms6d1cVK6x",
    );
    const error = fatalSendError(classifySendError(denied), QUEUE);
    assert.ok(error instanceof UserFacingError);
    assert.equal(error.failureType, "config_error");
    assert.match(error.message, /denied SendMessageBatch on queue .*orders: AccessDenied — grant sqs:SendMessage/);
    assert.doesNotMatch(`${error.message} ${error.detail}`, /AKIAIOSFODNN7EXAMPLE|FQoGZXIvYXdzEJr/);
  });
});

describe("Delivery against fauxqs", () => {
  const fauxqs = fauxqsForSuite();

  it("lands 500 messages on a standard queue exactly once", async () => {
    // test/slow/delivery-volume.test.ts lands 5,000.
    await assertLandsExactlyOnce(fauxqs.server, fauxqs.client, 500);
  });

  it("hands each acknowledged message SQS's receipt: its MessageId, the FIFO SequenceNumber and the MD5s", async () => {
    const { queueUrl } = fauxqs.server.createQueue("receipts.fifo", { attributes: { FifoQueue: "true" } });
    const seen = recorder();
    const delivery = new Delivery(new SdkBatchSender(fauxqs.client), options({ fifo: true }), seen.callbacks);
    const attributes = { source: { DataType: "String", StringValue: "orders" } };
    await submitAll(
      delivery,
      range(3).map((n) => outgoing(queueUrl, n, { groupId: "g", dedupId: `d-${n}`, attributes })),
    );
    await delivery.flush();

    const stored = fauxqs.server.inspectQueue("receipts.fifo")!.messages.ready;
    assert.deepEqual(
      seen.receipts.map((receipt) => receipt.sqsMessageId),
      stored.map((message) => message.messageId),
    );
    for (const [index, receipt] of seen.receipts.entries()) {
      assert.match(receipt.sequenceNumber ?? "", /^\d+$/);
      assert.equal(receipt.md5OfBody, md5(seen.acknowledged[index]!.body));
      assert.match(receipt.md5OfAttributes ?? "", /^[0-9a-f]{32}$/);
    }
  });

  it("keeps each FIFO group's order across 40 groups, through throttling and partial failures", async () => {
    // test/slow/delivery-volume.test.ts runs 200 groups.
    await assertFifoOrderThroughFaults(fauxqs.server, fauxqs.client, 40);
  });

  it("rejects every row routed to a queue that does not exist, and delivers the rest", async () => {
    const { queueUrl } = fauxqs.server.createQueue("still-here");
    const missing = queueUrl.replace("still-here", "never-created");
    const seen = recorder();
    const delivery = new Delivery(new SdkBatchSender(fauxqs.client), options(), seen.callbacks);
    await submitAll(
      delivery,
      range(30).map((n) => outgoing(n % 3 === 0 ? missing : queueUrl, n)),
    );
    await delivery.flush();

    assert.equal(seen.acknowledged.length, 20);
    assert.equal(seen.rejected.length, 10);
    for (const { message, reason, code } of seen.rejected) {
      assert.equal(message.queueUrl, missing);
      assert.match(code, /QueueDoesNotExist|NonExistentQueue/);
      assert.match(reason, /never-created does not exist/);
    }
  });
});

describe("Delivery batching and concurrency", () => {
  it("sends 1,000 small messages in 100 full requests", async () => {
    const sender = new FakeSender();
    const delivery = new Delivery(sender, options({ lingerMs: 60_000 }), recorder().callbacks);
    await submitAll(
      delivery,
      range(1000).map((n) => outgoing(QUEUE, n)),
    );
    await delivery.flush();
    assert.equal(sender.requests.length, 100);
    assert.ok(sender.requests.every((request) => request.entries.length === 10));
  });

  it("never puts more than 10 entries or maxBatchBytes in one request", async () => {
    const sender = new FakeSender();
    const seen = recorder();
    const maxBatchBytes = 8_000;
    const delivery = new Delivery(sender, options({ maxBatchBytes }), seen.callbacks);
    const messages = range(2000).map((n) => outgoing(QUEUE, n, { body: "x".repeat(100 + ((n * 7919) % 2900)) }));
    for (const message of messages) message.bytes = message.body.length;
    await submitAll(delivery, messages);
    await delivery.flush();

    assert.equal(seen.acknowledged.length, 2000);
    for (const request of sender.requests) {
      assert.ok(request.entries.length <= 10);
      assert.ok(request.entries.reduce((sum, entry) => sum + entry.message.bytes, 0) <= maxBatchBytes);
      assert.equal(new Set(request.entries.map((entry) => entry.id)).size, request.entries.length);
      for (const entry of request.entries) assert.match(entry.id, /^[A-Za-z0-9_-]{1,80}$/);
    }
  });

  it("keeps at most maxInFlight requests in flight, and uses them all", async () => {
    const sender = new FakeSender(() => undefined, { maxDelayMs: 3 });
    const delivery = new Delivery(sender, options({ maxInFlight: 6 }), recorder().callbacks);
    await submitAll(
      delivery,
      range(3000).map((n) => outgoing(QUEUE, n)),
    );
    await delivery.flush();
    assert.equal(sender.maxInFlight, 6);
  });

  it("fills batches and the in-flight budget with 1,000 FIFO groups", async () => {
    const sender = new FakeSender(() => undefined, { maxDelayMs: 3 });
    const delivery = new Delivery(sender, options({ fifo: true, maxInFlight: 8 }), recorder().callbacks);
    await submitAll(
      delivery,
      range(10_000).map((n) => outgoing(QUEUE, n, { groupId: `g${n % 1000}` })),
    );
    await delivery.flush();
    assert.equal(sender.maxInFlight, 8);
    assert.equal(sender.maxBatchesPerGroup, 1);
    assert.ok(sender.requests.length <= 1100, `${sender.requests.length} requests for 10,000 messages`);
  });

  it("never has two batches of one FIFO group in flight, and keeps its order through retries", async () => {
    let answered = 0;
    const sender = new FakeSender((request) => {
      answered++;
      if (answered % 4 === 0) return throttlingError();
      if (answered % 3 === 0 && request.entries.length > 1) return failSuffix(request.entries, 4);
      return undefined;
    });
    const seen = recorder();
    const delivery = new Delivery(sender, options({ fifo: true, maxInFlight: 8 }), seen.callbacks);
    const messages = range(300).map((n) => outgoing(QUEUE, n, { groupId: "only", dedupId: `d-${n}` }));
    await submitAll(delivery, messages);
    await delivery.flush();

    assert.equal(sender.maxInFlight, 1);
    assert.deepEqual(
      seen.acknowledged.map((message) => message.ticket),
      range(300),
    );
    assert.ok(
      sender.requests.some((request) => request.entries.length === 10),
      "messages of one group share batches",
    );
  });

  it("keeps each queue's batches to itself", async () => {
    const sender = new FakeSender();
    const other = QUEUE.replace("orders", "refunds");
    const delivery = new Delivery(sender, options(), recorder().callbacks);
    await submitAll(
      delivery,
      range(200).map((n) => outgoing(n % 2 ? QUEUE : other, n)),
    );
    await delivery.flush();
    for (const request of sender.requests) {
      assert.ok(request.entries.every((entry) => entry.message.queueUrl === request.queueUrl));
    }
  });
});

describe("Delivery results and retries", () => {
  it("rejects an entry SQS blames on the sender and acknowledges the rest of its batch", async () => {
    const sender = new FakeSender((request, index) => {
      if (index > 0) return undefined;
      const [bad, ...good] = request.entries;
      return {
        successful: succeedAll(good).successful,
        failed: [{ id: bad!.id, senderFault: true, code: "InvalidMessageContents", message: "Invalid characters" }],
      };
    });
    const seen = recorder();
    const delivery = new Delivery(sender, options(), seen.callbacks);
    await submitAll(
      delivery,
      range(10).map((n) => outgoing(QUEUE, n)),
    );
    await delivery.flush();

    assert.equal(sender.requests.length, 1, "a rejected entry is not retried");
    assert.deepEqual(
      seen.rejected.map(({ message, reason, code }) => [message.messageId, reason, code]),
      [["row-0", "InvalidMessageContents: Invalid characters", "InvalidMessageContents"]],
    );
    assert.deepEqual(
      seen.acknowledged.map((message) => message.ticket),
      range(10).slice(1),
    );
    assert.equal(delivery.stats.rejected, 1);
  });

  it("retries retriable entry failures and thrown throttling with the same entry ids and dedup ids", async () => {
    const sender = new FakeSender((request, index) => {
      if (index === 0) {
        return {
          successful: succeedAll(request.entries.filter((entry) => !["3", "7"].includes(entry.id))).successful,
          failed: ["3", "7"].map((id) => ({ id, senderFault: false, code: "InternalError", message: "try again" })),
        };
      }
      if (index === 1) return throttlingError();
      return undefined;
    });
    const seen = recorder();
    const sent = new ObservedSender(sender);
    const delivery = new Delivery(sent, options({ fifo: true }), seen.callbacks);
    await submitAll(
      delivery,
      range(10).map((n) => outgoing(QUEUE, n, { groupId: `g${n}`, dedupId: `dedup-${n}` })),
    );
    await delivery.flush();

    const summary = (index: number) =>
      sender.requests[index]!.entries.map((entry) => [entry.id, entry.message.dedupId, entry.message.messageId]);
    assert.equal(sender.requests.length, 3);
    const failed = summary(0).filter(([id]) => id === "3" || id === "7");
    assert.deepEqual(summary(1), failed);
    assert.deepEqual(summary(2), failed);
    assert.equal(seen.acknowledged.length, 10);
    assert.equal(new Set(seen.acknowledged).size, 10);
    assert.equal(sent.stats.entriesRetried, 4);
  });

  it("retries an entry whose MD5 does not match its body, and one missing from the answer", async () => {
    const sender = new FakeSender((request, index) => {
      if (index > 0) return undefined;
      // Entry 0 comes back with another body's MD5; entry 1 is in neither list.
      const [altered, , ...fine] = request.entries;
      return {
        successful: [{ id: altered!.id, md5OfBody: md5("something else") }, ...succeedAll(fine).successful],
        failed: [],
      };
    });
    const seen = recorder();
    const delivery = new Delivery(sender, options(), seen.callbacks);
    await submitAll(
      delivery,
      range(10).map((n) => outgoing(QUEUE, n)),
    );
    await delivery.flush();

    assert.deepEqual(
      sender.requests[1]!.entries.map((entry) => entry.message.ticket),
      [0, 1],
    );
    assert.deepEqual(
      seen.acknowledged.map((message) => message.ticket).sort((a, b) => a - b),
      range(10),
    );
  });

  it("fails with a transient error naming the queue and the error once retries pass retryMaxMs", async () => {
    const sender = new FakeSender(() => throttlingError());
    const seen = recorder();
    const delivery = new Delivery(sender, options({ retryMaxMs: 300 }), seen.callbacks);
    await submitAll(
      delivery,
      range(5).map((n) => outgoing(QUEUE, n)),
    );
    const flushed = delivery.flush();

    await assert.rejects(delivery.failed, (error: unknown) => {
      assert.ok(error instanceof UserFacingError);
      assert.equal(error.failureType, "transient_error");
      assert.match(error.message, /orders/);
      assert.match(error.message, /ThrottlingException/);
      assert.match(error.message, /\d+\.\d s/);
      return true;
    });
    await assert.rejects(flushed, UserFacingError);
    await assert.rejects(delivery.submit(outgoing(QUEUE, 99)), UserFacingError);
    assert.ok(sender.requests.length > 1, "it retried before giving up");
    assert.equal(seen.acknowledged.length + seen.rejected.length, 0);
  });

  it("stops on a request SQS refuses for good, with the fix in the message", async () => {
    const sender = new FakeSender(() => serviceError("AccessDenied", "not authorized to perform sqs:sendmessage", 403));
    const seen = recorder();
    const delivery = new Delivery(sender, options(), seen.callbacks);
    await submitAll(
      delivery,
      range(3).map((n) => outgoing(QUEUE, n)),
    );
    await assert.rejects(delivery.flush(), /SQS denied SendMessageBatch on queue .*orders: AccessDenied — grant sqs:Send/);
    assert.equal(sender.requests.length, 1);
    assert.equal(seen.acknowledged.length + seen.rejected.length, 0);
  });

  it("retries a request that takes longer than requestTimeoutMs", async () => {
    let calls = 0;
    const stalling: BatchSender = {
      sendBatch(_url, entries, cancellation) {
        calls++;
        if (calls > 1) return Promise.resolve(succeedAll(entries));
        return new Promise((_, reject) => {
          cancellation.onCancel(() => reject(serviceError("AbortError", "Request aborted", 0)));
        });
      },
    };
    const seen = recorder();
    const delivery = new Delivery(stalling, options({ requestTimeoutMs: 50 }), seen.callbacks);
    await submitAll(
      delivery,
      range(4).map((n) => outgoing(QUEUE, n)),
    );
    await delivery.flush();
    assert.equal(calls, 2);
    assert.equal(seen.acknowledged.length, 4);
  });
});

describe("Delivery flow control", () => {
  it("makes submit() wait while the buffer is full, and resumes when requests settle", async () => {
    const sender = new FakeSender(() => undefined, { hold: true });
    const delivery = new Delivery(sender, options({ maxInFlight: 1, maxBufferedMessages: 20 }), recorder().callbacks);
    for (const n of range(19)) assert.equal(await isPending(delivery.submit(outgoing(QUEUE, n))), false);
    const blocked = delivery.submit(outgoing(QUEUE, 19));
    assert.equal(await isPending(blocked), true);
    assert.equal(delivery.stats.unsettled, 20);

    await eventually(() => sender.heldCount === 1);
    sender.release();
    await blocked;
    assert.ok(delivery.stats.unsettled < 20);

    const flushed = delivery.flush();
    for (let round = 0; round < 100 && (await isPending(flushed)); round++) sender.release();
    await flushed;
    assert.equal(delivery.stats.unsettled, 0);
  });

  it("offer() says when the buffer is full; whenRoom() resolves once requests settle, and rejects after abort()", async () => {
    const sender = new FakeSender(() => undefined, { hold: true });
    const delivery = new Delivery(sender, options({ maxInFlight: 1, maxBufferedMessages: 20 }), recorder().callbacks);
    for (const n of range(19)) assert.equal(delivery.offer(outgoing(QUEUE, n)), "queued");
    assert.equal(delivery.offer(outgoing(QUEUE, 19)), "full");
    const room = delivery.whenRoom();
    assert.equal(await isPending(room), true);

    await eventually(() => sender.heldCount === 1);
    sender.release();
    await room;
    assert.equal(await isPending(delivery.whenRoom()), false);

    delivery.abort();
    assert.equal(delivery.offer(outgoing(QUEUE, 20)), "full");
    await assert.rejects(delivery.whenRoom(), /delivery was aborted/);
  });

  it("sends a partial batch only on flush() when the linger time is long, and resolves once it settles", async () => {
    const sender = new FakeSender();
    const seen = recorder();
    const delivery = new Delivery(sender, options({ lingerMs: 60_000 }), seen.callbacks);
    await submitAll(
      delivery,
      range(3).map((n) => outgoing(QUEUE, n)),
    );
    await pause(20);
    assert.equal(sender.requests.length, 0);

    await delivery.flush();
    assert.equal(seen.acknowledged.length, 3);
    assert.equal(delivery.stats.inFlight, 0);
  });

  it("sends a partial batch on its own once it has lingered", async () => {
    const sender = new FakeSender();
    const seen = recorder();
    const delivery = new Delivery(sender, options({ lingerMs: 10 }), seen.callbacks);
    await submitAll(
      delivery,
      range(3).map((n) => outgoing(QUEUE, n)),
    );
    await eventually(() => seen.acknowledged.length === 3);
    assert.equal(sender.requests.length, 1);
  });

  it("abort() abandons in-flight requests: no callbacks, nothing retried", async () => {
    const sender = new FakeSender(() => throttlingError(), { hold: true });
    const seen = recorder();
    const delivery = new Delivery(sender, options(), seen.callbacks);
    await submitAll(
      delivery,
      range(10).map((n) => outgoing(QUEUE, n)),
    );
    await eventually(() => sender.heldCount === 1);
    delivery.abort();
    sender.release();
    await assert.rejects(delivery.flush(), /aborted/);
    await pause(30);
    assert.equal(sender.requests.length, 1);
    assert.equal(seen.acknowledged.length + seen.rejected.length, 0);
    assert.equal(delivery.stats.inFlight, 0);
  });
});
