// Delivery through the SDK sender to fauxqs queues, at a volume the caller picks.
import assert from "node:assert/strict";
import { SQSClient } from "@aws-sdk/client-sqs";
import { after } from "node:test";
import type { FauxqsServer } from "fauxqs";
import { Delivery } from "../../src/delivery/delivery.js";
import { SdkBatchSender } from "../../src/delivery/sdk-sender.js";
import { ObservedSender } from "../../src/observe/observed-sender.js";
import type { BatchSender } from "../../src/delivery/types.js";
import { fauxqsServerForSuite } from "./emulators.js";
import { failSuffix, options, outgoing, range, recorder, submitAll, throttlingError } from "./delivery-fakes.js";

/** An SQS client for `server` that neither retries nor checks MD5s, so that delivery's own handling is what runs. */
function fauxqsSqsClient(server: FauxqsServer): SQSClient {
  return new SQSClient({
    region: "us-east-1",
    endpoint: server.address,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    md5: false,
    maxAttempts: 1,
  });
}

/** fauxqs and a client for it, started before the suite's tests and stopped after them. */
export function fauxqsForSuite(): { readonly server: FauxqsServer; readonly client: SQSClient } {
  const server = fauxqsServerForSuite();
  let client: SQSClient | undefined;
  after(() => {
    client?.destroy();
  });
  return {
    get server() {
      return server();
    },
    get client() {
      client ??= fauxqsSqsClient(server());
      return client;
    },
  };
}

/** Delivers `count` messages to a new standard queue and checks each is stored and acknowledged exactly once. */
export async function assertLandsExactlyOnce(server: FauxqsServer, client: SQSClient, count: number): Promise<void> {
  const queueName = `exactly-once-${count}`;
  const { queueUrl } = server.createQueue(queueName);
  const seen = recorder();
  const sent = new ObservedSender(new SdkBatchSender(client));
  const delivery = new Delivery(sent, options({ maxInFlight: 16 }), seen.callbacks);
  await submitAll(
    delivery,
    range(count).map((n) => outgoing(queueUrl, n)),
  );
  await delivery.flush();

  const stored = server.inspectQueue(queueName)!.messages.ready;
  const bodies = stored.map((message) => (JSON.parse(message.body) as { n: number }).n);
  assert.equal(bodies.length, count);
  assert.deepEqual(
    [...new Set(bodies)].sort((a, b) => a - b),
    range(count),
  );
  assert.equal(seen.acknowledged.length, count);
  assert.equal(seen.rejected.length, 0);
  const stats = { ...delivery.stats, ...sent.stats };
  assert.equal(stats.messagesSent, count);
  assert.equal(stats.entriesRetried, 0);
  assert.equal(stats.inFlight, 0);
  assert.equal(stats.unsettled, 0);
}

/**
 * Delivers 15 messages to each of `groups` FIFO groups while every 5th request is throttled and every 7th
 * stores only the first half of its batch, and checks each group is stored in order.
 */
export async function assertFifoOrderThroughFaults(server: FauxqsServer, client: SQSClient, groups: number): Promise<void> {
  const queueName = `ordered-${groups}.fifo`;
  const { queueUrl } = server.createQueue(queueName, { attributes: { FifoQueue: "true" } });
  const real = new SdkBatchSender(client);
  let requests = 0;
  const flaky: BatchSender = {
    async sendBatch(url, entries, cancellation) {
      requests++;
      if (requests % 5 === 0) throw throttlingError();
      if (requests % 7 === 0 && entries.length > 1) {
        // SQS stores the first half and fails the rest as retriable.
        const half = Math.floor(entries.length / 2);
        await real.sendBatch(url, entries.slice(0, half), cancellation);
        return failSuffix(entries, half);
      }
      return real.sendBatch(url, entries, cancellation);
    },
  };
  const seen = recorder();
  const sent = new ObservedSender(flaky);
  const delivery = new Delivery(sent, options({ fifo: true, maxInFlight: 16 }), seen.callbacks);
  const perGroup = 15;
  const messages = range(groups * perGroup).map((n) => {
    const group = `g${n % groups}`;
    const body = JSON.stringify({ group, seq: Math.floor(n / groups) });
    return outgoing(queueUrl, n, { groupId: group, dedupId: `d-${n}`, body });
  });
  await submitAll(delivery, messages);
  await delivery.flush();

  assert.equal(seen.acknowledged.length, messages.length);
  const stored = server.inspectQueue(queueName)!.messages.ready;
  assert.equal(stored.length, messages.length);
  const sequences = new Map<string, number[]>();
  for (const message of stored) {
    const { group, seq } = JSON.parse(message.body) as { group: string; seq: number };
    assert.equal(message.messageGroupId, group);
    sequences.set(group, [...(sequences.get(group) ?? []), seq]);
  }
  assert.equal(sequences.size, groups);
  for (const [group, seqs] of sequences) assert.deepEqual(seqs, range(perGroup), `order of group ${group}`);
  assert.ok(sent.stats.entriesRetried > 0);
}
