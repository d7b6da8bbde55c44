// Features tested together: all pairs of queue type, concurrency, faults, change detection, large
// messages and how the sync ends, each case a real sync (or a sync killed with kill -9 and run again
// from its last STATE, as Airbyte does) against fauxqs started as users start it, with its own
// queue URLs. Each case checks that no record is lost, that every STATE is echoed once and in order
// with its record count, that FIFO groups keep their order, and that the run takes no longer than a
// correct connector needs.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { AirbyteMessage } from "../../src/protocol/messages.js";
import { catalogOf, recordLine, stateLine, statesOf } from "../helpers/airbyte.js";
import { writeTempJson } from "../helpers/cli.js";
import { type Emulator, emulatorConfigFile, startFauxqs, uniqueQueueName } from "../helpers/emulators.js";
import { consume } from "../helpers/extended-client-consumer.js";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.js";
import { type LiveConnector, startConnector } from "../helpers/live-connector.js";
import { type PairwiseCase, pairwiseCases, uncoveredPairs } from "../helpers/pairwise.js";
import { testS3Client } from "../helpers/s3.js";
import { createBucket, freshPodEnv } from "../helpers/snapshot-s3.js";

const FACTORS = {
  queue: ["standard", "fifo"],
  concurrency: ["adaptive", "fixed"],
  faults: ["none", "random 5%"],
  changes: ["none", "snapshot local", "snapshot S3"],
  large_messages: ["off", "S3"],
  ending: ["clean", "kill -9 then rerun"],
} as const;
type Case = PairwiseCase<typeof FACTORS>;
const CASES = pairwiseCases(FACTORS);

const STREAM = "orders";
const RECORDS = 500;
const RECORDS_PER_STATE = 50;
const STATES = RECORDS / RECORDS_PER_STATE;
/** A killed run is killed once this many STATEs are echoed; it was given the input up to twice as many. */
const KILL_AFTER_STATES = 3;
const GROUPS = 4;
/** Every LARGE_EVERY-th record carries a field of LARGE_BYTES: over SQS's 1 MiB, so it goes through S3 (large messages only). */
const LARGE_EVERY = 50;
const LARGE_BYTES = 1100 * 1024;
/** The snapshot store's lock lease in these runs: a rerun after kill -9 waits for it (see docs/change-detection.md). */
const LEASE_MS = 3000;
/**
 * How long one run may take: starting the process, 500 records (about 50 SendMessageBatch
 * requests), and with 5% random faults a few retries, held requests (1.5 s each) and lost answers.
 * A correct connector needs a few seconds here; a run that crawls (a concurrency limit stuck at 1,
 * a request timeout idling the sync) does not fit.
 */
const RUN_BOUND_MS = 20_000;

const catalog = writeTempJson(catalogOf([{ name: STREAM, primaryKey: [["id"]] }]));

function record(id: number, large: boolean): string {
  const row: Record<string, unknown> = { id, group: `g${id % GROUPS}`, note: `order ${id}` };
  if (large && id % LARGE_EVERY === 0) row.attachment = "x".repeat(LARGE_BYTES);
  return recordLine(STREAM, row);
}

/** The input from record `first` on, a STATE naming the next record after every RECORDS_PER_STATE records. */
function inputFrom(first: number, large: boolean): string[] {
  const lines: string[] = [];
  for (let id = first; id < RECORDS; id++) {
    lines.push(record(id, large));
    if ((id + 1) % RECORDS_PER_STATE === 0) lines.push(stateLine({ next: id + 1 }));
  }
  return lines;
}

interface EchoedState {
  next: number;
  recordCount: number | undefined;
}

function echoedStates(messages: AirbyteMessage[]): EchoedState[] {
  return statesOf(messages).map((state) => {
    const echoed = state as { data?: { next?: number }; destinationStats?: { recordCount?: number } };
    return { next: echoed.data?.next ?? -1, recordCount: echoed.destinationStats?.recordCount };
  });
}

function caseName(one: Case): string {
  return Object.entries(one)
    .map(([factor, value]) => `${factor}: ${value}`)
    .join(", ");
}

