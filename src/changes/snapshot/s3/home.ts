import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Config, S3Settings } from "../../../config/types.js";
import type { LogLevel } from "../../../protocol/messages.js";
import { S3Location } from "./location.js";
import { listJournals, readJournal, SnapshotJournal } from "./journal.js";
import type { JournalEntry } from "../home.js";
import { lockHolder, SnapshotConflictError, SnapshotLock } from "./lock.js";
import { SnapshotVersions } from "./versions.js";
import type { SnapshotHome } from "../home.js";
import type { SnapshotStore } from "../store.js";

/** How often the lock is renewed and a commit considered; how long a lock outlives its last renewal. */
export interface S3SnapshotTiming {
  commitEveryMs: number;
  leaseMs: number;
}

export const DEFAULT_S3_SNAPSHOT_TIMING: S3SnapshotTiming = { commitEveryMs: 5 * 60_000, leaseMs: 5 * 60_000 };

export interface S3SnapshotOptions {
  s3: S3Client;
  config: Config;
  settings: S3Settings;
  /** Download only: no lock, nothing uploaded (the preview command). */
  dryRun: boolean;
  timing: S3SnapshotTiming;
  log(level: LogLevel, message: string): Promise<void>;
  /** Ends a wait for another sync's lock (SIGTERM). */
  signal?: AbortSignal | undefined;
}

/**
 * A snapshot kept in S3, worked on locally: the committed version is downloaded into a temporary
 * directory at start, the SQLite store works on that copy, and compact copies of it are
 * uploaded (compressed) while the sync runs and at its end, under the prefix's lock. Rows are
 * journaled before they are published (see SnapshotJournal), so that what a sync published after
 * its last commit is published again by the next one.
 */
export class S3SnapshotHome implements SnapshotHome {
  readonly path: string;
  readonly journal: SnapshotJournal | undefined;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private committing: Promise<void> | undefined;
  private failure: Error | undefined;
  private committedWrites = 0;
  private lastCommit = Date.now();
  private copies = 0;

  private constructor(
    private readonly options: S3SnapshotOptions,
    private readonly location: S3Location,
    private readonly directory: ScratchDirectory,
    private readonly versions: SnapshotVersions,
    private readonly lock: SnapshotLock | undefined,
    private readonly syncId: string,
    private readonly holder: string,
    private readonly journalKeys: string[],
  ) {
    this.path = join(directory.path, "snapshot.sqlite");
    this.journal = lock && new SnapshotJournal(options.s3, location, options.config, syncId, journalKeys);
  }

  /** Takes the prefix's lock (unless a dry run) and downloads the committed snapshot. */
  static async open(options: S3SnapshotOptions): Promise<S3SnapshotHome> {
    const { s3, config, settings } = options;
    const location = new S3Location(settings.bucket, settings.prefix);
    const warn = (message: string): Promise<void> => options.log("WARN", message);
    const syncId = randomUUID();
    const holder = lockHolder(syncId, new Date());
    const lock = options.dryRun
      ? undefined
      : await SnapshotLock.acquire(s3, location, config, {
          holder,
          leaseMs: options.timing.leaseMs,
          log: options.log,
          ...(options.signal ? { signal: options.signal } : {}),
        });
    const directory = scratchDirectory();
    try {
      if (lock && !lock.enforced) {
        await warn(
          `The snapshot store ${location} ignores S3 conditional writes (If-None-Match / If-Match): a running sync's lock is still respected, but two syncs starting at the same moment, or a sync that lost its lock, could overwrite each other's snapshot. ` +
            "Run one sync at a time per prefix, or use a store that supports conditional writes (AWS S3, recent MinIO).",
        );
      }
      const versions = await SnapshotVersions.read(s3, location, config);
      const journalKeys = await listJournals(s3, location, config);
      const home = new S3SnapshotHome(options, location, directory, versions, lock, syncId, holder, journalKeys);
      await versions.download(home.path);
      if (lock) await versions.removeUnreferenced();
      return home;
    } catch (error) {
      directory.remove();
      await lock?.release().catch(() => undefined);
      throw error;
    }
  }

  async readUncertain(each: (entry: JournalEntry) => boolean): Promise<void> {
    for (const key of this.journalKeys) {
      let ignored = 0;
      let firstIgnored = 0;
      let line = 0;
      for await (const entry of readJournal(this.options.s3, this.location, this.options.config, key)) {
        line++;
        if (each(entry)) continue;
        ignored++;
        firstIgnored ||= line;
      }
      if (ignored > 0) {
        await this.options.log(
          "WARN",
          `Ignored ${ignored} entries of the snapshot journal object ${key} in bucket "${this.location.bucket}" (the first is entry ${firstIgnored}): ` +
            "the key they name is not the primary key of the row they hold, so this connector did not write them. " +
            "Those rows are diffed against the snapshot as usual; find out who writes to the bucket.",
        );
      }
    }
  }

