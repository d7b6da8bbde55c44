// Delivery through the SDK sender to a fauxqs queue, at a volume the caller picks.
import assert from "node:assert/strict";
import { SQSClient } from "@aws-sdk/client-sqs";
import { after, before } from "node:test";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { Delivery } from "../../src/delivery/delivery.js";
import { SdkBatchSender } from "../../src/delivery/sdk-sender.js";
import { ObservedSender } from "../../src/observe/observed-sender.js";
import { options, outgoing, range, recorder, submitAll } from "./delivery-fakes.js";

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
  const suite = {} as { server: FauxqsServer; client: SQSClient };
  before(async () => {
    suite.server = await startFauxqs({ port: 0, logger: false });
    suite.client = fauxqsSqsClient(suite.server);
  });
  after(async () => {
    suite.client.destroy();
    await suite.server.stop();
  });
  return suite;
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
