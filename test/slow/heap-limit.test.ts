// Buffered message bytes are capped by the heap limit: a small heap and large rows, with SQS not
// answering, make the reader wait instead of running out of memory.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { maxBufferedBytes } from "../../src/delivery/buffer-limit.js";
import { catalogOf, errorTraceOf, recordLine } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { emulatorConfigFile, startFauxqs, uniqueQueueName, type Emulator } from "../helpers/emulators.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";

test("the buffer cap is a share of the heap limit, at most 128 MiB", () => {
  const MiB = 1024 * 1024;
  assert.equal(maxBufferedBytes(128 * MiB), 8 * MiB);
  assert.equal(maxBufferedBytes(16 * 1024 * MiB), 128 * MiB);
});

let fauxqs: Emulator;
let proxy: FaultProxy;
before(async () => {
  fauxqs = await startFauxqs();
  // Every SendMessageBatch is held far longer than the connector waits for it.
  proxy = await startFaultProxy({ target: fauxqs.endpoint, seed: 1, faultRate: 1, faults: ["delay"], delayMs: 60_000 });
});
after(async () => {
  await proxy.stop();
  await fauxqs.stop();
});

async function* largeRows(count: number): AsyncIterable<string> {
  const text = "x".repeat(100_000);
  for (let id = 0; id < count; id++) yield `${recordLine("orders", { id, text })}\n`;
}

test("with a 128 MB heap, 100 KB rows and no answers from SQS, the sync ends with a TRACE, not a heap crash", async () => {
  const queue = uniqueQueueName("heap");
  await fauxqs.createQueue(queue);
  const config = emulatorConfigFile(proxy.endpoint, {
    queue: { source: "static", value: queue },
    // Long enough for the reader to fill whatever buffer it is allowed.
    request_timeout_seconds: 8,
    retry_max_seconds: 8,
    // Room for thousands of buffered messages by count: only the byte cap holds the reader back.
    max_in_flight: 100,
  });
  const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
  const result = await runCli(["write", "--config", config, "--catalog", catalog], {
    stdin: largeRows(3000),
    env: { NODE_OPTIONS: "--max-old-space-size=128" },
    timeoutMs: 120_000,
  });
  assert.equal(result.code, 1, `exit ${result.code}; stderr: ${result.stderr.slice(0, 500)}`);
  assert.equal(errorTraceOf(result.messages)?.failure_type, "transient_error");
  assert.equal(result.stderr, "");
});