  attach(store: SnapshotStore): void {
    if (!this.lock) return;
    const { commitEveryMs, leaseMs } = this.options.timing;
    // Renewed three times per lease, so one slow or failed renewal does not lose the lock; a long commit does not hold a renewal back.
    const renewEveryMs = Math.min(commitEveryMs, leaseMs / 3);
    this.timer = setInterval(() => {
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
      this.committing ??= this.commitIfDue(store).finally(() => (this.committing = undefined));
    }, renewEveryMs).unref();
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  async finish(store: SnapshotStore | undefined): Promise<void> {
    clearInterval(this.timer);
    try {
      await Promise.all([this.renewing, this.committing]);
      await this.journal?.close();
      if (!store || !this.lock || this.failure) {
        store?.close();
        return;
      }
      const copy = this.copyOf(store);
      store.close();
      await this.commit(copy);
    } finally {
      // A lock lost to another sync is left to it; otherwise it is released even when the commit failed.
      if (!(this.failure instanceof SnapshotConflictError)) await this.lock?.release();
      this.directory.remove();
    }
  }

  private async renew(): Promise<void> {
    try {
      await this.lock?.renew();
    } catch (error) {
      await this.noteFailure(error, `Could not renew the snapshot lock of ${this.location} (the next attempt follows shortly)`);
    }
  }

  /** Commits the store once commitEveryMs has passed with changes. */
  private async commitIfDue(store: SnapshotStore): Promise<void> {
    if (this.failure || store.isClosed || Date.now() - this.lastCommit < this.options.timing.commitEveryMs) return;
    try {
      await this.commit(this.copyOf(store));
    } catch (error) {
      await this.noteFailure(
        error,
        `Could not commit the snapshot to ${this.location} (the next attempt follows in a minute or at the end of the sync)`,
      );
    }
  }

  /** A lost lock stops the sync; any other failure of a periodic call is only worth a WARN: the next one may succeed. */
  private async noteFailure(error: unknown, what: string): Promise<void> {
    if (error instanceof SnapshotConflictError) {
      this.failure ??= error;
      return;
    }
    await this.options.log("WARN", `${what}: ${(error as Error).message}`);
  }

  /** A compact copy of the store and the journal objects it covers, unless nothing was written since the last commit. */
  private copyOf(store: SnapshotStore): Copy | undefined {
    if (store.writes === this.committedWrites) return undefined;
    const path = join(this.directory.path, `commit-${++this.copies}.sqlite`);
    store.copyTo(path);
    return { path, writes: store.writes, journals: this.journal?.covered() ?? [] };
  }

  /**
   * Uploads the copy, then deletes the journals it covers. Without a copy (nothing written since
   * the last commit) the committed version is the store as it is: it covers what the store does.
   */
  private async commit(copy: Copy | undefined): Promise<void> {
    const journals = copy ? copy.journals : (this.journal?.covered() ?? []);
    if (copy) await this.upload(copy);
    if (journals.length === 0) return;
    await this.journal
      ?.remove(journals)
      .catch((error: unknown) =>
        this.options.log(
          "WARN",
          `Could not delete snapshot journal objects the commit to ${this.location} made obsolete (the next sync reads them, then deletes them): ${(error as Error).message}`,
        ),
      );
  }

  private async upload({ path, writes }: Copy): Promise<void> {
    try {
      await this.versions.commit(path, `${path}.gz`, this.holder, this.syncId);
      this.committedWrites = writes;
      this.lastCommit = Date.now();
    } finally {
      rmSync(path, { force: true });
      rmSync(`${path}.gz`, { force: true });
    }
  }
}

interface ScratchDirectory {
  path: string;
  remove(): void;
}

/**
 * A new directory in TMPDIR, removed by remove() or else when the process exits: a sync stopped by
 * a signal may exit before it finishes, and must not leave its copy of the snapshot behind.
 */
function scratchDirectory(): ScratchDirectory {
  const path = mkdtempSync(join(tmpdir(), "destination-sqs-snapshot-"));
  const remove = (): void => {
    process.off("exit", remove);
    rmSync(path, { recursive: true, force: true });
  };
  process.once("exit", remove);
  return { path, remove };
}

interface Copy {
  path: string;
  writes: number;
  journals: string[];
}