describe("features together (pairwise)", () => {
  let emulator: Emulator;
  let bucket: string;
  before(async () => {
    // As users start it: its own default queue URLs (http://sqs.<region>.localhost:<port>/…).
    emulator = await startFauxqs();
    bucket = await createBucket(emulator.endpoint);
  });
  after(async () => {
    await emulator?.stop();
  });

  test("the cases cover every pair of factor values", () => {
    assert.deepEqual(uncoveredPairs(FACTORS, CASES), []);
    assert.ok(CASES.length <= 10, `${CASES.length} cases`);
  });

  CASES.forEach((one, index) => {
    test(caseName(one), async (t) => {
      const fifo = one.queue === "fifo";
      const large = one.large_messages === "S3";
      const queueName = uniqueQueueName("together", fifo);
      const queueUrl = await emulator.createQueue(queueName);
      const directory = mkdtempSync(join(tmpdir(), "destination-sqs-together-"));
      const proxy: FaultProxy | undefined =
        one.faults === "none" ? undefined : await startFaultProxy({ target: emulator.endpoint, seed: index + 1, faultRate: 0.05 });
      const s3Settings = { bucket, endpoint: emulator.endpoint, force_path_style: true };
      const store =
        one.changes === "snapshot local"
          ? { type: "local", directory }
          : { type: "s3", ...s3Settings, prefix: `together/${queueName}/snapshot/` };
      const config = emulatorConfigFile(proxy?.endpoint ?? emulator.endpoint, {
        queue: { source: "static", value: queueUrl },
        ...(fifo ? { queue_type: "fifo", message_group_id: { source: "column", column: "group" } } : {}),
        concurrency: one.concurrency,
        ...(one.changes === "none" ? {} : { change_detection: { mode: "snapshot", store } }),
        ...(large ? { large_messages: { policy: "s3", ...s3Settings, prefix: `together/${queueName}/large/` } } : {}),
      });
      const env = freshPodEnv({ DESTINATION_SQS_SNAPSHOT_LEASE_MS: String(LEASE_MS) });
      const start = (): LiveConnector => startConnector(["write", "--config", config, "--catalog", catalog], env);
      const s3 = testS3Client(emulator.endpoint);
      try {
        const runs: { states: EchoedState[]; ms: number }[] = [];
        let resumeAt = 0;
        const resumed = one.ending === "kill -9 then rerun";
        if (resumed) {
          const started = Date.now();
          const killed = start();
          await killed.write(
            inputFrom(0, large)
              .slice(0, 2 * KILL_AFTER_STATES * (RECORDS_PER_STATE + 1))
              .join("\n") + "\n",
          );
          await killed.waitFor((messages) => statesOf(messages).length >= KILL_AFTER_STATES, `${KILL_AFTER_STATES} STATEs`, RUN_BOUND_MS);
          killed.child.kill("SIGKILL");
          assert.equal((await killed.exit()).signal, "SIGKILL");
          const states = echoedStates(killed.messages);
          runs.push({ states, ms: Date.now() - started });
          resumeAt = states.at(-1)?.next ?? 0;
        }
        const started = Date.now();
        const last = start();
        await last.write(inputFrom(resumeAt, large).join("\n") + "\n");
        last.endInput();
        const exit = await last.exit(RUN_BOUND_MS * 3);
        runs.push({ states: echoedStates(last.messages), ms: Date.now() - started });
        assert.equal(exit.code, 0, last.stdout() + last.stderr());
        if (resumed && one.changes === "snapshot S3") {
          const logs = last.messages.flatMap((message) => (message.type === "LOG" ? [message.log.message] : []));
          assert.ok(
            logs.some((log) => /^Took over the snapshot lock of s3:\/\/.* from sync /.test(log)),
            "the rerun took over the killed run's lock",
          );
        }

        // Every STATE once, in order, each counting its own records.
        const states = runs.flatMap((run) => run.states);
        assert.deepEqual(
          states.map((state) => state.next),
          Array.from({ length: STATES }, (_, n) => (n + 1) * RECORDS_PER_STATE),
        );
        for (const state of states) assert.equal(state.recordCount, RECORDS_PER_STATE, `the STATE before record ${state.next}`);

        // Nothing lost; large bodies whole (through S3); FIFO groups in order.
        const received = await emulator.receiveAll(queueUrl, { maxPolls: 1000 });
        const firstSeen = new Set<number>();
        const orderByGroup = new Map<string, number[]>();
        let offloaded = 0;
        for (const message of received) {
          const consumed = await consume(emulator.endpoint, message);
          const row = JSON.parse(consumed.body) as { id: number; group: string; attachment?: string };
          if (row.attachment !== undefined) {
            assert.equal(row.attachment.length, LARGE_BYTES, `record ${row.id}'s large field`);
            assert.ok(consumed.fromS3, `record ${row.id} came through S3`);
            offloaded++;
          }
          if (firstSeen.has(row.id)) continue;
          firstSeen.add(row.id);
          orderByGroup.set(row.group, [...(orderByGroup.get(row.group) ?? []), row.id]);
        }
        const missing = Array.from({ length: RECORDS }, (_, id) => id).filter((id) => !firstSeen.has(id));
        assert.deepEqual(missing, [], "records lost");
        if (large) assert.ok(offloaded >= RECORDS / LARGE_EVERY, `${offloaded} large messages through S3`);
        if (fifo) {
          for (const [group, ids] of orderByGroup) {
            assert.deepEqual(
              ids,
              [...ids].sort((a, b) => a - b),
              `group ${group} in order`,
            );
          }
        }
        if (one.ending === "clean" && one.faults === "none") assert.equal(received.length, RECORDS, "each record once");

        t.diagnostic(`runs took ${runs.map((run) => `${run.ms} ms`).join(" and ")}`);
        for (const [n, run] of runs.entries()) {
          // A rerun after kill -9 on the S3 store first waits out the killed run's lease.
          const bound = RUN_BOUND_MS + (n > 0 && one.changes === "snapshot S3" ? LEASE_MS : 0);
          assert.ok(run.ms <= bound, `run ${n + 1} took ${run.ms} ms (bound ${bound} ms)`);
        }
      } finally {
        s3.destroy();
        await proxy?.stop();
        rmSync(directory, { recursive: true, force: true });
        rmSync(env.HOME ?? "", { recursive: true, force: true });
      }
    });
  });
});
