import { isPreconditionFailed } from "../../../aws/error-code.js";
import { hostname } from "node:os";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../../../config/types.js";
import { UserFacingError } from "../../../errors.js";
import type { LogLevel } from "../../../protocol/messages.js";
import { isMissingObject, snapshotStoreFailure } from "./errors.js";
import type { S3Location } from "./location.js";
import { etagOfOwnWrite } from "./own-write.js";
import { readBoundedText, UntrustedObjectError } from "./read.js";

const LOCK_NAME = "lock.json";
/** Attempts to create or take over the lock when it changes hands between reading and writing it. */
const ACQUIRE_ATTEMPTS = 3;
/** The longest lease a lock may hold: a longer one (or a lock not this connector's) is taken for a stale lock. */
export const MAX_LEASE_MS = 60 * 60_000;
/** A holder names a sync, its host and process in a couple of hundred characters (see lockHolder). */
const MAX_HOLDER_CHARS = 1024;
/** A lock body is a few hundred bytes; reading stops well beyond. */
const MAX_LOCK_BYTES = 16 * 1024;
/** How much of a lock that is not this connector's a message quotes. */
const QUOTED_CHARS = 120;

interface LockBody {
  holder: string;
  lease_ms: number;
  /** When the holder wrote it: each renewal's body differs, so a retried renewal can tell its own write from an earlier one. */
  written_at?: string;
}

/** A lock that another sync holds and that its holder cannot use any more: a stale writer or a lost race. */
export class SnapshotConflictError extends UserFacingError {
  constructor(message: string) {
    super(message, "transient_error");
  }
}

/**
 * The lock object of a snapshot prefix. It is created with `If-None-Match: *`, so only one sync
 * gets it, and renewed with `If-Match: <its ETag>`, so a holder whose lock was taken over learns
 * it at its next renewal. A lock not renewed for its lease time (by S3's Last-Modified) belongs to a
 * sync that died: the next sync takes it over.
 */
export class SnapshotLock {
  private constructor(
    private readonly s3: S3Client,
    private readonly location: S3Location,
    private readonly config: Config,
    private readonly holder: LockBody,
    private etag: string | undefined,
    /** False when the store accepted a second `If-None-Match: *` write of the lock: it ignores conditional writes. */
    readonly enforced: boolean,
  ) {}

