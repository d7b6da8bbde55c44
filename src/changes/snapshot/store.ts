import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { UserFacingError } from "../../errors.js";
import { KeyFilter } from "./key-filter.js";
import { directoryNotCreated, explainOpenError, explainWriteError } from "./store-errors.js";

/** Written changes are committed after this many writes, or after COMMIT_EVERY_MS, whichever comes first. */
const COMMIT_EVERY_WRITES = 10000;
const COMMIT_EVERY_MS = 250;
/** Version 2 stores an empty hash for rows compared by their whole text; version 1 rows (all hashed) read the same. */
const SCHEMA_VERSION = 2;
const READABLE_VERSIONS: ReadonlySet<number> = new Set([1, SCHEMA_VERSION]);
/** New keys are inserted this many per statement: one statement per row costs about twice the CPU. */
const INSERT_BATCH = 256;

// Keys live in a narrow table so that looking a record up walks one small B-tree; the published
// rows, read only for keys found, live in their own table, where new rows are appended.
const SCHEMA = `
  CREATE TABLE snapshot_streams (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    initialized INTEGER NOT NULL DEFAULT 0,
    UNIQUE (namespace, name)
  );
  CREATE TABLE snapshot_keys (
    stream_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    hash TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    PRIMARY KEY (stream_id, key)
  ) WITHOUT ROWID;
  CREATE TABLE snapshot_rows (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
  PRAGMA user_version = ${SCHEMA_VERSION};
`;

const RESET = "DELETE FROM snapshot_keys; DELETE FROM snapshot_rows; DELETE FROM snapshot_streams;";

interface StoredKey {
  rowId: number;
  /** The row's fingerprint: empty when rows are compared by their whole JSON text. */
  hash: string;
  /** The last published row, as the JSON text it was saved with. */
  data: string;
}

interface NewRow {
  streamId: number;
  key: string;
  hash: string;
  data: string;
}

/** The columns of snapshot_keys that insertKeys binds per row: stream_id, key, hash, row_id. */
const KEY_COLUMNS = 4;

interface StoredStream {
  id: number;
  /** Whether a sync has completed this stream before (until then `changes_only` only records). */
  initialized: boolean;
}

/**
 * The snapshot file: for each stream and primary key, the last published row and its fingerprint.
 * The connection holds SQLite's exclusive lock from open to close, so a second sync on the same
 * file fails at once; the operating system drops the lock when a process dies, even by kill -9.
 * Writes are grouped into transactions, so a crash loses at most the last few hundred ms of them
 * and never leaves a half-written row.
 */
export class SnapshotStore {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private writesSinceCommit = 0;
  private readonly commitTimer: NodeJS.Timeout | undefined;
  private commitFailure: Error | undefined;
  private closed = false;
  /** Grows with every write, so that a copy can tell whether anything changed since the last one. */
  private writeCount = 0;
  /**
   * Saved new keys not inserted yet, which `flush` inserts: the first `newRowCount` entries of the
   * batch statements' own parameter arrays, filled in place so that a batch allocates nothing per row.
   * They are passed spread: better-sqlite3 binds arguments directly, but reads an array's elements through V8's object API.
   */
  private newRowCount = 0;
  private readonly newRowData: string[] = Array.from({ length: INSERT_BATCH }, () => "");
  /** stream_id, key, hash and row_id of each new key; the row id is filled in once its row is inserted. */
  private readonly newKeyParams: (string | number)[] = Array.from({ length: INSERT_BATCH * KEY_COLUMNS }, () => 0);
  /** Streams that held no keys when the sync began, with the keys saved to them since (null: none yet). */
  private readonly startedEmpty = new Map<number, KeyFilter | null>();

  private constructor(
    db: Database.Database,
    private readonly path: string,
    private readonly dryRun: boolean,
    private readonly rowSaved: (rowId: number) => void,
  ) {
    this.db = db;
    this.statements = prepareStatements(db);
    this.commitTimer = dryRun ? undefined : setInterval(() => this.commitInBackground(), COMMIT_EVERY_MS).unref();
  }

