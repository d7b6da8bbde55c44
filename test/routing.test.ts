// Per-row routing: each row's queue comes from a column or a template, as a bare name (looked up
// once) or a URL; rows for a queue that does not exist are rejected alone. Those writes run in process
// (what a completed write sends and prints); a stream's destination_object_name goes through the real
// CLI. One of the other queue type stopping the CLI is in test/slow/routing.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { recordLine } from "./helpers/airbyte.js";
import { runCli } from "./helpers/cli.js";
import { countingProxy, describeRun, receivedIds, rejectionWarnings, rowsThenState, syncInProcess } from "./helpers/compose-e2e.js";
import { emulatorConfigFile, forEachEmulator, uniqueQueueName } from "./helpers/emulators.js";
import { activationCatalog, threeQueues } from "./helpers/routing.js";

forEachEmulator("routing", (context) => {
  test("a column of queue names and URLs spreads rows over three queues; a missing name rejects only its rows; each name is looked up once", async () => {
    const { emulator } = context;
    const { names, urls } = await threeQueues(emulator, "route-column");
    const missing = uniqueQueueName("route-column-missing");
    // Queues a and b by name, queue c by URL.
    const targets = [names[0]!, names[1]!, urls[2]!, missing];
    const rows = Array.from({ length: 12 }, (_, id) => ({ id, target: targets[id % 4] }));
    const proxy = await countingProxy(emulator.endpoint);
    try {
      const result = await syncInProcess(
        emulator,
        {
          endpoint: proxy.endpoint,
          queue: { source: "column", column: "target" },
          message_id: { source: "column", column: "id" },
          rejected_rows: { policy: "skip" },
        },
        rowsThenState(rows),
      );
      assert.deepEqual(proxy.actions.filter((action) => action === "ListQueues").length, 3, `calls: ${proxy.actions.join(", ")}`);

      const rejected = rejectionWarnings(result);
      assert.deepEqual(
        rejected.map((row) => row.messageId),
        ["3", "7", "11"],
      );
      for (const row of rejected) assert.match(row.reason, new RegExp(`Queue "${missing}" \\(queue\\) was not found in region us-east-1`));
      assert.deepEqual(
        result.states.map((state) => state.destinationStats),
        [{ recordCount: 9, rejectedRecordCount: 3 }],
      );
    } finally {
      await proxy.close();
    }
    assert.deepEqual(receivedIds(await emulator.receiveAll(urls[0]!)), [0, 4, 8]);
    assert.deepEqual(receivedIds(await emulator.receiveAll(urls[1]!)), [1, 5, 9]);
    assert.deepEqual(receivedIds(await emulator.receiveAll(urls[2]!)), [2, 6, 10]);
  });

  test("a template building queue URLs routes each row; rows for a URL with no queue are rejected while the rest arrive", async () => {
    const { emulator } = context;
    const { names, urls } = await threeQueues(emulator, "route-template");
    const urlPrefix = urls[0]!.slice(0, urls[0]!.length - names[0]!.length);
    const missing = uniqueQueueName("route-template-missing");
    const targets = [...names, missing];
    const rows = Array.from({ length: 8 }, (_, id) => ({ id, queue_name: targets[id % 4] }));
    const proxy = await countingProxy(emulator.endpoint);
    try {
      const result = await syncInProcess(
        emulator,
        {
          endpoint: proxy.endpoint,
          queue: { source: "template", template: `${urlPrefix}{{ row.queue_name }}` },
          message_id: { source: "template", template: "row-{{ row.id }}" },
          rejected_rows: { policy: "skip" },
        },
        rowsThenState(rows),
      );
      assert.equal(proxy.actions.includes("ListQueues"), false, "URLs need no lookup");
      const rejected = rejectionWarnings(result);
      assert.deepEqual(rejected.map((row) => row.messageId).sort(), ["row-3", "row-7"]);
      for (const row of rejected) assert.match(row.reason, new RegExp(`${missing}.*does not exist`));
      assert.equal(result.states[0]?.destinationStats?.rejectedRecordCount, 2);
    } finally {
      await proxy.close();
    }
    assert.deepEqual(receivedIds(await emulator.receiveAll(urls[0]!)), [0, 4]);
    assert.deepEqual(receivedIds(await emulator.receiveAll(urls[1]!)), [1, 5]);
    assert.deepEqual(receivedIds(await emulator.receiveAll(urls[2]!)), [2, 6]);
  });

  test("a stream's destination_object_name (name or URL) receives that stream's rows; a stream without one uses the queue setting", async () => {
    const { emulator } = context;
    const { names, urls } = await threeQueues(emulator, "activation");
    const catalog = activationCatalog([
      { name: "orders", destination: names[1]! },
      { name: "customers", destination: urls[2]! },
      { name: "events" },
    ]);
    const lines = [
      recordLine("orders", { id: 1 }),
      recordLine("customers", { id: 2 }),
      recordLine("events", { id: 3 }),
      recordLine("orders", { id: 4 }),
    ];
    const config = emulatorConfigFile(emulator.endpoint, { queue: { source: "static", value: names[0]! } });
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: `${lines.join("\n")}\n` });
    assert.equal(result.code, 0, describeRun(result));
    assert.deepEqual(receivedIds(await emulator.receiveAll(urls[0]!)), [3]);
    assert.deepEqual(receivedIds(await emulator.receiveAll(urls[1]!)), [1, 4]);
    assert.deepEqual(receivedIds(await emulator.receiveAll(urls[2]!)), [2]);
  });
});