  /**
   * Takes the lock for `holder`. A lock another sync holds is watched: renewed while watched, its
   * holder is running and this fails; not renewed, it is taken over once its lease has run out
   * (a sync killed moments ago leaves such a lock), with a progress log every 30 s meanwhile.
   */
  static async acquire(s3: S3Client, location: S3Location, config: Config, options: AcquireOptions): Promise<SnapshotLock> {
    const holder: LockBody = { holder: options.holder, lease_ms: Math.min(options.leaseMs, MAX_LEASE_MS) };
    const body = lockBody(holder);
    const put = (condition: { IfNoneMatch: "*" } | { IfMatch: string }): Promise<string | undefined> =>
      s3
        .send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: location.key(LOCK_NAME),
            Body: body,
            ContentType: "application/json",
            ...condition,
          }),
        )
        .then((output) => output.ETag);
    // A store that ignores preconditions lets a create of an existing lock through; one that keeps them refuses it.
    const acquired = async (etag: string | undefined): Promise<SnapshotLock> => {
      const ignored = await put({ IfNoneMatch: "*" }).then(
        (again) => again,
        (error: unknown) => {
          if (isPreconditionFailed(error)) return undefined;
          throw error;
        },
      );
      return new SnapshotLock(s3, location, config, holder, ignored ?? etag, ignored === undefined);
    };
    const watcher = new LockWatcher(s3, location, config, options);
    for (let attempt = 1; attempt <= ACQUIRE_ATTEMPTS; attempt++) {
      // Read first: even a store that ignores conditional writes then refuses a live lock (races aside).
      let held = await readLock(s3, location, config);
      // This sync's own lock: its first create was stored although its answer was lost, and the retry was refused.
      if (held?.holder === options.holder) return await acquired(held.etag);
      if (held !== undefined) held = await watcher.waitForExpiry(held);
      try {
        if (held === undefined) return await acquired(await put({ IfNoneMatch: "*" }));
        const lock = await acquired(await put({ IfMatch: held.etag }));
        await options.log(
          "WARN",
          held.invalid === undefined
            ? `Took over the snapshot lock of ${location} from ${held.holder}, which stopped renewing it at ${new Date(held.renewedAt).toISOString()} (lease ${held.leaseMs / 1000} s). ` +
                "Rows that sync published after its last snapshot commit are published again."
            : `Took over the snapshot lock of ${location} as a stale one: it is not a lock this connector wrote (${held.invalid}). ` +
                "If a sync was running on this prefix, rows it published after its last snapshot commit are published again; find out who else writes to the bucket.",
        );
        return lock;
      } catch (error) {
        if (!isPreconditionFailed(error)) throw snapshotStoreFailure(error, location, "s3:PutObject", config);
      }
    }
    throw new SnapshotConflictError(
      `Another sync took the snapshot lock of ${location} at the same moment as this one. Run one sync at a time per prefix.`,
    );
  }

  /** Extends the lease; fails when another sync has taken the lock over. */
  async renew(): Promise<void> {
    const body = lockBody(this.holder);
    try {
      const output = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: this.location.key(LOCK_NAME),
          Body: body,
          ContentType: "application/json",
          ...(this.etag ? { IfMatch: this.etag } : {}),
        }),
      );
      this.etag = output.ETag;
    } catch (error) {
      if (!isPreconditionFailed(error)) throw snapshotStoreFailure(error, this.location, "s3:PutObject", this.config);
      const own = await etagOfOwnWrite(this.s3, this.location, this.config, this.location.key(LOCK_NAME), body);
      if (own !== undefined) {
        this.etag = own;
        return;
      }
      throw new SnapshotConflictError(
        `This sync lost the snapshot lock of ${this.location}: another sync took it over after this one did not renew it within its lease. ` +
          "This sync stops without committing; the rows it published since its last commit are published again by the next sync.",
      );
    }
  }

  /** Deletes the lock if it is still this sync's (a lock taken over is left to its new holder). */
  async release(): Promise<void> {
    try {
      await this.s3.send(
        new DeleteObjectCommand({
          Bucket: this.location.bucket,
          Key: this.location.key(LOCK_NAME),
          ...(this.etag ? { IfMatch: this.etag } : {}),
        }),
      );
    } catch (error) {
      if (!isPreconditionFailed(error)) throw snapshotStoreFailure(error, this.location, "s3:DeleteObject", this.config);
    }
  }
}

/** Time as the lock sees it: the wall clock (compared with S3's Last-Modified) and waiting. */
export interface LockClock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason once it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const WALL_CLOCK: LockClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    sleep(ms, undefined, { signal }).catch((error: unknown) => Promise.reject(signal?.aborted ? signal.reason : error)),
};

export interface AcquireOptions {
  holder: string;
  leaseMs: number;
  log: (level: LogLevel, message: string) => Promise<void>;
  /** Ends a wait for another sync's lease (SIGTERM). */
  signal?: AbortSignal;
  clock?: LockClock;
}

/** How often a waiting sync says that it is still waiting. */
export const WAIT_PROGRESS_EVERY_MS = 30_000;
/** The longest pause between two reads of a lock being watched. */
const WATCH_POLL_MAX_MS = 10_000;
/** Reads per renewal interval of the holder (a third of its lease), so that a renewal is seen soon after it is made. */
const WATCH_READS_PER_RENEWAL = 2;

/** Watches a lock another sync holds until its lease runs out, it is released, or its holder shows it is alive. */
class LockWatcher {
  private readonly clock: LockClock;

  constructor(
    private readonly s3: S3Client,
    private readonly location: S3Location,
    private readonly config: Config,
    private readonly options: AcquireOptions,
  ) {
    this.clock = options.clock ?? WALL_CLOCK;
  }

  /** The lock once its lease has run out, or undefined once it is gone; throws when it is renewed meanwhile. */
  async waitForExpiry(held: HeldLock): Promise<HeldLock | undefined> {
    const expiresAt = leaseEnd(held);
    const pollMs = Math.min(WATCH_POLL_MAX_MS, held.leaseMs / 3 / WATCH_READS_PER_RENEWAL);
    const started = this.clock.now();
    let nextProgress = started;
    for (let now = started; now < expiresAt; now = this.clock.now()) {
      if (now >= nextProgress) {
        await this.options.log("INFO", this.waitingMessage(held, now - started));
        nextProgress += WAIT_PROGRESS_EVERY_MS;
      }
      await this.clock.sleep(Math.max(1, Math.min(pollMs, expiresAt - now, nextProgress - now)), this.options.signal);
      const seen = await readLock(this.s3, this.location, this.config);
      if (seen === undefined) return undefined;
      if (seen.etag !== held.etag || seen.renewedAt !== held.renewedAt) throw this.heldBy(seen);
    }
    return held;
  }

