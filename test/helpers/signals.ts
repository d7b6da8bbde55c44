// The signal tests' runs: a signal mid-write with batches held in flight, and SIGTERM while the
// connector waits on an endpoint that never answers. Each ends promptly, non-zero, with a TRACE and no
// STATE for unacknowledged records.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import type { startFauxqs } from "fauxqs";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "./airbyte.js";
import { writeTempJson } from "./cli.js";
import { emulatorConfigFile, uniqueQueueName } from "./emulators.js";
import { startFaultProxy } from "./fault-proxy.js";
import { startNeverAnswers } from "./fake-endpoints.js";
import { startConnector } from "./live-connector.js";

type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;

const catalog = writeTempJson(catalogOf([{ name: "orders" }]));

function records(first: number, count: number): string {
  return Array.from({ length: count }, (_, k) => recordLine("orders", { id: first + k })).join("\n") + "\n";
}

/** A test: `signal` with batches in flight and stdin still open, on the fauxqs `fauxqs()` returns. */
export function testSignalWithBatchesInFlight(signal: "SIGTERM" | "SIGINT", fauxqs: () => Fauxqs): void {
  test(`${signal} with batches in flight and stdin still open: prompt non-zero exit, no STATE for unacknowledged records`, async () => {
    const queueName = uniqueQueueName(`signal-${signal}`);
    fauxqs().createQueue(queueName);
    // Once enabled, every SendMessageBatch is held far longer than the test waits.
    const proxy = await startFaultProxy({ target: fauxqs().address, seed: 3, faultRate: 0, faults: ["delay"], delayMs: 60_000 });
    try {
      const config = emulatorConfigFile(proxy.endpoint, {
        queue: { source: "static", value: queueName },
        request_timeout_seconds: 30,
      });
      const connector = startConnector(["write", "--config", config, "--catalog", catalog]);
      await connector.write(records(0, 50) + stateLine({ acknowledged: true }) + "\n");
      await connector.waitFor((messages) => statesOf(messages).length === 1, "the first STATE");

      proxy.setFaultRate(1);
      const sentBefore = proxy.batchRequests;
      await connector.write(records(50, 50) + stateLine({ acknowledged: false }) + "\n");
      for (let poll = 0; poll < 500 && proxy.batchRequests === sentBefore; poll++) await sleep(10);
      assert.ok(proxy.batchRequests > sentBefore, "the second batch is in flight");

      connector.child.kill(signal);
      // stdin is never closed: the connector must stop reading on its own.
      const exit = await connector.exit(10_000);
      assert.notEqual(exit.code, 0);
      assert.equal(exit.signal, null, "the connector exits by itself, not killed by the signal");
      assert.deepEqual(
        statesOf(connector.messages).map((state) => state.data),
        [{ acknowledged: true }],
      );
      const error = errorTraceOf(connector.messages);
      assert.equal(error?.failure_type, "transient_error");
      assert.match(error?.message ?? "", /stopped by a signal/);
      assert.deepEqual(connector.nonJsonLines, []);
      assert.equal(connector.stderr().includes("    at "), false, "no stack trace on stderr");
    } finally {
      await proxy.stop();
    }
  });
}

/** Settings that make the connector wait on the silent endpoint for something: a queue lookup, a role, an alert. */
export type SilentWait = { role_arn?: string; alerts?: { webhook_url: string; on_failure: boolean } };

/** A test: SIGTERM while the connector waits on an endpoint that never answers, for `what`. */
export function testSigtermDuringSilentWait(what: string, extra: SilentWait): void {
  test(`SIGTERM during ${what} that never answers: prompt exit with a TRACE, no STATE`, async () => {
    const silent = await startNeverAnswers();
    try {
      const alerts = "alerts" in extra ? { alerts: { ...extra.alerts, webhook_url: `${silent.endpoint}/hook` } } : {};
      const config = emulatorConfigFile(silent.endpoint, {
        ...extra,
        ...alerts,
        queue: { source: "static", value: "orders" },
        request_timeout_seconds: 300,
        retry_max_seconds: 3600,
      });
      const connector = startConnector(["write", "--config", config, "--catalog", catalog]);
      await connector.write(records(0, 1) + stateLine({ n: 1 }) + "\n");
      for (let poll = 0; poll < 1000 && silent.connections === 0; poll++) await sleep(10);
      assert.ok(silent.connections > 0, "the connector is waiting on the silent endpoint");
      connector.child.kill("SIGTERM");
      // stdin stays open and the call would wait for minutes: only the signal can end the run.
      const exit = await connector.exit(15_000);
      assert.notEqual(exit.code, 0);
      assert.equal(exit.signal, null);
      assert.deepEqual(statesOf(connector.messages), []);
      const error = errorTraceOf(connector.messages);
      assert.equal(error?.failure_type, "transient_error");
      assert.match(error?.message ?? "", /stopped by a signal/);
      const traces = connector.messages.filter((message) => message.type === "TRACE" && message.trace?.type === "ERROR");
      assert.equal(traces.length, 1, "one error TRACE");
      assert.deepEqual(connector.nonJsonLines, []);
      assert.equal(connector.stderr(), "");
      const logs = connector.messages.flatMap((message) => (message.type === "LOG" ? [message.log?.message ?? ""] : []));
      // The write itself stopped at once: it reported its run summary.
      assert.ok(
        logs.some((text) => text.startsWith("SYNC_SUMMARY ")),
        `a run summary:\n${logs.join("\n")}`,
      );
      if ("alerts" in extra) {
        assert.equal(
          logs.some((text) => /alert/.test(text)),
          false,
          `the alert was not waited for:\n${logs.join("\n")}`,
        );
      }
    } finally {
      await silent.stop();
    }
  });
}
