import type { ChangeDetection, ChangeType, Config } from "../../config/types.js";
import { UserFacingError } from "../../errors.js";
import type { ConfiguredStream, RecordMessage } from "../../protocol/messages.js";
import type { ChangeDetector, ChangeFollowUp, Detection, PublishHooks, RemovedRow } from "../types.js";
import { keyReaderFor, rowComparison, uncertainChange, uncertainFingerprint, type KeyReader, type RowComparison } from "./keys.js";
import { ephemeralDirectoryProblem, readHostFacts } from "./container-filesystem.js";
import { type ChangeJournal, type JournalEntry, localHome, type SnapshotHome } from "./home.js";
import { snapshotStorePath, snapshotStoreSetting } from "./location.js";
import { SeenRows } from "./seen.js";
import { SnapshotStore } from "./store.js";

export type SnapshotSettings = Extract<ChangeDetection, { mode: "snapshot" }>;

/** Keys read per query while looking for removed rows: memory stays flat whatever the stream's size. */
const REMOVAL_PAGE_SIZE = 500;

const UNCHANGED: Detection = Object.freeze({ kind: "unchanged" });

interface StreamState {
  id: number;
  readKey: KeyReader;
  /** `changes_only` and no completed sync yet: rows are recorded, nothing is published. */
  recordingOnly: boolean;
}

/**
 * Snapshot change detection: diffs each record against the store and, when a full-refresh stream
 * ends complete, reports the keys it did not see as removed. The store advances only when SQS
 * acknowledges a row's message (`onPublished`), so anything rejected or unsent is found again
 * next sync; a row the pipeline skips advances at once, since nobody waits for it.
 */
export class SnapshotDetector implements ChangeDetector {
  private readonly streams = new Map<ConfiguredStream, StreamState>();
  private readonly comparison: RowComparison;
  private closing: void | Promise<void> | undefined;

  private constructor(
    private readonly store: SnapshotStore,
    private readonly seen: SeenRows,
    private readonly home: SnapshotHome,
    private readonly settings: SnapshotSettings,
  ) {
    this.comparison = rowComparison(settings.compare_columns);
  }

  /**
   * Opens the local store `change_detection.store` names. `dryRun` (the preview command) diffs as
   * a sync would but leaves the store unchanged.
   */
  static open(config: Config, settings: SnapshotSettings, catalog: Iterable<ConfiguredStream>, dryRun: boolean): SnapshotDetector {
    const readers = keyReaders(catalog, settings);
    const store = snapshotStoreSetting(settings);
    if (store.type !== "local") throw new Error("a snapshot store in S3 is opened with openChangeDetector");
    const problem = ephemeralDirectoryProblem(store.directory, readHostFacts());
    if (problem) throw new UserFacingError(problem, "config_error");
    const detector = SnapshotDetector.start(settings, readers, dryRun, localHome(snapshotStorePath(store.directory, config.queue)));
    detector.home.attach(detector.store);
    return detector;
  }

  /**
   * Opens the store in the home `openHome` prepares (e.g. downloaded from S3), once the keys are
   * known to be readable, and marks the keys the home's journals name uncertain.
   */
  static async openIn(
    settings: SnapshotSettings,
    catalog: Iterable<ConfiguredStream>,
    dryRun: boolean,
    openHome: () => Promise<SnapshotHome>,
  ): Promise<SnapshotDetector> {
    const readers = keyReaders(catalog, settings);
    const home = await openHome();
    let detector: SnapshotDetector | undefined;
    try {
      detector = SnapshotDetector.start(settings, readers, dryRun, home);
      const { store } = detector;
      // A reset starts over: what an earlier sync left uncertain is forgotten with the rest.
      if (settings.reset !== true) {
        const keyMatches = journaledKeyCheck(readers);
        await home.readUncertain((entry) => {
          if (!keyMatches(entry)) return false;
          store.markUncertain(store.stream(entry.stream, entry.namespace).id, entry.key, uncertainFingerprint(entry.change), entry.data);
          return true;
        });
      }
      // Only now may a commit happen: one made before every journal is read would cover journals it does not hold.
      home.attach(store);
      return detector;
    } catch (error) {
      try {
        detector?.store.close();
      } finally {
        await home.finish(undefined);
      }
      throw error;
    }
  }

  private static start(
    settings: SnapshotSettings,
    readers: { stream: ConfiguredStream; readKey: KeyReader }[],
    dryRun: boolean,
    home: SnapshotHome,
  ): SnapshotDetector {
    const seen = new SeenRows();
    const store = SnapshotStore.open(home.path, {
      reset: settings.reset === true,
      dryRun,
      rowSaved: (rowId) => seen.add(rowId),
    });
    const detector = new SnapshotDetector(store, seen, home, settings);
    const changesOnly = settings.initial_sync === "changes_only";
    for (const { stream, readKey } of readers) {
      const stored = store.stream(stream.stream.name, stream.stream.namespace);
      detector.streams.set(stream, { id: stored.id, readKey, recordingOnly: changesOnly && !stored.initialized });
    }
    return detector;
  }

