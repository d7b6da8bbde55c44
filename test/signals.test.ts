// SIGTERM and SIGINT mid-write, with stdin a pipe that stays open and batches stuck in flight:
// the connector exits promptly, non-zero, and echoes no STATE whose records were not acknowledged.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { startFauxqs } from "fauxqs";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "./helpers/airbyte.js";
import { writeTempJson } from "./helpers/cli.js";
import { uniqueQueueName, emulatorConfigFile } from "./helpers/emulators.js";
import { startFaultProxy } from "./helpers/fault-proxy.js";
import { startNeverAnswers } from "./helpers/fake-endpoints.js";
import { startConnector } from "./helpers/live-connector.js";

type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;

const catalog = writeTempJson(catalogOf([{ name: "orders" }]));

let server: Fauxqs;
before(async () => {
  server = await startFauxqs({ port: 0, logger: false });
});
after(async () => {
  await server.stop();
});

function records(first: number, count: number): string {
  return Array.from({ length: count }, (_, k) => recordLine("orders", { id: first + k })).join("\n") + "\n";
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} with batches in flight and stdin still open: prompt non-zero exit, no STATE for unacknowledged records`, async () => {
    const queueName = uniqueQueueName(`signal-${signal}`);
    server.createQueue(queueName);
    // Once enabled, every SendMessageBatch is held far longer than the test waits.
    const proxy = await startFaultProxy({ target: server.address, seed: 3, faultRate: 0, faults: ["delay"], delayMs: 60_000 });
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

describe("a signal ends the sync whatever it is waiting for", () => {
  const waits = {
    "a queue lookup": {},
    "a role assumption": { role_arn: "arn:aws:iam::123456789012:role/writer" },
    // The alert a failed sync sends goes to the same silent endpoint, after the write has stopped:
    // the process does not wait for it (nor for its 5 s timeout) to exit.
    "a queue lookup, then an alert,": { alerts: { webhook_url: "http://127.0.0.1/hook", on_failure: true } },
  };
  for (const [what, extra] of Object.entries(waits)) {
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
});
