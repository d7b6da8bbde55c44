import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { catalogOf, errorTraceOf, recordLine, stateLine } from "./helpers/airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./helpers/cli.js";
import { clearCatalog as clearCatalogOf } from "./helpers/platform.js";
import { exitCodeOf, outputOf, startWrite } from "./helpers/live-connector.js";
import { emulatorConfig, emulatorConfigFile, uniqueQueueName, withFauxqs } from "./helpers/emulators.js";
import { writeInProcess } from "./helpers/in-process.js";
import { tempDirectory } from "./helpers/temp-directory.js";

type Row = Record<string, unknown> & { id: number };

interface Published {
  change: string;
  row: Row;
  previous: Row | null;
}

const BODY = '{"change":"{{ change }}","row":{{ row | json }},"previous":{{ previous | json }}}';
const STREAM = "customers";
const fullRefresh = writeTempJson(catalogOf([{ name: STREAM, primaryKey: [["id"]], syncMode: "full_refresh" }]));

const newStateDirectory = (): string => tempDirectory("snapshot");

function customer(id: number, name: string, extra: Record<string, unknown> = {}): Row {
  return { id, name, ...extra };
}

function streamStatus(status: "COMPLETE" | "INCOMPLETE"): string {
  return JSON.stringify({
    type: "TRACE",
    trace: { type: "STREAM_STATUS", emitted_at: 1, stream_status: { stream_descriptor: { name: STREAM }, status } },
  });
}

function inputOf(rows: Row[], ...extraLines: string[]): string {
  return [...rows.map((row) => recordLine(STREAM, row)), ...extraLines, stateLine({ done: true })].join("\n") + "\n";
}

