// A sync on the S3 snapshot store killed with kill -9, then run again at once as Airbyte's retry
// does: the retry waits for the killed sync's lease, takes the lock over and loses nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { AirbyteMessage } from "../../src/protocol/messages.js";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "../helpers/airbyte.js";
import { writeTempJson } from "../helpers/cli.js";
import { type Emulator, emulatorConfigFile, forEachEmulator, startFauxqs, uniqueQueueName } from "../helpers/emulators.js";
import { startFaultProxy } from "../helpers/fault-proxy.js";
import { startConnector } from "../helpers/live-connector.js";
import { createBucket, freshPodEnv } from "../helpers/snapshot-s3.js";

const STREAM = "orders";
const ROWS = 100;
/** Short enough to wait out in a test; the connector's default is 5 minutes. */
const LEASE_MS = 10_000;
const catalog = writeTempJson(catalogOf([{ name: STREAM, primaryKey: [["id"]], syncMode: "full_refresh" }]));

function rows(status: string): string[] {
  return Array.from({ length: ROWS }, (_, id) => recordLine(STREAM, { id, status }));
}

function logsOf(messages: AirbyteMessage[]): string[] {
  return messages.flatMap((message) => (message.type === "LOG" ? [`${message.log.level} ${message.log.message}`] : []));
}

async function snapshotConnection(emulator: Emulator, leaseMs: number, options: { storeEndpoint?: string; commitEveryMs?: number } = {}) {
  const queueName = uniqueQueueName("lock-retry");
  const queueUrl = await emulator.createQueue(queueName);
  const bucket = await createBucket(emulator.endpoint);
  const config = emulatorConfigFile(emulator.endpoint, {
    queue: { source: "static", value: queueName },
    message_body: { format: "template", template: '{"change":"{{ change }}","row":{{ row | json }}}' },
    change_detection: {
      mode: "snapshot",
      store: {
        type: "s3",
        bucket,
        prefix: `destination-sqs/${queueName}/`,
        endpoint: options.storeEndpoint ?? emulator.endpoint,
        force_path_style: true,
      },
    },
  });
  const env = {
    DESTINATION_SQS_SNAPSHOT_LEASE_MS: String(leaseMs),
    ...(options.commitEveryMs ? { DESTINATION_SQS_SNAPSHOT_COMMIT_MS: String(options.commitEveryMs) } : {}),
  };
  return {
    start: () => startConnector(["write", "--config", config, "--catalog", catalog], freshPodEnv(env)),
    /** The rows published since the last call, as [change, id, status]; waits for `expected` of them when given. */
    async published(expected?: number): Promise<[string, number, string][]> {
      const received = await emulator.receiveAll(queueUrl, expected === undefined ? { maxPolls: 5 } : { expected });
      return received.map((message) => {
        const { change, row } = JSON.parse(message.body) as { change: string; row: { id: number; status: string } };
        return [change, row.id, row.status];
      });
    },
  };
}

type Connection = Awaited<ReturnType<typeof snapshotConnection>>;

/** Starts a sync of every row as `status`, waits until some of them are in the queue, and kills it with SIGKILL. */
async function killMidSync(connection: Connection, status: string): Promise<Set<number>> {
  const killed = connection.start();
  await killed.write(rows(status).join("\n") + "\n");
  const seen = new Set<number>();
  for (let poll = 0; poll < 200 && seen.size === 0; poll++) {
    for (const [, id] of await connection.published()) seen.add(id);
    if (seen.size === 0) await sleep(25);
  }
  killed.child.kill("SIGKILL");
  await killed.exit();
  for (const [, id] of await connection.published()) seen.add(id);
  assert.ok(seen.size > 0, "the killed sync published some rows");
  return seen;
}

