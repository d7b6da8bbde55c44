// The yardstick: a bare loop that parses the same input lines and sends SendMessageBatch with the
// AWS SDK (10 per request, 64 in flight), with none of the connector's logic.
//
//   node --import tsx bench/baseline.ts <endpoint> < input

import { Agent } from "node:http";
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import split2 from "split2";

const MAX_IN_FLIGHT = 64;
const endpoint = process.argv[2];
if (!endpoint) throw new Error("usage: baseline.ts <endpoint> < input");

const sqs = new SQSClient({
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  md5: false,
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT }) }),
});
const queueUrl = `${endpoint}/123456789012/bench`;

const inFlight = new Set<Promise<unknown>>();
async function send(entries: SendMessageBatchRequestEntry[]): Promise<void> {
  if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  const request = sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  inFlight.add(request);
  void request.finally(() => inFlight.delete(request));
}

let entries: SendMessageBatchRequestEntry[] = [];
for await (const line of process.stdin.pipe(split2()) as AsyncIterable<string>) {
  const message = JSON.parse(line) as { type: string; record?: { data: unknown } };
  if (message.type !== "RECORD" || !message.record) continue;
  entries.push({ Id: String(entries.length), MessageBody: JSON.stringify(message.record.data) });
  if (entries.length === 10) {
    await send(entries);
    entries = [];
  }
}
if (entries.length > 0) await send(entries);
await Promise.all(inFlight);
process.exit(0);
