import assert from "node:assert/strict";
import { test } from "node:test";
import { errorTraceOf, recordLine, stateLine, statesOf } from "./helpers/airbyte.js";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { emulatorConfigFile, forEachEmulator, uniqueQueueName, type Emulator } from "./helpers/emulators.js";
import { TWO_STREAMS_CATALOG, assertFifoGroupsKeepOrder, assertTwoStreamsLandOnce } from "./helpers/write-two-streams.js";

function configFor(emulator: Emulator, settings: Record<string, unknown>): string {
  return emulatorConfigFile(emulator.endpoint, settings);
}

forEachEmulator("write", (context) => {
  const small = () => context.emulator.name === "moto";

  test("every record of two streams lands exactly once and each STATE is echoed after its records, with counts", async () => {
    // 250 per stream spans two STATEs and the last partial one; test/slow/write-volume.test.ts writes 2,500.
    await assertTwoStreamsLandOnce(context.emulator, small() ? 150 : 250);
  });

  test("FIFO: order is kept within each message group across many groups", async () => {
    // More groups than requests in flight; test/slow/write-volume.test.ts writes 60 groups.
    await assertFifoGroupsKeepOrder(context.emulator, small() ? 5 : 20, small() ? 8 : 25);
  });

  test("a line that is not JSON stops the sync naming the line, with no STATE after it", async () => {
    const { emulator } = context;
    const queueName = uniqueQueueName("write-bad-line");
    await emulator.createQueue(queueName);
    const input = [
      recordLine("orders", { id: 1 }),
      stateLine({ at: 1 }),
      "{not json",
      recordLine("orders", { id: 2 }),
      stateLine({ at: 2 }),
    ];
    const config = configFor(emulator, { queue: { source: "static", value: queueName } });
    const result = await runCli(["write", "--config", config, "--catalog", TWO_STREAMS_CATALOG], { stdin: input.join("\n") + "\n" });
    assert.equal(result.code, 1);
    const error = errorTraceOf(result.messages);
    assert.match(error?.message ?? "", /line 3 is not valid JSON/);
    assert.deepEqual(
      statesOf(result.messages).map((state) => state.data),
      [{ at: 1 }],
    );
    assert.equal(result.stderr.includes("    at "), false, "no stack trace on stderr");
  });

  test("a record for a stream missing from the catalog stops the sync naming the stream and line", async () => {
    const { emulator } = context;
    const queueName = uniqueQueueName("write-unknown-stream");
    await emulator.createQueue(queueName);
    const input = [recordLine("orders", { id: 1 }), recordLine("invoices", { id: 1 }), stateLine({ at: 2 })];
    const config = configFor(emulator, { queue: { source: "static", value: queueName } });
    const result = await runCli(["write", "--config", config, "--catalog", TWO_STREAMS_CATALOG], { stdin: input.join("\n") + "\n" });
    assert.equal(result.code, 1);
    const error = errorTraceOf(result.messages);
    assert.match(error?.message ?? "", /line 2 .*"invoices".*not in the configured catalog/);
    assert.equal(error?.failure_type, "config_error");
    assert.deepEqual(statesOf(result.messages), []);
  });
});

test("an invalid config makes write fail with a config_error naming the field, before reading input", async () => {
  const config = writeTempJson({
    region: "us-east-1",
    credentials: { auth_type: "access_key" },
    queue: { source: "static", value: "q" },
    queue_type: "lifo",
  });
  const result = await runCli(["write", "--config", config, "--catalog", TWO_STREAMS_CATALOG], {
    stdin: recordLine("orders", { id: 1 }) + "\n",
  });
  assert.equal(result.code, 1);
  const error = errorTraceOf(result.messages);
  assert.equal(error?.failure_type, "config_error");
  assert.match(error?.message ?? "", /queue_type/);
  assert.match(error?.message ?? "", /credentials\.access_key_id/);
});

test("empty input is a successful sync that echoes nothing", async () => {
  const config = emulatorConfigFile("http://127.0.0.1:9", { queue: { source: "static", value: "http://127.0.0.1:9/000000000000/q" } });
  const result = await runCli(["write", "--config", config, "--catalog", TWO_STREAMS_CATALOG], { stdin: "" });
  assert.equal(result.code, 0, result.stdout);
  assert.deepEqual(statesOf(result.messages), []);
});