forEachEmulator("a sync killed with kill -9 and run again at once", (context) => {
  test("the retry waits for the killed sync's lease, takes the lock over and publishes every change; the next sync publishes nothing", async () => {
    const connection = await snapshotConnection(context.emulator, LEASE_MS);
    const backfill = connection.start();
    await backfill.write([...rows("v1"), stateLine({ done: 1 })].join("\n") + "\n");
    backfill.endInput();
    assert.equal((await backfill.exit()).code, 0, backfill.stdout());
    assert.equal((await connection.published(ROWS)).length, ROWS);

    const seen = await killMidSync(connection, "v2");
    const killedAt = Date.now();

    const retry = connection.start();
    await retry.write([...rows("v2"), stateLine({ done: 2 })].join("\n") + "\n");
    retry.endInput();
    const exit = await retry.exit(LEASE_MS + 30_000);
    const waitedMs = Date.now() - killedAt;
    assert.equal(exit.code, 0, retry.stdout() + retry.stderr());
    const logs = logsOf(retry.messages);
    assert.ok(
      logs.some((log) => /^INFO The snapshot store s3:\/\/.* is locked by sync .*Waiting for its lease to run out/.test(log)),
      logs.join("\n"),
    );
    assert.ok(
      logs.some((log) => /^WARN Took over the snapshot lock of s3:\/\/.* from sync /.test(log)),
      logs.join("\n"),
    );
    assert.deepEqual(
      statesOf(retry.messages).map((state) => (state as { data?: unknown }).data),
      [{ done: 2 }],
    );
    // The lease, counted from the killed sync's last renewal, plus the sync's own start and run.
    assert.ok(waitedMs < LEASE_MS + 15_000, `the retry finished ${waitedMs} ms after the kill`);

    for (const [change, id, status] of await connection.published(ROWS)) {
      assert.equal(change, "changed", `row ${id}`);
      assert.equal(status, "v2");
      seen.add(id);
    }
    assert.equal(seen.size, ROWS, "every changed row was published by the killed sync or the retry");

    const next = connection.start();
    await next.write([...rows("v2"), stateLine({ done: 3 })].join("\n") + "\n");
    next.endInput();
    assert.equal((await next.exit()).code, 0, next.stdout());
    assert.deepEqual(await connection.published(), [], "the retry committed every row");
  });

  test("SIGTERM while the retry waits for the lease ends it at once with a transient error", async () => {
    const connection = await snapshotConnection(context.emulator, 60_000);
    await killMidSync(connection, "v1");

    const retry = connection.start();
    await retry.waitFor((messages) => logsOf(messages).some((log) => /Waiting for its lease to run out/.test(log)), "the retry waits");
    const signalledAt = Date.now();
    retry.child.kill("SIGTERM");
    const exit = await retry.exit(10_000);
    assert.equal(exit.code, 1);
    assert.ok(Date.now() - signalledAt < 3000, `exited ${Date.now() - signalledAt} ms after SIGTERM`);
    const errors = retry.messages.filter((message) => message.type === "TRACE" && message.trace.type === "ERROR");
    assert.equal(errors.length, 1, retry.stdout());
    assert.equal(errorTraceOf(retry.messages)?.failure_type, "transient_error");
    assert.match(errorTraceOf(retry.messages)?.message ?? "", /stopped by a signal/);
  });
});

test("a periodic commit held up for longer than the lease does not hold the lock's renewal back: a second sync still finds the holder running", async () => {
  const leaseMs = 1500;
  const emulator = await startFauxqs();
  // Every upload of a snapshot version is held for three leases before it reaches the store.
  const proxy = await startFaultProxy({
    target: emulator.endpoint,
    seed: 1,
    faults: ["delay"],
    faultRate: 1,
    delayMs: 3 * leaseMs,
    requests: "s3_put_object",
    pathMatches: /\/snapshots\//,
  });
  try {
    const connection = await snapshotConnection(emulator, leaseMs, { storeEndpoint: proxy.endpoint, commitEveryMs: 200 });
    const holder = connection.start();
    await holder.write(rows("v1").join("\n") + "\n");
    assert.equal((await connection.published(ROWS)).length, ROWS);
    await sleep(1000); // a periodic commit (due every 200 ms) is under way, held up

    const second = connection.start();
    await second.write([...rows("v1"), stateLine({ done: 1 })].join("\n") + "\n");
    second.endInput();
    const exit = await second.exit(30_000);
    assert.equal(exit.code, 1, second.stdout());
    assert.match(errorTraceOf(second.messages)?.message ?? "", /^Another sync holds the snapshot store s3:\/\//);
    assert.ok(proxy.injected.delay > 0, "a snapshot upload was held up");

    holder.endInput();
    assert.equal((await holder.exit(30_000)).code, 0, holder.stdout());
  } finally {
    await proxy.stop();
    await emulator.stop();
  }
});
