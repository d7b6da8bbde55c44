// The local snapshot store's write failures say which store, what is wrong and what to do.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type Database from "better-sqlite3";
import { SnapshotStore } from "../src/changes/snapshot-store.js";
import { UserFacingError } from "../src/errors.js";

const directory = mkdtempSync(join(tmpdir(), "destination-sqs-store-"));
after(() => rmSync(directory, { recursive: true, force: true }));

test("a full disk under the store is reported as such, naming the store and what to do", () => {
  const path = join(directory, "snapshot-full.sqlite");
  const store = SnapshotStore.open(path, { reset: false, dryRun: false, rowSaved: () => undefined });
  // The disk fills up: SQLite may not grow the file any further (SQLITE_FULL, as with ENOSPC).
  const db = (store as unknown as { db: Database.Database }).db;
  db.pragma(`max_page_count = ${Number(db.pragma("page_count", { simple: true })) + 2}`);
  const stream = store.stream("orders", null);
  assert.throws(
    () => {
      for (let id = 0; id < 10_000; id++) store.save(stream.id, String(id), "hash", JSON.stringify({ id, text: "x".repeat(500) }), false);
      store.close();
    },
    (error: unknown) => {
      assert.ok(error instanceof UserFacingError, String(error));
      assert.match(error.message, new RegExp(`^The local snapshot store ${path} cannot be written: the disk holding it is full\\. Free space`));
      return true;
    },
  );
  try {
    store.close();
  } catch {
    // Closing reports the same failure again.
  }
});