  /**
   * Opens (creating it if needed) and locks the store at `path`; `reset` empties it first. A dry
   * run keeps every write in one transaction that close rolls back, so it leaves the store as it was.
   */
  static open(path: string, options: { reset: boolean; dryRun: boolean; rowSaved: (rowId: number) => void }): SnapshotStore {
    createSnapshotDirectory(dirname(path));
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: 0 });
      // Exclusive locking before WAL: the lock is held for the whole sync and no shared-memory file is used.
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      prepareSchema(db, path);
      const store = new SnapshotStore(db, path, options.dryRun, options.rowSaved);
      if (options.reset) store.empty();
      return store;
    } catch (error) {
      db?.close();
      throw explainOpenError(error, path);
    }
  }

  stream(name: string, namespace: string | null | undefined): StoredStream {
    const ns = namespace ?? "";
    const found = this.statements.findStream.get(ns, name);
    if (found) {
      if (this.statements.hasKeys.get(found.id) === undefined) this.startedEmpty.set(found.id, null);
      return { id: found.id, initialized: found.initialized === 1 };
    }
    const id = this.write(() => Number(this.statements.addStream.run(ns, name).lastInsertRowid));
    this.startedEmpty.set(id, null);
    return { id, initialized: false };
  }

  markInitialized(streamId: number): void {
    this.flush();
    this.write(() => this.statements.initialize.run(streamId));
  }

  /**
   * The key's stored hash and row. A new key saved moments ago may still wait in a batch and not be
   * found, exactly as if its acknowledgement had not arrived yet: it then comes as added again, and
   * saving it again replaces the earlier row.
   */
  find(streamId: number, key: string): StoredKey | undefined {
    const saved = this.startedEmpty.get(streamId);
    if (saved === null || saved?.mayHave(key) === false) return undefined;
    const found = this.statements.findKey.get(streamId, key);
    return found && { rowId: found[0], hash: found[1], data: found[2] };
  }

  /** The last published row, as the JSON text it was saved with. */
  readRow(rowId: number): string {
    this.flush();
    const data = this.statements.readRow.get(rowId);
    if (data === undefined) throw new Error(`snapshot row ${rowId} is missing although its key refers to it`);
    return data;
  }

  /**
   * Records `data` as the key's last published row and reports its row id to `rowSaved`. `known`
   * says whether `find` found the key: new keys are inserted in batches, without first trying (and
   * failing) to update them; every other call, and each commit, inserts the batch first.
   */
  save(streamId: number, key: string, hash: string, data: string, known: boolean): void {
    if (this.commitFailure) throw this.commitFailure;
    this.rememberSaved(streamId, key);
    if (known) {
      this.flush();
      this.rowSaved(this.write(() => this.update(streamId, key, hash, data)));
      return;
    }
    const index = this.newRowCount++;
    this.newRowData[index] = data;
    const params = this.newKeyParams;
    const at = index * KEY_COLUMNS;
    params[at] = streamId;
    params[at + 1] = key;
    params[at + 2] = hash;
    if (this.newRowCount === INSERT_BATCH) this.flush();
  }

  /**
   * Records `data` under `fingerprint` without reporting the row seen: for keys a sync published
   * a change of and stopped before committing it, so that they are published again.
   */
  markUncertain(streamId: number, key: string, fingerprint: string, data: string): void {
    this.flush();
    this.rememberSaved(streamId, key);
    this.write(() => this.update(streamId, key, fingerprint, data));
  }

  remove(streamId: number, key: string): void {
    this.flush();
    this.write(() => {
      const rowId = this.statements.deleteKey.get(streamId, key);
      if (rowId !== undefined) this.statements.deleteRow.run(rowId);
    });
  }

  /** Up to `limit` keys of a stream in key order, after `afterKey`: pages never hold a statement open between calls. */
  keysAfter(streamId: number, afterKey: string, limit: number): { key: string; rowId: number }[] {
    this.flush();
    return this.statements.keysAfter.all(streamId, afterKey, limit);
  }

  /** Forgets every key of a stream and marks it never synced, as if it were new. */
  clearStream(streamId: number): void {
    this.flush();
    this.startedEmpty.set(streamId, null);
    this.write(() => {
      this.statements.deleteStreamRows.run(streamId);
      this.statements.deleteStreamKeys.run(streamId);
      this.statements.uninitialize.run(streamId);
    });
  }

  /** A count of writes so far: equal counts mean nothing was written in between. */
  get writes(): number {
    return this.writeCount;
  }

  /** Commits what is written and writes a compact copy of the whole store to `path` (a file that must not exist). */
  copyTo(path: string): void {
    this.commit();
    this.db.prepare("VACUUM INTO ?").run(path);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Commits what is written (a dry run rolls it back) and releases the lock; later calls do nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.commitTimer);
    try {
      if (this.dryRun) {
        this.flush();
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
      } else {
        this.commit();
        // Folds the write-ahead log back into the file so the state directory holds one compact file.
        this.db.pragma("wal_checkpoint(TRUNCATE)");
      }
    } finally {
      this.db.close();
    }
    if (this.commitFailure) throw this.commitFailure;
  }

  private rememberSaved(streamId: number, key: string): void {
    if (!this.startedEmpty.has(streamId)) return;
    let saved = this.startedEmpty.get(streamId);
    if (!saved) {
      saved = new KeyFilter();
      this.startedEmpty.set(streamId, saved);
    }
    saved.add(key);
  }

  private update(streamId: number, key: string, hash: string, data: string): number {
    const existing = this.statements.updateKey.get(hash, streamId, key);
    if (existing === undefined) return this.insert(streamId, key, hash, data);
    this.statements.updateRow.run(data, existing);
    return existing;
  }

  private insert(streamId: number, key: string, hash: string, data: string): number {
    const rowId = Number(this.statements.insertRow.run(data).lastInsertRowid);
    if (this.statements.insertKey.run(streamId, key, hash, rowId).changes === 1) return rowId;
    return this.replaceInserted(rowId, { streamId, key, hash, data });
  }

  /** The key was saved since it was looked up (it came twice this sync): updates that row instead of `rowId`. */
  private replaceInserted(rowId: number, row: NewRow): number {
    this.statements.deleteRow.run(rowId);
    return this.update(row.streamId, row.key, row.hash, row.data);
  }

  /**
   * Inserts the saved new keys: full batches with one statement per table, the rest one by one. A
   * key that is already stored (saved twice, in this batch or before it) gets its row updated, so
   * the last save wins.
   */
  private flush(): void {
    const count = this.newRowCount;
    if (count === 0) return;
    // Emptied before inserting: a commit the write makes flushes again, and must find nothing left.
    this.newRowCount = 0;
    this.write(() => {
      if (count !== INSERT_BATCH) {
        for (let index = 0; index < count; index++) {
          const row = this.newRow(index);
          this.rowSaved(this.insert(row.streamId, row.key, row.hash, row.data));
        }
        return;
      }
      const lastRowId = Number(this.statements.insertRows.run(...this.newRowData).lastInsertRowid);
      // One INSERT numbers its rows consecutively (new rowids follow the largest), so the first is lastRowId - count + 1.
      const firstRowId = lastRowId - count + 1;
      const params = this.newKeyParams;
      for (let index = 0; index < count; index++) params[index * KEY_COLUMNS + 3] = firstRowId + index;
      const inserted = this.statements.insertKeys.run(...params).changes;
      for (let index = 0; index < count; index++) {
        const rowId = firstRowId + index;
        const at = index * KEY_COLUMNS;
        const keptOwnRow = inserted === count || this.statements.findRowId.get(params[at] as number, params[at + 1] as string) === rowId;
        this.rowSaved(keptOwnRow ? rowId : this.replaceInserted(rowId, this.newRow(index)));
      }
    }, count);
  }

  private newRow(index: number): NewRow {
    const params = this.newKeyParams;
    const at = index * KEY_COLUMNS;
    return { streamId: params[at] as number, key: params[at + 1] as string, hash: params[at + 2] as string, data: this.newRowData[index]! };
  }

  private empty(): void {
    this.write(() => this.db.exec(RESET));
  }

  private write<T>(change: () => T, writes = 1): T {
    if (this.commitFailure) throw this.commitFailure;
    let result: T;
    try {
      if (!this.db.inTransaction) this.statements.begin.run();
      result = change();
    } catch (error) {
      throw explainWriteError(error, this.path);
    }
    this.writesSinceCommit += writes;
    this.writeCount += writes;
    if (this.writesSinceCommit >= COMMIT_EVERY_WRITES && !this.dryRun) this.commit();
    return result;
  }

  private commit(): void {
    this.flush();
    try {
      if (this.db.inTransaction) this.statements.commit.run();
    } catch (error) {
      throw explainWriteError(error, this.path);
    }
    this.writesSinceCommit = 0;
  }

  /** A failed timed commit (e.g. a full disk) is reported by the next write or by close. */
  private commitInBackground(): void {
    try {
      this.commit();
    } catch (error) {
      this.commitFailure ??= error as Error;
    }
  }
}

