// The delivery promise under faults: every record reaches its queue (at least once), is reported
// as rejected, or the sync fails without echoing a STATE past it.
import assert from "node:assert/strict";
import { after, before, describe, test, type TestContext } from "node:test";
import { startFauxqs } from "fauxqs";
import type { AirbyteMessage } from "../../src/protocol/messages.js";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { uniqueQueueName, emulatorConfigFile } from "../helpers/emulators.js";
import { ALL_FAULTS, startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { startConnector } from "../helpers/live-connector.js";

type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;

const RECORDS = 20_000;
/**
 * fauxqs remembers the last 10,000 deduplication ids, where SQS remembers every id for 5 minutes.
 * A request held past the request timeout reaches the queue after its retry; once more than
 * 10,000 other messages were stored in between, fauxqs would keep it as a second copy. So the FIFO
 * run stays under that, and the test holds fauxqs to what SQS promises.
 */
const FIFO_RECORDS = 8_000;
const RECORDS_PER_STATE = 500;
const GROUPS = 50;
const catalog = writeTempJson(catalogOf([{ name: "orders", primaryKey: [["id"]] }]));

function configFile(endpoint: string, settings: Record<string, unknown>): string {
  return emulatorConfigFile(endpoint, {
    request_timeout_seconds: 1,
    ...settings,
  });
}

/** Records 0..count-1 with a STATE after every RECORDS_PER_STATE of them; the STATE data is the next record's id. */
function inputLines(first: number, count: number): string[] {
  const lines: string[] = [];
  for (let id = first; id < first + count; id++) {
    lines.push(recordLine("orders", { id, group: `g${id % GROUPS}`, note: `order ${id}` }));
    if ((id + 1) % RECORDS_PER_STATE === 0) lines.push(stateLine({ next: id + 1 }));
  }
  return lines;
}

interface StoredMessage {
  body: string;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

function storedMessages(server: Fauxqs, queueName: string): StoredMessage[] {
  const inspected = server.inspectQueue(queueName);
  assert.ok(inspected, `queue ${queueName} exists`);
  const { ready, delayed, inflight } = inspected.messages as {
    ready: StoredMessage[];
    delayed: StoredMessage[];
    inflight: { message: StoredMessage }[];
  };
  return [...ready, ...delayed, ...inflight.map((entry) => entry.message)];
}

/** How many times each record id is stored; fails unless every id in [0, count) is there at least once. */
function assertEveryRecordStored(messages: StoredMessage[], count: number): { duplicates: number } {
  const copies = new Map<number, number>();
  for (const message of messages) {
    const { id } = JSON.parse(message.body) as { id: number };
    copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  const missing = Array.from({ length: count }, (_, id) => id).filter((id) => !copies.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} records never reached the queue`);
  return { duplicates: messages.length - copies.size };
}

function assertStatesEchoedInOrder(messages: AirbyteMessage[], count: number): void {
  const states = statesOf(messages);
  assert.deepEqual(
    states.map((state) => (state.data as { next: number }).next),
    Array.from({ length: count / RECORDS_PER_STATE }, (_, k) => (k + 1) * RECORDS_PER_STATE),
  );
  for (const state of states) assert.equal(state.destinationStats?.recordCount, RECORDS_PER_STATE);
}

function report(t: TestContext, proxy: FaultProxy, duplicates: number): void {
  const faulted = Object.values(proxy.injected).reduce((sum, n) => sum + n, 0);
  t.diagnostic(
    `${proxy.batchRequests} SendMessageBatch requests, ${faulted} faulted (${JSON.stringify(proxy.injected)}); ` +
      `${duplicates} duplicate messages stored`,
  );
}

describe("reliability under injected SQS faults (fauxqs)", () => {
  let server: Fauxqs;
  before(async () => {
    server = await startFauxqs({ port: 0, logger: false });
  });
  after(async () => {
    await server.stop();
  });

  test(`standard queue: ${RECORDS} records with 20% of batches faulted all arrive, STATEs echoed in order`, async (t) => {
    const queueName = uniqueQueueName("faults-standard");
    server.createQueue(queueName);
    const proxy = await startFaultProxy({ target: server.address, seed: 20_240_601, faultRate: 0.2 });
    try {
      const config = configFile(proxy.endpoint, { queue: { source: "static", value: queueName } });
      const result = await runCli(["write", "--config", config, "--catalog", catalog], {
        stdin: inputLines(0, RECORDS).join("\n") + "\n",
        timeoutMs: 60_000,
      });
      assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr);
      assert.deepEqual(result.nonJsonLines, []);
      assertStatesEchoedInOrder(result.messages, RECORDS);
      for (const kind of ALL_FAULTS) assert.ok(proxy.injected[kind] > 0, `the proxy injected ${kind}`);
      const { duplicates } = assertEveryRecordStored(storedMessages(server, queueName), RECORDS);
      report(t, proxy, duplicates);
    } finally {
      await proxy.stop();
    }
  });

  test(`FIFO queue: ${FIFO_RECORDS} records with 20% of batches faulted land once each, in order per group`, async (t) => {
    const queueName = uniqueQueueName("faults-fifo", true);
    server.createQueue(queueName, { attributes: { FifoQueue: "true" } });
    const proxy = await startFaultProxy({ target: server.address, seed: 7, faultRate: 0.2 });
    try {
      const config = configFile(proxy.endpoint, {
        queue: { source: "static", value: queueName },
        queue_type: "fifo",
        message_group_id: { source: "column", column: "group" },
      });
      const result = await runCli(["write", "--config", config, "--catalog", catalog], {
        stdin: inputLines(0, FIFO_RECORDS).join("\n") + "\n",
        timeoutMs: 60_000,
      });
      assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr);
      assertStatesEchoedInOrder(result.messages, FIFO_RECORDS);
      const stored = storedMessages(server, queueName);
      const { duplicates } = assertEveryRecordStored(stored, FIFO_RECORDS);
      report(t, proxy, duplicates);
      // Retried entries carry the same deduplication id, so SQS keeps one copy of each.
      assert.equal(new Set(stored.map((message) => message.messageDeduplicationId)).size, stored.length);
      assert.equal(duplicates, 0);
      const lastIdByGroup = new Map<string, number>();
      for (const message of stored) {
        const { id, group } = JSON.parse(message.body) as { id: number; group: string };
        assert.ok((lastIdByGroup.get(group) ?? -1) < id, `group ${group} stored ${id} after a later record`);
        lastIdByGroup.set(group, id);
      }
    } finally {
      await proxy.stop();
    }
  });

  test("when faults never stop, the sync fails with a transient_error after retry_max_seconds, echoing only acknowledged STATEs", async () => {
    const queueName = uniqueQueueName("faults-forever");
    server.createQueue(queueName);
    const proxy = await startFaultProxy({
      target: server.address,
      seed: 1,
      faultRate: 0,
      faults: ["throttle", "server_error", "reset_before"],
    });
    try {
      const config = configFile(proxy.endpoint, { queue: { source: "static", value: queueName }, retry_max_seconds: 2 });
      const connector = startConnector(["write", "--config", config, "--catalog", catalog]);
      await connector.write(inputLines(0, 1000).join("\n") + "\n");
      await connector.waitFor((messages) => statesOf(messages).length === 2, "the first two STATEs");
      proxy.setFaultRate(1);
      await connector.write(inputLines(1000, 1000).join("\n") + "\n");
      connector.endInput();
      // Bounded by retry_max_seconds (2 s) plus the last attempt's request timeout (1 s).
      const exit = await connector.exit(20_000);
      assert.equal(exit.code, 1, connector.stdout() + connector.stderr());
      const error = errorTraceOf(connector.messages);
      assert.equal(error?.failure_type, "transient_error");
      assert.match(error?.message ?? "", /retry_max_seconds, is 2\.0 s/);
      assert.deepEqual(
        statesOf(connector.messages).map((state) => state.data),
        [{ next: 500 }, { next: 1000 }],
      );
      assertEveryRecordStored(storedMessages(server, queueName), 1000);
      assert.equal(connector.stderr().includes("    at "), false, "no stack trace on stderr");
    } finally {
      await proxy.stop();
    }
  });
});