  detect(record: RecordMessage, stream: ConfiguredStream): Detection {
    this.home.throwIfFailed();
    const state = this.stateOf(stream);
    const key = state.readKey(record.data);
    if (!key.ok) return { kind: "reject", setting: "change_detection.primary_key", reason: key.reason };
    const fingerprint = this.comparison.fingerprint(record.data);
    const stored = this.store.find(state.id, key.key);
    // A new row's text is made when it is saved: held until SQS answers, it would outlive the young generation.
    let rowJson = stored ? JSON.stringify(record.data) : undefined;
    if (stored) this.seen.add(stored.rowId);
    const advance = (): void => this.save(state.id, key.key, fingerprint, rowJson ?? JSON.stringify(record.data), stored !== undefined);
    if (state.recordingOnly) {
      advance();
      return UNCHANGED;
    }
    const uncertain = stored && uncertainChange(stored.hash);
    if (stored && !uncertain && rowJson !== undefined && this.comparison.unchanged(stored, rowJson, fingerprint)) return UNCHANGED;
    const change: ChangeType = uncertain || (stored ? "changed" : "added");
    const previous = stored && change === "changed" ? (JSON.parse(stored.data) as Record<string, unknown>) : undefined;
    const publish = (): PublishHooks => {
      const { journal } = this.home;
      if (!journal) return { onPublished: advance };
      rowJson ??= JSON.stringify(record.data);
      return journaled(journal, stream, key.key, change, rowJson, advance);
    };
    return { kind: "change", change, previous, followUp: { publish, skip: advance } };
  }

  completed(stream: ConfiguredStream): Iterable<RemovedRow> {
    this.home.throwIfFailed();
    const state = this.stateOf(stream);
    const recordingOnly = state.recordingOnly;
    state.recordingOnly = false;
    this.store.markInitialized(state.id);
    if (stream.sync_mode !== "full_refresh") return [];
    return this.unseenRows(stream, state.id, recordingOnly);
  }

  cleared(stream: ConfiguredStream): Iterable<RemovedRow> {
    if (this.settings.publish_removals_on_clear === true) return this.completed(stream);
    this.store.clearStream(this.stateOf(stream).id);
    return [];
  }

  close(): void | Promise<void> {
    // Acknowledged rows are kept even when the sync failed: their messages are in SQS.
    if (this.closing === undefined) this.closing = this.home.finish(this.store) ?? Promise.resolve();
    return this.closing;
  }

  private *unseenRows(stream: ConfiguredStream, streamId: number, forgetSilently: boolean): Generator<RemovedRow> {
    let afterKey = "";
    for (;;) {
      const page = this.store.keysAfter(streamId, afterKey, REMOVAL_PAGE_SIZE);
      if (page.length === 0) return;
      afterKey = page[page.length - 1]!.key;
      for (const { key, rowId } of page) {
        if (this.seen.has(rowId)) continue;
        if (forgetSilently) {
          this.store.remove(streamId, key);
          continue;
        }
        const rowJson = this.store.readRow(rowId);
        const forget = (): void => this.forget(streamId, key);
        yield { data: JSON.parse(rowJson) as Record<string, unknown>, followUp: this.removal(stream, key, rowJson, forget) };
      }
    }
  }

  private removal(stream: ConfiguredStream, key: string, rowJson: string, forget: () => void): ChangeFollowUp {
    return {
      publish: () => {
        const { journal } = this.home;
        return journal ? journaled(journal, stream, key, "removed", rowJson, forget) : { onPublished: forget };
      },
      skip: forget,
    };
  }

  /** Acknowledgements can still arrive while a failed sync shuts down; the next sync redoes those rows. */
  private save(streamId: number, key: string, hash: string, rowJson: string, known: boolean): void {
    if (!this.store.isClosed) this.store.save(streamId, key, hash, rowJson, known);
  }

  private forget(streamId: number, key: string): void {
    if (!this.store.isClosed) this.store.remove(streamId, key);
  }

  private stateOf(stream: ConfiguredStream): StreamState {
    const state = this.streams.get(stream);
    if (!state) throw new Error(`stream "${stream.stream.name}" is not in the catalog the snapshot detector was opened with`);
    return state;
  }
}

/** Key errors come first: a config error must not wait for, or touch, the store. */
function keyReaders(catalog: Iterable<ConfiguredStream>, settings: SnapshotSettings): { stream: ConfiguredStream; readKey: KeyReader }[] {
  return [...catalog].map((stream) => ({ stream, readKey: keyReaderFor(stream, settings.primary_key) }));
}

/**
 * Whether a journal entry names the key the connector computes for its row. A stream outside this
 * catalog passes: this sync cannot compute its key, nor publishes anything of it.
 */
function journaledKeyCheck(readers: { stream: ConfiguredStream; readKey: KeyReader }[]): (entry: JournalEntry) => boolean {
  const byStream = new Map(
    readers.map(({ stream, readKey }) => [JSON.stringify([stream.stream.namespace ?? "", stream.stream.name]), readKey]),
  );
  return (entry) => {
    const readKey = byStream.get(JSON.stringify([entry.namespace, entry.stream]));
    if (readKey === undefined) return true;
    const key = readKey(JSON.parse(entry.data) as Record<string, unknown>);
    return key.ok && key.key === entry.key;
  };
}

/** Notes a row in the journal: its message waits for that, and its outcome settles the note. */
function journaled(
  journal: ChangeJournal,
  stream: ConfiguredStream,
  key: string,
  change: ChangeType,
  rowJson: string,
  advance: () => void,
): PublishHooks {
  const noted = journal.note({ namespace: stream.stream.namespace ?? "", stream: stream.stream.name, key, change, data: rowJson });
  return {
    journaled: noted.durable,
    onPublished: () => {
      advance();
      noted.settled();
    },
    onRejected: noted.settled,
  };
}
