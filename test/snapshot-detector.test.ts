import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { SnapshotDetector, type SnapshotSettings } from "../src/changes/snapshot/detector.js";
import type { ChangeDetector, Detection } from "../src/changes/types.js";
import { snapshotStorePath } from "../src/changes/snapshot/location.js";
import { validateConfig } from "../src/config/load.js";
import type { ConfiguredStream } from "../src/protocol/messages.js";
import { RowPipeline } from "../src/write/row-pipeline.js";

const stateDirectory = mkdtempSync(join(tmpdir(), "destination-sqs-snapshot-unit-"));
after(() => rmSync(stateDirectory, { recursive: true, force: true }));

let queueCounter = 0;

/** The row pipeline of each opened detector: it applies `events` as write does. */
const pipelines = new WeakMap<ChangeDetector, RowPipeline>();

const stream: ConfiguredStream = {
  stream: { name: "customers", json_schema: { type: "object" } },
  sync_mode: "full_refresh",
  destination_sync_mode: "append",
  primary_key: [["id"]],
};

/**
 * A fresh store (its own queue name, so its own file); `open` starts one sync on it, with other
 * settings if given; `path` is its file.
 */
function newStore(settings: Record<string, unknown> = {}) {
  const queue = { source: "static", value: `unit-${++queueCounter}` } as const;
  const configWith = (overrides: Record<string, unknown>) =>
    validateConfig(
      {
        region: "us-east-1",
        credentials: { auth_type: "default_chain" },
        queue,
        change_detection: { mode: "snapshot", state_directory: stateDirectory },
        ...overrides,
      },
      "the test config",
    );
  const config = configWith(settings);
  return {
    open: (options: { dryRun?: boolean; settings?: Record<string, unknown> } = {}): ChangeDetector => {
      const opened = options.settings ? configWith(options.settings) : config;
      const detector = SnapshotDetector.open(opened, opened.change_detection as SnapshotSettings, [stream], options.dryRun === true);
      pipelines.set(detector, new RowPipeline(opened, { detector, checkQueueUrl: () => undefined, streams: [] }));
      return detector;
    },
    path: snapshotStorePath(stateDirectory, queue),
  };
}

function detect(detector: ChangeDetector, data: Record<string, unknown>): Detection {
  return detector.detect({ stream: "customers", data, emitted_at: 1 }, stream, 1);
}

/** One sync where SQS acknowledges every published row; returns each row's change (or "unchanged") and the removed ids. */
async function syncAll(detector: ChangeDetector, rows: Record<string, unknown>[]): Promise<{ changes: string[]; removed: unknown[] }> {
  const pipeline = pipelines.get(detector)!;
  const changes = rows.map((row, index) => {
    const outcome = pipeline.record({ stream: "customers", data: row, emitted_at: 1 }, stream, index + 1);
    if (outcome.kind === "message") outcome.hooks.onPublished?.();
    if (outcome.kind === "rejected" && outcome.change === undefined) return "reject";
    return outcome.change ?? "unchanged";
  });
  const removed: unknown[] = [];
  for (const row of detector.completed(stream)) {
    const outcome = pipeline.removed(stream, row);
    if (outcome.kind === "message") outcome.hooks.onPublished?.();
    removed.push(row.data.id);
  }
  await detector.close(true);
  return { changes, removed };
}

test("a row seen but not acknowledged is neither removed nor advanced", async () => {
  const store = newStore();
  await syncAll(store.open(), [
    { id: 1, v: 1 },
    { id: 2, v: 1 },
  ]);

  const unacknowledged = store.open();
  const detection = detect(unacknowledged, { id: 1, v: 2 });
  assert.equal(detection.kind === "change" && detection.change, "changed");
  assert.deepEqual(
    [...unacknowledged.completed(stream)].map((row) => row.data),
    [{ id: 2, v: 1 }],
  );
  await unacknowledged.close(true);

  const next = store.open();
  const again = detect(next, { id: 1, v: 2 });
  assert.deepEqual(again.kind === "change" && [again.change, again.previous], ["changed", { id: 1, v: 1 }]);
  await next.close(true);
});

test("a dry run (preview) diffs against the store but leaves it as it was", async () => {
  const store = newStore();
  await syncAll(store.open(), [{ id: 1, v: 1 }]);
  const preview = store.open({ dryRun: true });
  assert.deepEqual(
    await syncAll(preview, [
      { id: 1, v: 2 },
      { id: 3, v: 1 },
    ]),
    { changes: ["changed", "added"], removed: [] },
  );
  assert.deepEqual(
    await syncAll(store.open(), [
      { id: 1, v: 2 },
      { id: 3, v: 1 },
    ]),
    { changes: ["changed", "added"], removed: [] },
  );
});

