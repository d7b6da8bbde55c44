import type { ChangeType } from "../../config/types.js";
import type { SnapshotStore } from "./store.js";

/** A row about to be published: its stream, primary key, change and row (JSON text). */
export interface JournalEntry {
  namespace: string;
  stream: string;
  key: string;
  change: ChangeType;
  data: string;
}

/** A noted entry: its message may leave once `durable` resolves; `settled` once SQS has answered for it or it was given up. */
export interface NotedEntry {
  durable: Promise<void>;
  settled(): void;
}

/** Notes rows before their messages leave, so that a sync that dies before committing loses none of them. */
export interface ChangeJournal {
  note(entry: JournalEntry): NotedEntry;
}

/** Where a sync's snapshot store file lives and what happens to it around the sync. */
export interface SnapshotHome {
  /** The SQLite file the store opens. */
  readonly path: string;
  /**
   * Hands `each` the rows earlier syncs published and did not commit the outcome of, one journal
   * object at a time; `each` answers false for an entry it refuses (its key is not its row's), which is ignored with a WARN.
   */
  readUncertain(each: (entry: JournalEntry) => boolean): Promise<void>;
  /** Where rows are noted before their messages leave, when the store commits less often than rows are acknowledged. */
  readonly journal: ChangeJournal | undefined;
  /** The store is open: keeping it (e.g. periodic commits) may begin. */
  attach(store: SnapshotStore): void;
  /** Throws what went wrong in the background (e.g. a lost lock), so the sync stops. */
  throwIfFailed(): void;
  /** The sync is over: closes the store (undefined if it never opened) and settles the home. */
  finish(store: SnapshotStore | undefined): void | Promise<void>;
}

/** A store file in a local directory: the store commits to it as it goes. */
export function localHome(path: string): SnapshotHome {
  return {
    path,
    readUncertain: async () => undefined,
    journal: undefined,
    attach: () => undefined,
    throwIfFailed: () => undefined,
    finish: (store) => store?.close(),
  };
}
