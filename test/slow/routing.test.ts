// Routing through the CLI in one more way than the fast tier's (test/routing.test.ts), whose rule
// test/destination-object.test.ts proves in process: a destination_object_name of the other queue type.
import assert from "node:assert/strict";
import { test } from "node:test";
import { errorTraceOf, recordLine } from "../helpers/airbyte.js";
import { runCli } from "../helpers/cli.js";
import { describeRun } from "../helpers/compose-e2e.js";
import { emulatorConfigFile, forEachEmulator } from "../helpers/emulators.js";
import { activationCatalog, threeQueues } from "../helpers/routing.js";

forEachEmulator("routing", (context) => {
  test("a destination_object_name of the other queue type stops write before it reads a row, naming the stream and the value", async () => {
    const { emulator } = context;
    const [name] = (await threeQueues(emulator, "activation-bad")).names;
    const catalog = activationCatalog([{ name: "orders", destination: "orders-activation.fifo" }]);
    const config = emulatorConfigFile(emulator.endpoint, { queue: { source: "static", value: name! } });
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: `${recordLine("orders", { id: 1 })}\n` });
    assert.equal(result.code, 1, describeRun(result));
    const error = errorTraceOf(result.messages);
    assert.equal(error?.failure_type, "config_error");
    assert.match(error?.message ?? "", /stream "orders" has destination_object_name "orders-activation\.fifo", which names a FIFO queue/);
  });
});
