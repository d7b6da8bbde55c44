// The snapshot lock in S3 against an in-memory store and a fake clock: how a sync that finds the
// lock held waits for a killed holder's lease, and refuses a holder that is still renewing it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { test } from "node:test";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type LockClock, SnapshotConflictError, SnapshotLock, WAIT_PROGRESS_EVERY_MS } from "../src/changes/snapshot/s3/lock.js";
import { S3Location } from "../src/changes/snapshot/s3/location.js";
import { emulatorConfig } from "./helpers/emulators.js";

const LEASE_MS = 5 * 60_000;
const location = new S3Location("snapshots", "orders/");
const config = emulatorConfig({ endpoint: "http://127.0.0.1:1" });
const LOCK_KEY = "orders/lock.json";

/** A clock whose time moves only when the code under test sleeps; `at` runs something when the time comes. */
class FakeClock implements LockClock {
  time = Date.parse("2026-03-01T12:00:00Z");
  private readonly events: { at: number; run: () => void }[] = [];

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const until = this.time + ms;
    for (const event of this.events.filter((candidate) => candidate.at <= until).sort((a, b) => a.at - b.at)) {
      this.events.splice(this.events.indexOf(event), 1);
      this.time = event.at;
      event.run();
      if (signal?.aborted) throw signal.reason;
    }
    this.time = until;
  }

  at(time: number, run: () => void): void {
    this.events.push({ at: time, run });
  }
}

interface StoredObject {
  body: string;
  etag: string;
  lastModified: number;
}

function preconditionFailed(): Error {
  return Object.assign(new Error("At least one of the pre-conditions you specified did not hold"), {
    name: "PreconditionFailed",
    $metadata: { httpStatusCode: 412 },
  });
}

/** One S3 bucket in memory that keeps conditional writes; Last-Modified comes from the fake clock, in whole seconds as S3 sends it. */
function fakeS3(clock: FakeClock) {
  const objects = new Map<string, StoredObject>();
  const put = (key: string, body: string): void => {
    const etag = `"${createHash("md5").update(body).digest("hex")}"`;
    objects.set(key, { body, etag, lastModified: Math.floor(clock.now() / 1000) * 1000 });
  };
  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof GetObjectCommand) {
      const object = objects.get(command.input.Key ?? "");
      if (!object) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
      // A stream, as the SDK's Node.js body is: the lock is read from it with a bound on its size.
      return { Body: Readable.from([Buffer.from(object.body)]), ETag: object.etag, LastModified: new Date(object.lastModified) };
    }
    if (command instanceof PutObjectCommand) {
      const key = command.input.Key ?? "";
      const existing = objects.get(key);
      if (command.input.IfNoneMatch === "*" && existing) throw preconditionFailed();
      if (command.input.IfMatch !== undefined && existing?.etag !== command.input.IfMatch) throw preconditionFailed();
      put(key, String(command.input.Body));
      return { ETag: objects.get(key)?.etag };
    }
    if (command instanceof DeleteObjectCommand) {
      objects.delete(command.input.Key ?? "");
      return {};
    }
    throw new Error(`unexpected command ${String(command)}`);
  };
  return {
    client: { send } as unknown as S3Client,
    /** Another sync writes its lock, as it does when it takes or renews it. */
    writeLock(holder: string): void {
      put(LOCK_KEY, JSON.stringify({ holder, lease_ms: LEASE_MS, written_at: new Date(clock.now()).toISOString() }));
    },
    removeLock(): void {
      objects.delete(LOCK_KEY);
    },
    holderOfLock(): string | undefined {
      const object = objects.get(LOCK_KEY);
      return object && (JSON.parse(object.body) as { holder: string }).holder;
    },
  };
}

function acquire(s3: S3Client, clock: FakeClock, logs: string[], signal?: AbortSignal): Promise<SnapshotLock> {
  return SnapshotLock.acquire(s3, location, config, {
    holder: "the retry",
    leaseMs: LEASE_MS,
    clock,
    log: async (level, message) => void logs.push(`${level} ${message}`),
    ...(signal ? { signal } : {}),
  });
}