  private waitingMessage(held: HeldLock, waitedMs: number): string {
    const expiresAt = new Date(leaseEnd(held)).toISOString();
    return (
      `The snapshot store ${this.location} is locked by ${held.holder}, last renewed ${new Date(held.renewedAt).toISOString()}` +
      (waitedMs > 0 ? `; waited ${Math.round(waitedMs / 1000)} s so far. ` : ". ") +
      `Waiting for its lease to run out at ${expiresAt} (a killed sync leaves its lock behind): then this sync takes it over. If that sync is still running it renews the lock before then, and this sync stops.`
    );
  }

  private heldBy(seen: HeldLock): SnapshotConflictError {
    return new SnapshotConflictError(
      `Another sync holds the snapshot store ${this.location}: ${seen.holder}, lock last renewed ${new Date(seen.renewedAt).toISOString()}. ` +
        "Wait for it to finish: two syncs on one snapshot would publish wrong changes. Give each connection its own change_detection.store.prefix. " +
        "That sync renewed its lock while this one waited, so it is running.",
    );
  }
}

/** S3's Last-Modified is in whole seconds, cut down: a lock was written up to this much later than it says. */
const LAST_MODIFIED_RESOLUTION_MS = 1000;

/** When a lock's lease runs out at the latest, counted from the last moment its holder can have written it. */
function leaseEnd(held: HeldLock): number {
  return held.renewedAt + LAST_MODIFIED_RESOLUTION_MS + held.leaseMs;
}

interface HeldLock {
  holder: string;
  leaseMs: number;
  renewedAt: number;
  etag: string;
  /** Why the lock is not one this connector wrote, when it is not: it counts as stale. */
  invalid?: string;
}

async function readLock(s3: S3Client, location: S3Location, config: Config): Promise<HeldLock | undefined> {
  try {
    const output = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key(LOCK_NAME) }));
    const held = { renewedAt: output.LastModified?.getTime() ?? 0, etag: output.ETag ?? "" };
    const text = await readBoundedText(output, MAX_LOCK_BYTES).catch((error: unknown) => {
      if (error instanceof UntrustedObjectError) return undefined;
      throw error;
    });
    if (text === undefined) return { ...held, holder: "", leaseMs: 0, invalid: `it is larger than ${MAX_LOCK_BYTES} bytes` };
    const body = parseLockBody(text);
    if (typeof body === "string") return { ...held, holder: "", leaseMs: 0, invalid: `${body}; it begins ${quoted(text)}` };
    return { ...held, holder: body.holder, leaseMs: body.lease_ms };
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw snapshotStoreFailure(error, location, "s3:GetObject", config);
  }
}

/** The start of `text`, quoted: enough to recognise it, never the whole of something large. */
function quoted(text: string): string {
  return text.length > QUOTED_CHARS ? `${JSON.stringify(text.slice(0, QUOTED_CHARS))}… (${text.length} characters)` : JSON.stringify(text);
}

function lockBody(holder: LockBody): string {
  return JSON.stringify({ ...holder, written_at: new Date().toISOString() } satisfies LockBody);
}

/** The lock's fields, or what is wrong with them. */
function parseLockBody(text: string): LockBody | string {
  let body: Partial<LockBody>;
  try {
    body = JSON.parse(text) as Partial<LockBody>;
  } catch {
    return "it is not JSON";
  }
  if (typeof body !== "object" || body === null) return "it is not a JSON object";
  const { holder, lease_ms } = body;
  if (typeof holder !== "string" || holder === "" || holder.length > MAX_HOLDER_CHARS || /\p{Cc}/u.test(holder)) {
    return `its holder is not a line of text of at most ${MAX_HOLDER_CHARS} characters`;
  }
  if (typeof lease_ms !== "number" || !Number.isSafeInteger(lease_ms) || lease_ms < 1 || lease_ms > MAX_LEASE_MS) {
    return `its lease_ms is not a whole number of milliseconds from 1 to ${MAX_LEASE_MS}`;
  }
  return { holder, lease_ms };
}

/** How a sync names itself in the lock: enough for an operator to find it. */
export function lockHolder(syncId: string, startedAt: Date): string {
  return `sync ${syncId} on host ${hostname()} (pid ${process.pid}, started ${startedAt.toISOString()})`;
}