function prepareStatements(db: Database.Database) {
  return {
    begin: db.prepare("BEGIN"),
    commit: db.prepare("COMMIT"),
    findStream: db.prepare<[string, string], { id: number; initialized: number }>(
      "SELECT id, initialized FROM snapshot_streams WHERE namespace = ? AND name = ?",
    ),
    addStream: db.prepare<[string, string]>("INSERT INTO snapshot_streams (namespace, name) VALUES (?, ?)"),
    initialize: db.prepare<[number]>("UPDATE snapshot_streams SET initialized = 1 WHERE id = ?"),
    uninitialize: db.prepare<[number]>("UPDATE snapshot_streams SET initialized = 0 WHERE id = ?"),
    deleteStreamRows: db.prepare<[number]>("DELETE FROM snapshot_rows WHERE id IN (SELECT row_id FROM snapshot_keys WHERE stream_id = ?)"),
    deleteStreamKeys: db.prepare<[number]>("DELETE FROM snapshot_keys WHERE stream_id = ?"),
    // Rows as arrays: cheaper than objects for the one query made per record.
    findKey: db
      .prepare<[number, string], [number, string, string]>(
        "SELECT k.row_id, k.hash, r.data FROM snapshot_keys k JOIN snapshot_rows r ON r.id = k.row_id WHERE k.stream_id = ? AND k.key = ?",
      )
      .raw(),
    findRowId: db.prepare<[number, string], number>("SELECT row_id FROM snapshot_keys WHERE stream_id = ? AND key = ?").pluck(),
    hasKeys: db.prepare<[number], number>("SELECT 1 FROM snapshot_keys WHERE stream_id = ? LIMIT 1").pluck(),
    readRow: db.prepare<[number], string>("SELECT data FROM snapshot_rows WHERE id = ?").pluck(),
    updateKey: db
      .prepare<[string, number, string], number>("UPDATE snapshot_keys SET hash = ? WHERE stream_id = ? AND key = ? RETURNING row_id")
      .pluck(),
    updateRow: db.prepare<[string, number]>("UPDATE snapshot_rows SET data = ? WHERE id = ?"),
    insertRow: db.prepare<[string]>("INSERT INTO snapshot_rows (data) VALUES (?)"),
    insertKey: db.prepare<[number, string, string, number]>(
      "INSERT INTO snapshot_keys (stream_id, key, hash, row_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    insertRows: db.prepare<string[]>(`INSERT INTO snapshot_rows (data) VALUES ${repeated("(?)", INSERT_BATCH)}`),
    insertKeys: db.prepare<(string | number)[]>(
      `INSERT INTO snapshot_keys (stream_id, key, hash, row_id) VALUES ${repeated("(?, ?, ?, ?)", INSERT_BATCH)} ON CONFLICT DO NOTHING`,
    ),
    deleteKey: db.prepare<[number, string], number>("DELETE FROM snapshot_keys WHERE stream_id = ? AND key = ? RETURNING row_id").pluck(),
    deleteRow: db.prepare<[number]>("DELETE FROM snapshot_rows WHERE id = ?"),
    keysAfter: db.prepare<[number, string, number], { key: string; rowId: number }>(
      "SELECT key, row_id AS rowId FROM snapshot_keys WHERE stream_id = ? AND key > ? ORDER BY key LIMIT ?",
    ),
  };
}

function repeated(values: string, count: number): string {
  return Array.from({ length: count }, () => values).join(", ");
}

/** Creates the local snapshot store's directory; one it cannot create is a config error saying why. */
export function createSnapshotDirectory(directory: string): void {
  try {
    mkdirSync(directory, { recursive: true });
  } catch (error) {
    throw directoryNotCreated(directory, error);
  }
}

function prepareSchema(db: Database.Database, path: string): void {
  // Taking the write lock here, before any reading, is what makes a second sync fail fast.
  db.exec("BEGIN EXCLUSIVE");
  const version = Number(db.pragma("user_version", { simple: true }));
  if (version === 0) {
    db.exec(SCHEMA);
  } else if (!READABLE_VERSIONS.has(version)) {
    db.exec("ROLLBACK");
    throw new UserFacingError(
      `The snapshot store ${path} has format version ${String(version)}, which this connector version does not read (it reads versions ${[...READABLE_VERSIONS].join(" and ")}). ` +
        "Use the connector version that wrote it, or delete the file to start over (the next sync then counts as the first).",
    );
  } else if (version !== SCHEMA_VERSION) {
    // From now on it may hold empty hashes, which a connector that reads only version 1 would take for changes.
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }
  db.exec("COMMIT");
}
