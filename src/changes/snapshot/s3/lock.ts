import { hostname } from "node:os";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../../../config/types.js";
import { UserFacingError } from "../../../errors.js";
import { isMissingObject, isPreconditionFailed, snapshotStoreFailure } from "./errors.js";
import type { S3Location } from "./location.js";
import { etagOfOwnWrite } from "./own-write.js";

const LOCK_NAME = "lock.json";
/** Attempts to create or take over the lock when it changes hands between reading and writing it. */
const ACQUIRE_ATTEMPTS = 3;

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

  /** Takes the lock for `holder`; `warn` hears of a lock taken over from a dead sync. */
  static async acquire(
    s3: S3Client,
    location: S3Location,
    config: Config,
    options: { holder: string; leaseMs: number; warn: (message: string) => Promise<void> },
  ): Promise<SnapshotLock> {
    const holder: LockBody = { holder: options.holder, lease_ms: options.leaseMs };
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
    for (let attempt = 1; attempt <= ACQUIRE_ATTEMPTS; attempt++) {
      // Read first: even a store that ignores conditional writes then refuses a live lock (races aside).
      const held = await readLock(s3, location, config);
      // This sync's own lock: its first create was stored although its answer was lost, and the retry was refused.
      if (held?.holder === options.holder) return await acquired(held.etag);
      if (held !== undefined && Date.now() < held.renewedAt + held.leaseMs) {
        const expiresAt = new Date(held.renewedAt + held.leaseMs).toISOString();
        throw new SnapshotConflictError(
          `Another sync holds the snapshot store ${location}: ${held.holder}, lock last renewed ${new Date(held.renewedAt).toISOString()}. ` +
            "Wait for it to finish: two syncs on one snapshot would publish wrong changes. Give each connection its own change_detection.store.prefix. " +
            `If that sync was killed, its lock expires at ${expiresAt} and the next sync takes it over.`,
        );
      }
      try {
        if (held === undefined) return await acquired(await put({ IfNoneMatch: "*" }));
        const lock = await acquired(await put({ IfMatch: held.etag }));
        await options.warn(
          `Took over the snapshot lock of ${location} from ${held.holder}, which stopped renewing it at ${new Date(held.renewedAt).toISOString()} (lease ${held.leaseMs / 1000} s). ` +
            "Rows that sync published after its last snapshot commit are published again.",
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

interface HeldLock {
  holder: string;
  leaseMs: number;
  renewedAt: number;
  etag: string;
}

async function readLock(s3: S3Client, location: S3Location, config: Config): Promise<HeldLock | undefined> {
  try {
    const output = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key(LOCK_NAME) }));
    const text = (await output.Body?.transformToString()) ?? "";
    const body = parseLockBody(text);
    return {
      holder: body?.holder ?? "an unknown sync",
      leaseMs: body?.lease_ms ?? 0,
      renewedAt: output.LastModified?.getTime() ?? 0,
      etag: output.ETag ?? "",
    };
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw snapshotStoreFailure(error, location, "s3:GetObject", config);
  }
}

function lockBody(holder: LockBody): string {
  return JSON.stringify({ ...holder, written_at: new Date().toISOString() } satisfies LockBody);
}

function parseLockBody(text: string): LockBody | undefined {
  try {
    const body = JSON.parse(text) as Partial<LockBody>;
    return typeof body.holder === "string" && typeof body.lease_ms === "number"
      ? { holder: body.holder, lease_ms: body.lease_ms }
      : undefined;
  } catch {
    return undefined;
  }
}

/** How a sync names itself in the lock: enough for an operator to find it. */
export function lockHolder(syncId: string, startedAt: Date): string {
  return `sync ${syncId} on host ${hostname()} (pid ${process.pid}, started ${startedAt.toISOString()})`;
}
