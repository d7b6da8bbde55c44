// Every AWS call ends: against an endpoint that accepts connections and never answers, or that
// trickles its answer a byte at a time, calls fail with a timeout (after retries within
// retry_max_seconds). What check and write then say is in test/slow/deadlines-cli.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ListTopicsCommand } from "@aws-sdk/client-sns";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import { createAwsClients } from "../src/aws/clients.js";
import { Cancellation, requestCancelled } from "../src/delivery/cancellation.js";
import { HttpBatchSender } from "../src/delivery/http-sender.js";
import { SendFailure } from "../src/aws/send-failure.js";
import { emulatorConfig } from "./helpers/emulators.js";
import { startNeverAnswers, startTrickles, type FakeEndpoint } from "./helpers/fake-endpoints.js";

function isTimeout(error: unknown): boolean {
  assert.ok(error instanceof Error);
  assert.equal(error.name, "TimeoutError", `${error.name}: ${error.message}`);
  return true;
}

// The cases only wait out short deadlines, so they run at the same time; the ones that count
// connections each have a silent endpoint of their own.
describe("every SDK call has a deadline", { concurrency: true }, () => {
  const endpoints: Record<"silent" | "trickling" | "tricklingBody", FakeEndpoint | undefined> = {
    silent: undefined,
    trickling: undefined,
    tricklingBody: undefined,
  };
  before(async () => {
    endpoints.silent = await startNeverAnswers();
    endpoints.trickling = await startTrickles({ intervalMs: 50 });
    endpoints.tricklingBody = await startTrickles({ intervalMs: 50, headersFirst: true });
  });
  after(async () => {
    for (const endpoint of Object.values(endpoints)) await endpoint?.stop();
  });

  const clientsFor = (endpoint: FakeEndpoint | undefined, retryMaxMs = 0) =>
    createAwsClients(emulatorConfig({ endpoint: endpoint!.endpoint }), { requestTimeoutMs: 300, retryMaxMs });

  for (const kind of ["silent", "trickling", "tricklingBody"] as const) {
    test(`SQS, S3 and SNS calls to a ${kind} endpoint fail with TimeoutError`, async () => {
      const clients = clientsFor(endpoints[kind]);
      await assert.rejects(clients.sqs.send(new ListQueuesCommand({})), isTimeout);
      const s3 = clients.s3({ bucket: "snapshots", endpoint: endpoints[kind]!.endpoint, force_path_style: true });
      await assert.rejects(s3.send(new ListObjectsV2Command({ Bucket: "snapshots" })), isTimeout);
      await assert.rejects(clients.sns("us-east-1", endpoints[kind]!.endpoint).send(new ListTopicsCommand({})), isTimeout);
    });
  }

  test("a large answer still arriving steadily is not cut at the deadline", async () => {
    const chunk = Buffer.alloc(128 * 1024, "a");
    const chunks = 16;
    // 2 MiB, sent 128 KiB every 60 ms: about three times the 300 ms request timeout.
    const server = createServer((_, response) => {
      response.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(chunk.length * chunks) });
      let sent = 0;
      const timer = setInterval(() => {
        response.write(chunk);
        if (++sent === chunks) {
          clearInterval(timer);
          response.end();
        }
      }, 60);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const s3 = createAwsClients(emulatorConfig({ endpoint }), { requestTimeoutMs: 300, retryMaxMs: 0 }).s3({
        bucket: "snapshots",
        endpoint,
        force_path_style: true,
      });
      const object = await s3.send(new GetObjectCommand({ Bucket: "snapshots", Key: "big" }));
      const bytes = await object.Body!.transformToByteArray();
      assert.equal(bytes.length, chunk.length * chunks);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  /** Runs `use` with a silent endpoint no other case connects to, so its connection count is the case's own. */
  async function withOwnSilentEndpoint(use: (silent: FakeEndpoint) => Promise<void>): Promise<void> {
    const silent = await startNeverAnswers();
    try {
      await use(silent);
    } finally {
      await silent.stop();
    }
  }

  test("a timed-out call is tried again while retry_max_seconds allows, then fails", () =>
    withOwnSilentEndpoint(async (silent) => {
      const { sqs } = clientsFor(silent, 1500);
      await assert.rejects(sqs.send(new ListQueuesCommand({})), isTimeout);
      assert.ok(silent.connections >= 2, `${silent.connections} connection(s)`);
    }));

  test("an S3 client whose caller owns retries (large-message uploads) tries each call once", () =>
    withOwnSilentEndpoint((once) =>
      withOwnSilentEndpoint(async (retried) => {
        const settingsOf = (silent: FakeEndpoint) => ({ bucket: "payloads", endpoint: silent.endpoint, force_path_style: true });
        const s3 = clientsFor(once, 1500).s3(settingsOf(once), { retriedByCaller: true });
        const retrying = clientsFor(retried, 1500).s3(settingsOf(retried));
        await Promise.all([
          assert.rejects(s3.send(new GetObjectCommand({ Bucket: "payloads", Key: "k" })), isTimeout),
          assert.rejects(retrying.send(new GetObjectCommand({ Bucket: "payloads", Key: "k" })), isTimeout),
        ]);
        assert.equal(once.connections, 1);
        assert.ok(retried.connections >= 2, "the default client tries again within retry_max_seconds");
      }),
    ));

  test("the caller's abort signal still ends a call at once", async () => {
    const { sqs } = clientsFor(endpoints.silent, 60_000);
    const controller = new AbortController();
    const call = sqs.send(new ListQueuesCommand({}), { abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(call, { name: "AbortError" });
  });

  test("the lean HTTP sender's request ends when delivery cancels it, even with the answer trickling in", async () => {
    for (const endpoint of [endpoints.trickling!, endpoints.tricklingBody!]) {
      const config = emulatorConfig({ endpoint: endpoint.endpoint });
      const sender = new HttpBatchSender(createAwsClients(config).sqs, {
        region: config.region,
        endpoint: endpoint.endpoint,
        maxSockets: 1,
      });
      const cancellation = new Cancellation();
      setTimeout(() => cancellation.cancel(requestCancelled("no answer within 300 ms")), 300);
      const message = { queueUrl: "q", messageId: "1", body: "{}", bytes: 2, ticket: 0 };
      await assert.rejects(
        sender.sendBatch(`${endpoint.endpoint}/000000000000/orders`, [{ id: "0", message }], cancellation),
        (error: unknown) => error instanceof SendFailure && error.code === "AbortError",
      );
      sender.destroy();
    }
  });
});