withFauxqs("snapshot change detection", (context) => {
  /**
   * A queue, a state directory and a way to run syncs into them and read what they published:
   * `sync` runs the write in process, `syncCli` runs the built CLI.
   */
  async function connection(snapshot: Record<string, unknown> = {}) {
    const { emulator } = context;
    const queueName = uniqueQueueName("snapshot");
    const queueUrl = await emulator.createQueue(queueName);
    const stateDirectory = newStateDirectory();
    const settingsOf = (settings: Record<string, unknown> = {}, extraSnapshot: Record<string, unknown> = {}): Record<string, unknown> => ({
      queue: { source: "static", value: queueName },
      message_body: { format: "template", template: BODY },
      change_detection: { mode: "snapshot", state_directory: stateDirectory, ...snapshot, ...extraSnapshot },
      ...settings,
    });
    const configFile = (settings: Record<string, unknown> = {}): string => emulatorConfigFile(emulator.endpoint, settingsOf(settings));
    return {
      stateDirectory,
      configFile,
      sync(input: string, settings: Record<string, unknown> = {}, extraSnapshot: Record<string, unknown> = {}) {
        return writeInProcess(emulatorConfig(emulator, settingsOf(settings, extraSnapshot)), fullRefresh, input);
      },
      async syncCli(input: string): Promise<CliResult> {
        const result = await runCli(["write", "--config", configFile(), "--catalog", fullRefresh], { stdin: input });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        return result;
      },
      /** Everything published since the last call, sorted by change and id. */
      async published(expected?: number): Promise<Published[]> {
        const received = await emulator.receiveAll(queueUrl, expected === undefined ? {} : { expected });
        return sortPublished(received.map((message) => JSON.parse(message.body) as Published));
      },
    };
  }

  test("three syncs publish the backfill, then exactly the added, changed and removed rows, then retry rejected rows", async () => {
    const store = await connection();
    const v1 = [customer(1, "Ada"), customer(2, "Brian"), customer(3, "Chen"), customer(4, "Dana")];
    await store.syncCli(inputOf(v1));
    assert.deepEqual(
      await store.published(4),
      v1.map((row) => ({ change: "added", row, previous: null })),
    );

    const v2 = [customer(1, "Ada"), customer(2, "Brian Smith"), customer(4, "Dana"), customer(5, "Eve")];
    await store.sync(inputOf(v2));
    assert.deepEqual(await store.published(3), [
      { change: "added", row: customer(5, "Eve"), previous: null },
      { change: "changed", row: customer(2, "Brian Smith"), previous: customer(2, "Brian") },
      { change: "removed", row: customer(3, "Chen"), previous: customer(3, "Chen") },
    ]);

    // Rows 1 and 6 become larger than max_message_bytes: rejected and skipped, so the snapshot keeps
    // row 1's published version (and must not call it removed) and never records row 6.
    const long = "x".repeat(2000);
    const v3 = [
      customer(1, "Ada", { note: long }),
      customer(2, "Brian S."),
      customer(4, "Dana"),
      customer(5, "Eve"),
      customer(6, "Fay", { note: long }),
    ];
    const rejecting = await store.sync(inputOf(v3), { max_message_bytes: 1024, rejected_rows: { policy: "skip" } });
    assert.match(rejecting.stdout, /"rejectedRecordCount":2/);
    assert.deepEqual(await store.published(1), [{ change: "changed", row: customer(2, "Brian S."), previous: customer(2, "Brian Smith") }]);

    await store.sync(inputOf(v3));
    assert.deepEqual(await store.published(2), [
      { change: "added", row: customer(6, "Fay", { note: long }), previous: null },
      { change: "changed", row: customer(1, "Ada", { note: long }), previous: customer(1, "Ada") },
    ]);
  });

  test("changes_only: the first sync publishes nothing, the next publishes only what changed since", async () => {
    const store = await connection({ initial_sync: "changes_only" });
    await store.sync(inputOf([customer(1, "Ada"), customer(2, "Brian"), customer(3, "Chen")]));
    assert.deepEqual(await store.published(), []);

    await store.sync(inputOf([customer(1, "Ada"), customer(2, "Bea"), customer(4, "Dana")]));
    assert.deepEqual(await store.published(3), [
      { change: "added", row: customer(4, "Dana"), previous: null },
      { change: "changed", row: customer(2, "Bea"), previous: customer(2, "Brian") },
      { change: "removed", row: customer(3, "Chen"), previous: customer(3, "Chen") },
    ]);
  });

  test("a stream that ends INCOMPLETE removes nothing; the next complete sync does", async () => {
    const store = await connection();
    await store.sync(inputOf([customer(1, "Ada"), customer(2, "Brian"), customer(3, "Chen")]));
    assert.equal((await store.published(3)).length, 3);

    await store.sync(inputOf([customer(1, "Ada")], streamStatus("INCOMPLETE")));
    assert.deepEqual(await store.published(), []);

    await store.sync(inputOf([customer(1, "Ada")], streamStatus("COMPLETE")));
    assert.deepEqual(
      (await store.published(2)).map(({ change, row }) => [change, row.id]),
      [
        ["removed", 2],
        ["removed", 3],
      ],
    );
  });

  test("a source that reports stream statuses but ends without COMPLETE removes nothing", async () => {
    const store = await connection();
    await store.sync(inputOf([customer(1, "Ada"), customer(2, "Brian")]));
    assert.equal((await store.published(2)).length, 2);

    const started = JSON.stringify({
      type: "TRACE",
      trace: { type: "STREAM_STATUS", emitted_at: 1, stream_status: { stream_descriptor: { name: STREAM }, status: "STARTED" } },
    });
    await store.sync([started, recordLine(STREAM, customer(1, "Ada")), stateLine({ done: true })].join("\n") + "\n");
    assert.deepEqual(await store.published(), []);
  });

  test("compare_columns: changes in other columns are not published", async () => {
    const store = await connection({ compare_columns: ["name"] });
    await store.sync(inputOf([customer(1, "Ada", { seen_at: 1 }), customer(2, "Brian", { seen_at: 1 })]));
    assert.equal((await store.published(2)).length, 2);

    await store.sync(inputOf([customer(1, "Ada", { seen_at: 2 }), customer(2, "Bea", { seen_at: 2 })]));
    assert.deepEqual(await store.published(1), [
      { change: "changed", row: customer(2, "Bea", { seen_at: 2 }), previous: customer(2, "Brian", { seen_at: 1 }) },
    ]);
  });

  test("reset: true starts over, publishing every row as added again", async () => {
    const store = await connection();
    const rows = [customer(1, "Ada"), customer(2, "Brian")];
    await store.sync(inputOf(rows));
    assert.equal((await store.published(2)).length, 2);
    await store.sync(inputOf(rows), {}, { reset: true });
    assert.deepEqual(
      (await store.published(2)).map(({ change }) => change),
      ["added", "added"],
    );
  });

  test("a sync killed with SIGKILL loses nothing: the rerun publishes every row not yet recorded, then the store is settled", async () => {
    const store = await connection();
    const count = 300;
    const ids = Array.from({ length: count }, (_, id) => id);
    await store.sync(inputOf(ids.map((id) => customer(id, `v1-${id}`))));
    assert.equal((await store.published(count)).length, count);

    const v2 = ids.map((id) => customer(id, `v2-${id}`));
    const seenV2 = new Set<number>();
    const collect = async (): Promise<Published[]> => {
      const published = await store.published();
      for (const message of published) if (message.row.name === `v2-${message.row.id}`) seenV2.add(message.row.id);
      return published;
    };

    // Half the rows, input held open, then kill -9 once some have reached the queue.
    const child = startWrite(store.configFile(), fullRefresh);
    child.stdin.write(
      v2
        .slice(0, count / 2)
        .map((row) => recordLine(STREAM, row))
        .join("\n") + "\n",
    );
    for (let poll = 0; poll < 200 && seenV2.size < 20; poll++) {
      await collect();
      await sleep(25);
    }
    assert.ok(seenV2.size >= 20, "the killed sync published part of its rows first");
    child.kill("SIGKILL");
    await exitCodeOf(child);
    await collect();

    const rerun = await store.syncCli(inputOf(v2));
    assert.deepEqual(rerun.stderr, "");
    const rerunPublished = await collect();
    assert.ok(
      rerunPublished.every((message) => message.change === "changed"),
      "the rerun neither re-adds nor removes rows",
    );
    assert.equal(seenV2.size, count, "every changed row was published by one of the two runs");

    await store.sync(inputOf(v2));
    assert.deepEqual(await store.published(), [], "after the rerun every row is recorded as published");
  });

  test("a second sync on the same store while one is running fails at once, and the first completes", async () => {
    const store = await connection();
    const first = startWrite(store.configFile(), fullRefresh);
    const stdout = outputOf(first);
    first.stdin.write(recordLine(STREAM, customer(1, "Ada")) + "\n");
    assert.equal((await store.published(1)).length, 1, "the first sync is running");

    const second = await runCli(["write", "--config", store.configFile(), "--catalog", fullRefresh], {
      stdin: inputOf([customer(2, "Brian")]),
    });
    assert.equal(second.code, 1);
    const error = errorTraceOf(second.messages);
    assert.match(error?.message ?? "", /Another sync is using the snapshot store .*snapshot-[0-9a-f]{16}\.sqlite/);
    assert.equal(error?.failure_type, "transient_error");

    first.stdin.end(recordLine(STREAM, customer(3, "Chen")) + "\n" + stateLine({ done: true }) + "\n");
    assert.equal(await exitCodeOf(first), 0, await stdout);
    assert.deepEqual(
      (await store.published(1)).map(({ change, row }) => [change, row.id]),
      [["added", 3]],
    );
    assert.deepEqual(readdirSync(store.stateDirectory).filter((name) => name.endsWith(".sqlite")).length, 1);
  });

  test("a Clear job (null STREAM state, no records) empties the local snapshot without publishing; state_directory still works", async () => {
    const store = await connection();
    await store.sync(inputOf([customer(1, "Ada"), customer(2, "Brian")]));
    assert.equal((await store.published(2)).length, 2);

    const clearCatalog = writeTempJson(clearCatalogOf([{ name: STREAM, primaryKey: [["id"]] }], 3));
    const clearInput = [
      JSON.stringify({ type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: { name: STREAM }, stream_state: null } } }),
      streamStatus("COMPLETE"),
    ].join("\n");
    const cleared = await runCli(["write", "--config", store.configFile(), "--catalog", clearCatalog], { stdin: clearInput + "\n" });
    assert.equal(cleared.code, 0, cleared.stdout);
    assert.deepEqual(await store.published(), []);

    await store.sync(inputOf([customer(1, "Ada")]));
    assert.deepEqual(
      (await store.published(1)).map(({ change, row }) => [change, row.id]),
      [["added", 1]],
      "backfill again after a Clear",
    );
  });

  test("a stream with no primary key in the catalog or the config is a config error naming the stream", async () => {
    const store = await connection();
    const catalog = writeTempJson(
      catalogOf([
        { name: STREAM, primaryKey: [["id"]] },
        { name: "events", namespace: "web" },
      ]),
    );
    const result = await runCli(["write", "--config", store.configFile(), "--catalog", catalog], { stdin: inputOf([customer(1, "Ada")]) });
    assert.equal(result.code, 1);
    const error = errorTraceOf(result.messages);
    assert.equal(error?.failure_type, "config_error");
    assert.match(error?.message ?? "", /Stream "web\.events" has no primary key.*change_detection\.primary_key/);
  });
});

function sortPublished(messages: Published[]): Published[] {
  return messages.sort((a, b) => a.change.localeCompare(b.change) || a.row.id - b.row.id);
}