test("rows of change types left out of events are recorded at once, so later removals are still found", async () => {
  const store = newStore({ events: ["removed"] });
  assert.deepEqual(await syncAll(store.open(), [{ id: 1 }, { id: 2 }]), { changes: ["added", "added"], removed: [] });
  assert.deepEqual(await syncAll(store.open(), [{ id: 1 }]), { changes: ["unchanged"], removed: [2] });
});

test("a row whose primary key is missing or null is rejected, naming the column", async () => {
  const detector = newStore().open();
  const missing = detect(detector, { name: "no id" });
  assert.equal(missing.kind, "reject");
  assert.match(missing.kind === "reject" ? missing.reason : "", /primary key column "id" is missing/);
  const nulled = detect(detector, { id: null });
  assert.match(nulled.kind === "reject" ? nulled.reason : "", /primary key column "id" is null/);
  await detector.close(false);
});

test("removals are found page by page across more rows than one page holds", async () => {
  const store = newStore();
  const rows = Array.from({ length: 1203 }, (_, id) => ({ id }));
  await syncAll(store.open(), rows);
  const kept = rows.filter(({ id }) => id % 3 === 0);
  const { removed } = await syncAll(store.open(), kept);
  assert.equal(removed.length, rows.length - kept.length);
  assert.deepEqual((await syncAll(store.open(), kept)).removed, []);
});

test("a key that comes again in the same sync keeps the last acknowledged row, however many new rows are saved around it", async () => {
  const store = newStore();
  const detector = store.open();
  const acknowledge = (detection: Detection): void =>
    detection.kind === "change" ? detection.followUp?.publish().onPublished?.() : undefined;
  // Both copies of each repeated key are published before either is acknowledged, then both are.
  const firsts = Array.from({ length: 150 }, (_, id) => detect(detector, { id, v: "first" }));
  const seconds = Array.from({ length: 150 }, (_, id) => detect(detector, { id, v: id % 2 === 0 ? "second" : "first" }));
  firsts.slice(0, 100).forEach(acknowledge);
  seconds.forEach(acknowledge);
  firsts.slice(100).forEach(acknowledge);
  // A repeated key acknowledged after its first copy was stored is found as stored.
  assert.equal(detect(detector, { id: 0, v: "second" }).kind, "unchanged");
  assert.deepEqual([...detector.completed(stream)], []);
  await detector.close(true);

  const next = await syncAll(store.open(), [
    { id: 0, v: "second" },
    { id: 1, v: "first" },
    { id: 120, v: "first" },
  ]);
  assert.deepEqual(next.changes, ["unchanged", "unchanged", "unchanged"]);
  assert.equal(next.removed.length, 147);
});

test("a version 1 store, which hashed every row, is read as it was and then marked version 2", async () => {
  const store = newStore();
  await syncAll(store.open(), [
    { id: 1, v: 1 },
    { id: 2, v: 1 },
  ]);
  const file = new Database(store.path);
  const sha1 = (text: string): string => createHash("sha1").update(text).digest("base64");
  for (const { key, data } of file
    .prepare<[], { key: string; data: string }>("SELECT k.key, r.data FROM snapshot_keys k JOIN snapshot_rows r ON r.id = k.row_id")
    .all()) {
    file.prepare("UPDATE snapshot_keys SET hash = ? WHERE key = ?").run(sha1(data), key);
  }
  file.pragma("user_version = 1");
  file.close();

  assert.deepEqual(
    (
      await syncAll(store.open(), [
        { id: 1, v: 1 },
        { id: 2, v: 2 },
      ])
    ).changes,
    ["unchanged", "changed"],
  );
  const reopened = new Database(store.path, { readonly: true });
  assert.equal(reopened.pragma("user_version", { simple: true }), 2);
  reopened.close();
  assert.deepEqual(
    (
      await syncAll(store.open(), [
        { id: 1, v: 1 },
        { id: 2, v: 2 },
      ])
    ).changes,
    ["unchanged", "unchanged"],
  );
});

test("rows stored while whole rows were compared are compared by compare_columns once it is set", async () => {
  const store = newStore();
  await syncAll(store.open(), [
    { id: 1, v: 1, noise: "a" },
    { id: 2, v: 1, noise: "a" },
  ]);
  const compareV = { settings: { change_detection: { mode: "snapshot", state_directory: stateDirectory, compare_columns: ["v"] } } };
  assert.deepEqual(
    (
      await syncAll(store.open(compareV), [
        { id: 1, v: 1, noise: "b" },
        { id: 2, v: 2, noise: "a" },
      ])
    ).changes,
    ["unchanged", "changed"],
  );
});

test("a store of a format this version does not know is refused, saying what to do", async () => {
  const store = newStore();
  await syncAll(store.open(), [{ id: 1 }]);
  const file = new Database(store.path);
  file.pragma("user_version = 3");
  file.close();
  assert.throws(
    () => store.open(),
    /has format version 3, which this connector version does not read \(it reads versions 1 and 2\).*delete the file to start over/,
  );
});
