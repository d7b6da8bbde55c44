// The local snapshot store's write failures say which store, what is wrong and what to do.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import type Database from "better-sqlite3";
import { SnapshotStore } from "../src/changes/snapshot/store.js";
import { UserFacingError } from "../src/errors.js";
import { readPackageJson } from "../src/package-files.js";
import type { AirbyteMessage } from "../src/protocol/messages.js";
import { catalogOf, recordLine } from "./helpers/airbyte.js";
import { REPO_ROOT } from "./helpers/cli.js";

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
      assert.match(
        error.message,
        new RegExp(`^The local snapshot store ${path} cannot be written: the disk holding it is full\\. Free space`),
      );
      return true;
    },
  );
  try {
    store.close();
  } catch {
    // Closing reports the same failure again.
  }
});

/** Runs as an unprivileged user: root may write anywhere. */
const UNPRIVILEGED = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
const canDropPrivileges = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0;

/**
 * Copies the built connector as its package ships it (package.json and its `files`) and the packages
 * it loads at run time (better-sqlite3, its addon and what finds it) into `directory`: the
 * repository may sit where the unprivileged user cannot read it (a home of mode 0700, a clone inside
 * a mkdtemp directory). Returns the copy's main.js.
 */
function copyConnectorFor(directory: string): string {
  const requireFrom = (from: string) => createRequire(join(from, "noop.js"));
  const sqlite = dirname(requireFrom(REPO_ROOT).resolve("better-sqlite3/package.json"));
  const bindings = dirname(requireFrom(sqlite).resolve("bindings/package.json"));
  const fileUriToPath = dirname(requireFrom(bindings).resolve("file-uri-to-path/package.json"));
  const modules = join(directory, "node_modules");
  for (const file of ["package.json", "lib", join("build", "Release", "better_sqlite3.node")]) {
    cpSync(join(sqlite, file), join(modules, "better-sqlite3", file), { recursive: true });
  }
  cpSync(bindings, join(modules, "bindings"), { recursive: true });
  cpSync(fileUriToPath, join(modules, "file-uri-to-path"), { recursive: true });
  const { files } = readPackageJson<{ files: string[] }>("package.json");
  for (const file of ["package.json", ...files]) cpSync(join(REPO_ROOT, file), join(directory, file), { recursive: true });
  return join(directory, "dist", "main.js");
}

test("a state_directory under a directory the connector may not write names that directory", {
  skip: canDropPrivileges ? false : "needs root and setpriv to run the connector as another user",
}, () => {
  const shared = mkdtempSync(join(tmpdir(), "destination-sqs-readonly-"));
  try {
    chmodSync(shared, 0o755);
    const readOnly = join(shared, "readonly");
    mkdirSync(readOnly, { mode: 0o555 });
    chmodSync(readOnly, 0o555);
    const config = join(shared, "config.json");
    const catalog = join(shared, "catalog.json");
    writeFileSync(
      config,
      JSON.stringify({
        region: "us-east-1",
        endpoint: "http://127.0.0.1:9",
        credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "test" },
        queue: { source: "static", value: "orders" },
        change_detection: { mode: "snapshot", state_directory: join(readOnly, "a", "b") },
      }),
    );
    writeFileSync(catalog, JSON.stringify(catalogOf([{ name: "orders", primaryKey: [["id"]] }])));
    chmodSync(config, 0o644);
    chmodSync(catalog, 0o644);
    const main = copyConnectorFor(join(shared, "connector"));
    const run = spawnSync(
      UNPRIVILEGED[0]!,
      [...UNPRIVILEGED.slice(1), process.execPath, main, "write", "--config", config, "--catalog", catalog],
      {
        input: `${recordLine("orders", { id: 1 })}\n`,
        encoding: "utf8",
        timeout: 30_000,
        cwd: shared,
      },
    );
    assert.equal(run.status, 1, run.stderr);
    const trace = run.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as AirbyteMessage)
      .find((message) => message.type === "TRACE");
    assert.equal(trace?.trace?.error?.failure_type, "config_error");
    assert.match(trace?.trace?.error?.message ?? "", new RegExp(`cannot be created \\(${readOnly} is not writable: EACCES\\)`));
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
});