test("a lock its holder stopped renewing (a killed sync) is waited for, with progress every 30 s, and taken over when its lease runs out", async () => {
  const clock = new FakeClock();
  const s3 = fakeS3(clock);
  s3.writeLock("the killed sync");
  const renewedAt = clock.now();
  clock.time += 20_000; // the retry starts 20 s after the killed sync's last renewal
  const started = clock.now();
  const logs: string[] = [];

  await acquire(s3.client, clock, logs);

  assert.equal(s3.holderOfLock(), "the retry");
  assert.ok(clock.now() >= renewedAt + LEASE_MS, "not before the lease has run out");
  assert.ok(clock.now() <= renewedAt + LEASE_MS + 1000, `soon after it: ${clock.now() - renewedAt - LEASE_MS} ms`);
  const progress = logs.filter((log) => /^INFO The snapshot store s3:\/\/snapshots\/orders\/ is locked by the killed sync/.test(log));
  const waitedMs = clock.now() - started;
  assert.equal(progress.length, Math.ceil(waitedMs / WAIT_PROGRESS_EVERY_MS), logs.join("\n"));
  assert.match(progress[0] ?? "", /Waiting for its lease to run out at 2026-03-01T12:05:01\.000Z/);
  assert.match(progress[1] ?? "", /waited 30 s so far/);
  assert.ok(logs.some((log) => /^WARN Took over the snapshot lock of s3:\/\/snapshots\/orders\/ from the killed sync/.test(log)));
});

test("a lock that is renewed while the sync watches it fails the sync with a transient error naming the holder, within a renewal interval", async () => {
  const clock = new FakeClock();
  const s3 = fakeS3(clock);
  s3.writeLock("the running sync");
  // The holder renews every third of its lease.
  for (let renewal = 1; renewal <= 10; renewal++) clock.at(clock.now() + (renewal * LEASE_MS) / 3, () => s3.writeLock("the running sync"));
  clock.time += 1000;
  const started = clock.now();

  await assert.rejects(acquire(s3.client, clock, []), (error: Error) => {
    assert.ok(error instanceof SnapshotConflictError);
    assert.equal(error.failureType, "transient_error");
    assert.match(error.message, /^Another sync holds the snapshot store s3:\/\/snapshots\/orders\/: the running sync, lock last renewed /);
    return true;
  });
  assert.equal(s3.holderOfLock(), "the running sync", "the running sync keeps its lock");
  assert.ok(clock.now() - started <= LEASE_MS / 3 + 10_000, `refused ${clock.now() - started} ms after it started`);
});

test("a holder renewing just within its lease keeps its lock though S3's Last-Modified cuts its write time down to the second", async () => {
  const clock = new FakeClock();
  const s3 = fakeS3(clock);
  clock.time += 900; // written at 12:00:00.900; Last-Modified says 12:00:00
  const writtenAt = clock.now();
  s3.writeLock("the running sync");
  clock.at(writtenAt + LEASE_MS - 50, () => s3.writeLock("the running sync"));
  clock.time += 20_000;

  await assert.rejects(acquire(s3.client, clock, []), SnapshotConflictError);
  assert.equal(s3.holderOfLock(), "the running sync", "the running sync keeps its lock");
});

test("a lock released while the sync waits (its holder finished) is taken at once", async () => {
  const clock = new FakeClock();
  const s3 = fakeS3(clock);
  s3.writeLock("a finishing sync");
  clock.at(clock.now() + 45_000, () => s3.removeLock());
  const logs: string[] = [];

  await acquire(s3.client, clock, logs);

  assert.equal(s3.holderOfLock(), "the retry");
  assert.ok(clock.now() - Date.parse("2026-03-01T12:00:00Z") < 60_000);
  assert.ok(!logs.some((log) => /Took over/.test(log)), "nothing was taken over");
});

test("a stop signal (SIGTERM) ends the wait at once with the signal's reason, leaving the lock alone", async () => {
  const clock = new FakeClock();
  const s3 = fakeS3(clock);
  s3.writeLock("the killed sync");
  const stop = new AbortController();
  const stopped = new Error("stopped by a signal");
  clock.at(clock.now() + 65_000, () => stop.abort(stopped));

  await assert.rejects(acquire(s3.client, clock, [], stop.signal), (error: unknown) => error === stopped);
  assert.ok(clock.now() - Date.parse("2026-03-01T12:00:00Z") <= 65_000);
  assert.equal(s3.holderOfLock(), "the killed sync");
});

test("an expired lock is taken over without waiting", async () => {
  const clock = new FakeClock();
  const s3 = fakeS3(clock);
  s3.writeLock("a sync killed long ago");
  clock.time += LEASE_MS + 1000;
  const started = clock.now();
  await acquire(s3.client, clock, []);
  assert.equal(s3.holderOfLock(), "the retry");
  assert.equal(clock.now(), started);
});
