// The local snapshot store saves new keys in batches: every key ends with its last saved row, under the row id it reported.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { SnapshotStore } from "../src/changes/snapshot/store.js";

const directory = mkdtempSync(join(tmpdir(), "destination-sqs-store-batch-"));
after(() => rmSync(directory, { recursive: true, force: true }));

test("new keys saved across full and partial batches, some twice within one batch, keep their last row under the reported row id", () => {
  const path = join(directory, "snapshot.sqlite");
  const reported = new Set<number>();
  const store = SnapshotStore.open(path, { reset: false, dryRun: false, rowSaved: (rowId) => reported.add(rowId) });
  const orders = store.stream("orders", null);
  const users = store.stream("users", "crm");
  const expected = new Map<string, { streamId: number; key: string; data: string }>();
  const save = (streamId: number, id: number, version: string): void => {
    const key = JSON.stringify([id]);
    const data = JSON.stringify({ id, version });
    store.save(streamId, key, "", data, false);
    expected.set(`${streamId}/${key}`, { streamId, key, data });
  };
  // 600 saves: two full batches of 256 and a partial one; keys 0..49 of orders come again inside the first batch.
  for (let id = 0; id < 200; id++) save(orders.id, id, "first");
  for (let id = 0; id < 50; id++) save(orders.id, id, "second");
  for (let id = 0; id < 350; id++) save(id % 2 === 0 ? users.id : orders.id, 1000 + id, "only");
  store.close();

  const reopened = SnapshotStore.open(path, { reset: false, dryRun: false, rowSaved: () => undefined });
  try {
    for (const [name, { streamId, key, data }] of expected) {
      const found = reopened.find(streamId, key);
      assert.equal(found?.data, data, `the row of ${name}`);
      assert.equal(found.hash, "");
      assert.ok(reported.has(found.rowId), `the row id of ${name} was reported saved`);
      assert.equal(reopened.readRow(found.rowId), data);
    }
    assert.equal(reopened.keysAfter(orders.id, "", 1000).length, 200 + 175);
    assert.equal(reopened.keysAfter(users.id, "", 1000).length, 175);
  } finally {
    reopened.close();
  }
});
