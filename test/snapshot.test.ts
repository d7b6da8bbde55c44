// Change detection with the snapshot store on disk, against fauxqs: what each sync publishes, the
// lock on the store, Clear jobs and config errors. Syncs run in process except where only the CLI
// shows the behaviour (the built path once, a second process finding the store locked). A sync
// killed with SIGKILL and rerun is in test/slow/snapshot-local-crash.test.ts.
import assert from "node:assert/strict";
import { UserFacingError } from "../src/errors.js";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { catalogOf, errorTraceOf, recordLine, stateLine } from "./helpers/airbyte.js";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { clearCatalog as clearCatalogOf } from "./helpers/platform.js";
import { exitCodeOf, outputOf, startWrite } from "./helpers/live-connector.js";
import { withFauxqs } from "./helpers/emulators.js";
import { customer, fullRefresh, inputOf, snapshotConnection, STREAM } from "./helpers/snapshot-local.js";

function streamStatus(status: "COMPLETE" | "INCOMPLETE"): string {
  return JSON.stringify({
    type: "TRACE",
    trace: { type: "STREAM_STATUS", emitted_at: 1, stream_status: { stream_descriptor: { name: STREAM }, status } },
  });
}

withFauxqs("snapshot change detection", (context) => {
  const connection = (snapshot: Record<string, unknown> = {}) => snapshotConnection(context.emulator, snapshot);

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
    await store.sync(clearInput + "\n", {}, {}, clearCatalog);
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
    await assert.rejects(store.sync(inputOf([customer(1, "Ada")]), {}, {}, catalog), (error: unknown) => {
      assert.ok(error instanceof UserFacingError, String(error));
      assert.equal(error.failureType, "config_error");
      assert.match(error.message, /Stream "web\.events" has no primary key.*change_detection\.primary_key/);
      return true;
    });
  });
});
