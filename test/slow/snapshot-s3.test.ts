// The snapshot store in S3 in long scenarios: killed syncs and their retries, Clear jobs, the lock
// and its lease, S3 faults, what it reads back from its bucket, and the lock's conditional writes on moto.
import assert from "node:assert/strict";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createAwsClients } from "../../src/aws/clients.js";
import { listJournals, readJournal, SnapshotJournal } from "../../src/changes/snapshot/s3/journal.js";
import { uploadFile } from "../../src/changes/snapshot/s3/upload.js";
import { SnapshotConflictError, SnapshotLock } from "../../src/changes/snapshot/s3/lock.js";
import { SnapshotVersions } from "../../src/changes/snapshot/s3/versions.js";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { errorTraceOf, recordLine, stateLine } from "../helpers/airbyte.js";
import { runCli, writeTempJson, type CliResult } from "../helpers/cli.js";
import { clearCatalog as clearCatalogOf } from "../helpers/platform.js";
import { S3Location } from "../../src/changes/snapshot/s3/location.js";
import { emulatorConfig, emulatorConfigFile, type Emulator, uniqueQueueName, withFauxqs, withMoto } from "../helpers/emulators.js";
import { type FaultKind, type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.js";
import { exitCodeOf, outputOf, startConnector, startWrite } from "../helpers/live-connector.js";
import {
  type Connection,
  createBucket,
  freshPodEnv,
  fullRefresh,
  inputOf,
  journalEntries,
  listKeys,
  logsOf,
  order,
  type Published,
  readObject,
  type Row,
  s3Connection,
  sortPublished,
  STREAM,
} from "../helpers/snapshot-s3.js";
import { testS3Client } from "../helpers/s3.js";
import { tempDirectory } from "../helpers/temp-directory.js";

/** The catalog of the platform's Clear job: full_refresh + overwrite, minimum generation = generation. */
const clearCatalog = writeTempJson(clearCatalogOf([{ name: STREAM, primaryKey: [["id"]] }]));
/** A refresh: the same catalog, with the stream's records. */
const refreshCatalog = clearCatalog;

function streamStatus(status: "STARTED" | "COMPLETE" | "INCOMPLETE"): string {
  return JSON.stringify({
    type: "TRACE",
    trace: { type: "STREAM_STATUS", emitted_at: 1, stream_status: { stream_descriptor: { name: STREAM }, status } },
  });
}

/** What the platform sends in a Clear job for the stream. */
const CLEAR_INPUT =
  [
    streamStatus("STARTED"),
    JSON.stringify({ type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: { name: STREAM }, stream_state: null } } }),
    streamStatus("COMPLETE"),
  ].join("\n") + "\n";

/** A lease short enough for a test to wait out a killed sync's lock. */
const SHORT_LEASE = { DESTINATION_SQS_SNAPSHOT_LEASE_MS: "1500" };

/**
 * Starts a sync (no periodic commit) that sends `rows` and ends the stream complete, waits until
 * `expected` messages are published, and kills it with SIGKILL: what it published is after the
 * last commit. Returns the published [change, id, status], sorted.
 */
async function publishThenKill(connection: Connection, rows: Row[], expected: number): Promise<[string, number, unknown][]> {
  const killed = startWrite(connection.configFile(), fullRefresh, freshPodEnv(SHORT_LEASE));
  const output = outputOf(killed);
  killed.stdin.write([streamStatus("STARTED"), ...rows.map((row) => recordLine(STREAM, row)), streamStatus("COMPLETE")].join("\n") + "\n");
  const published: Published[] = [];
  for (let poll = 0; poll < 200 && published.length < expected; poll++) {
    published.push(...(await connection.published()));
    if (published.length < expected) await sleep(25);
  }
  killed.kill("SIGKILL");
  await exitCodeOf(killed);
  await output;
  return sortPublished(published).map(({ change, row }) => [change, row.id, row.status]);
}

/**
 * Starts a sync that sends one row and, once it is published (the sync holds the lock), waits for more input.
 * Its short lease has it renew the lock every half second, so that a second sync soon sees it running.
 */
async function startLockHolder(connection: Connection): Promise<{ first: ChildProcessWithoutNullStreams; output: Promise<string> }> {
  const first = startWrite(connection.configFile(), fullRefresh, freshPodEnv(SHORT_LEASE));
  const output = outputOf(first);
  first.stdin.write(recordLine(STREAM, order(1, "new")) + "\n");
  assert.equal((await connection.published(1)).length, 1, "the first sync is running");
  return { first, output };
}

/** Runs `input` right after a sync was killed: it waits for the killed sync's lock to expire (SHORT_LEASE), then takes it over. */
async function resumeAfterLease(connection: Connection, input: string, catalog = fullRefresh): Promise<CliResult> {
  const result = await connection.run(input, { env: SHORT_LEASE, catalog });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return result;
}

async function journalKeys(connection: Connection): Promise<string[]> {
  return (await listKeys(connection.endpoint, connection.bucket, connection.prefix)).filter((key) => key.includes("/journal/"));
}

/** A fault proxy before `emulator` that gives `fault` to the S3 PUTs whose path matches `path`. */
function faultS3Puts(
  emulator: Emulator,
  fault: FaultKind,
  path: RegExp,
  options: { faultRate: number; maxFaults?: number },
): Promise<FaultProxy> {
  return startFaultProxy({ target: emulator.endpoint, seed: 1, faults: [fault], requests: "s3_put_object", pathMatches: path, ...options });
}

withFauxqs("snapshot store in S3", (context) => {
  test("changes_only: the first sync publishes nothing, the second an insert, an update and a delete", async () => {
    const connection = await s3Connection(context.emulator, { initial_sync: "changes_only" });
    await connection.sync(inputOf([order(1, "new"), order(2, "new"), order(3, "new")]));
    assert.deepEqual(await connection.published(), []);
    await connection.sync(inputOf([order(1, "new"), order(2, "paid"), order(4, "new")]));
    assert.deepEqual(
      (await connection.published(3)).map(({ change, row }) => [change, row.id]),
      [
        ["added", 4],
        ["changed", 2],
        ["removed", 3],
      ],
    );
  });

  test("a Clear job resets the stream's snapshot and publishes nothing; the next sync counts as the first", async () => {
    const connection = await s3Connection(context.emulator, { initial_sync: "changes_only" });
    await connection.sync(inputOf([order(1, "new"), order(2, "new")]));
    await connection.sync(inputOf([order(1, "new"), order(2, "paid")]));
    assert.equal((await connection.published(1)).length, 1);

    const clear = await connection.sync(CLEAR_INPUT, { catalog: clearCatalog });
    assert.ok(
      clear.messages.some((message) => message.type === "STATE"),
      "the Clear's STATE is echoed",
    );
    assert.deepEqual(await connection.published(), [], "a Clear publishes no removals");

    await connection.sync(inputOf([order(1, "new"), order(2, "cancelled"), order(3, "new")]));
    assert.deepEqual(await connection.published(), [], "after a Clear, changes_only records the first sync again");
    await connection.sync(inputOf([order(1, "new"), order(2, "cancelled")]));
    assert.deepEqual(
      (await connection.published(1)).map(({ change, row }) => [change, row.id]),
      [["removed", 3]],
    );
  });

  test("publish_removals_on_clear: a Clear publishes every stored row as removed; a refresh is diffed like any sync", async () => {
    const connection = await s3Connection(context.emulator, { publish_removals_on_clear: true });
    await connection.sync(inputOf([order(1, "new"), order(2, "new")]));
    assert.equal((await connection.published(2)).length, 2);

    await connection.sync(
      [
        streamStatus("STARTED"),
        ...inputOf([order(1, "new"), order(2, "paid")])
          .trim()
          .split("\n"),
        streamStatus("COMPLETE"),
      ].join("\n") + "\n",
      {
        catalog: refreshCatalog,
      },
    );
    assert.deepEqual(
      (await connection.published(1)).map(({ change, row }) => [change, row.id]),
      [["changed", 2]],
      "a refresh publishes only what changed",
    );

    await connection.sync(CLEAR_INPUT, { catalog: clearCatalog });
    assert.deepEqual(
      (await connection.published(2)).map(({ change, row }) => [change, row.id]),
      [
        ["removed", 1],
        ["removed", 2],
      ],
    );
  });

  test("a sync killed with SIGKILL loses no change: after the lease the next sync takes the lock over and republishes only what was not committed", async () => {
    const connection = await s3Connection(context.emulator);
    const count = 200;
    const ids = Array.from({ length: count }, (_, id) => id);
    await connection.sync(inputOf(ids.map((id) => order(id, "v1"))));
    assert.equal((await connection.published(count)).length, count);

    const seenV2 = new Set<number>();
    const collect = async (): Promise<Published[]> => {
      const published = await connection.published();
      for (const message of published) if (message.row.status === "v2") seenV2.add(message.row.id);
      return published;
    };
    const timing = { DESTINATION_SQS_SNAPSHOT_COMMIT_MS: "100", DESTINATION_SQS_SNAPSHOT_LEASE_MS: "1500" };
    const child = startWrite(connection.configFile(), fullRefresh, freshPodEnv(timing));
    const output = outputOf(child);
    child.stdin.write(
      ids
        .slice(0, count / 2)
        .map((id) => recordLine(STREAM, order(id, "v2")))
        .join("\n") + "\n",
    );
    for (let poll = 0; poll < 200 && seenV2.size < count / 2; poll++) {
      await collect();
      await sleep(25);
    }
    await sleep(400); // time for a periodic commit (every 100 ms here) of part of what was published
    child.kill("SIGKILL");
    await exitCodeOf(child);
    await output;
    await collect();
    assert.ok(seenV2.size > 0, "the killed sync published part of its rows");

    // Run at once, the sync waits for the killed sync's lease (1.5 s here) to run out, then takes the lock over.
    const rerunResult = await connection.run(inputOf(ids.map((id) => order(id, "v2"))), { env: timing });
    assert.equal(rerunResult.code, 0, rerunResult.stdout + rerunResult.stderr);
    const rerun = await collect();
    assert.ok(
      rerun.every((message) => message.change === "changed"),
      "the rerun neither re-adds nor removes rows",
    );
    assert.equal(seenV2.size, count, "every changed row was published by one of the two runs");

    await connection.sync(inputOf(ids.map((id) => order(id, "v2"))));
    assert.deepEqual(await connection.published(), [], "after the rerun every row is committed");
  });

  test("a sync killed before its next commit: the rows it published are published again even when the source changed them back", async () => {
    const connection = await s3Connection(context.emulator);
    await connection.sync(inputOf([order(1, "v1"), order(2, "v1"), order(3, "v1")]));
    assert.equal((await connection.published(3)).length, 3);

    const published = await publishThenKill(connection, [order(1, "v2"), order(3, "v1"), order(4, "v1")], 3);
    assert.deepEqual(published, [
      ["added", 4, "v1"],
      ["changed", 1, "v2"],
      ["removed", 2, "v1"],
    ]);

    // The source undid all three before the next sync: row 1 is back to its committed version, row 2 is back, row 4 is gone.
    const undone = inputOf([order(1, "v1"), order(2, "v1"), order(3, "v1")]);
    await resumeAfterLease(connection, undone);
    assert.deepEqual(
      (await connection.published(3)).map(({ change, row }) => [change, row.id, row.status]),
      [
        ["added", 2, "v1"],
        ["changed", 1, "v1"],
        ["removed", 4, "v1"],
      ],
    );

    await connection.sync(undone);
    assert.deepEqual(await connection.published(), [], "the resumed sync committed what it published");
    assert.deepEqual(await journalKeys(connection), [], "a commit deletes the journals it covers");
  });

  test("a first sync killed before any commit: a row it published as added and the source then dropped is published as removed", async () => {
    const connection = await s3Connection(context.emulator);
    assert.deepEqual(await publishThenKill(connection, [order(1, "v1"), order(2, "v1")], 2), [
      ["added", 1, "v1"],
      ["added", 2, "v1"],
    ]);
    assert.ok((await journalKeys(connection)).length > 0, "the killed sync journaled its rows");

    await resumeAfterLease(connection, inputOf([order(1, "v1")]));
    assert.deepEqual(
      (await connection.published(2)).map(({ change, row }) => [change, row.id]),
      [
        ["added", 1],
        ["removed", 2],
      ],
    );
    await connection.sync(inputOf([order(1, "v1")]));
    assert.deepEqual(await connection.published(), []);
  });

  test("a Clear after a killed sync resets the stream, journaled rows included, and publishes nothing", async () => {
    const connection = await s3Connection(context.emulator);
    await connection.sync(inputOf([order(1, "v1")]));
    assert.equal((await connection.published(1)).length, 1);
    assert.equal((await publishThenKill(connection, [order(1, "v2"), order(2, "v1")], 2)).length, 2);

    await resumeAfterLease(connection, CLEAR_INPUT, clearCatalog);
    assert.deepEqual(await connection.published(), [], "a Clear publishes nothing");
    assert.deepEqual(await journalKeys(connection), [], "the Clear's commit deletes the journals");

    await connection.sync(inputOf([order(1, "v1")]), { snapshot: { initial_sync: "changes_only" } });
    assert.deepEqual(await connection.published(), [], "the next sync counts as the first");
  });

  test("a journal that cannot be written stops the sync before any of its rows is sent", async () => {
    const proxy = await faultS3Puts(context.emulator, "server_error", /\/journal\//, { faultRate: 1 });
    try {
      const connection = await s3Connection(context.emulator, {}, { storeEndpoint: proxy.endpoint, settings: { retry_max_seconds: 1 } });
      const result = await connection.run(inputOf([order(1, "v1"), order(2, "v1")]));
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(errorTraceOf(result.messages)?.message ?? "", /The snapshot store s3:\/\/.*: s3:PutObject failed with InternalError/);
      assert.ok(proxy.injected.server_error > 0);
      assert.deepEqual(await connection.published(), [], "no row was sent before it was journaled");
    } finally {
      await proxy.stop();
    }
  });

  test("a sync that changed nothing, its every published row rejected, leaves no journal behind", async () => {
    const connection = await s3Connection(
      context.emulator,
      {},
      { settings: { max_message_bytes: 1024, rejected_rows: { policy: "skip" } } },
    );
    await connection.sync(inputOf([order(1, "v1")]));
    assert.equal((await connection.published(1)).length, 1);

    // A stream that ends incomplete changes nothing in the store: no commit is needed, the last one covers the journal.
    const incomplete = [streamStatus("STARTED"), recordLine(STREAM, order(1, "x".repeat(2000))), streamStatus("INCOMPLETE")];
    const rejected = await connection.sync(`${incomplete.join("\n")}\n`);
    assert.ok(
      logsOf(rejected).some((log) => /Rejected row/.test(log)),
      logsOf(rejected).join("\n"),
    );
    assert.deepEqual(await connection.published(), []);
    assert.deepEqual(await journalKeys(connection), []);
  });

  test("a store that ignores conditional writes still refuses a second sync once it sees the first renew its lock", async () => {
    const connection = await s3Connection(context.emulator);
    const { first, output } = await startLockHolder(connection);
    const second = await connection.run(inputOf([order(2, "new")]));
    assert.equal(second.code, 1);
    assert.match(errorTraceOf(second.messages)?.message ?? "", /Another sync holds the snapshot store s3:\/\//);
    first.stdin.end(stateLine({ done: true }) + "\n");
    assert.equal(await exitCodeOf(first), 0, await output);
  });

  test("a missing bucket: check fails and write fails with a config error, both naming the bucket", async () => {
    const config = emulatorConfigFile(context.emulator.endpoint, {
      queue: { source: "static", value: await context.emulator.createQueue(uniqueQueueName("s3-missing")) },
      change_detection: {
        mode: "snapshot",
        store: { type: "s3", bucket: "no-such-bucket-here", endpoint: context.emulator.endpoint, force_path_style: true },
      },
    });
    const check = await runCli(["check", "--config", config]);
    const status = check.messages.find((message) => message.type === "CONNECTION_STATUS");
    assert.equal(status?.type === "CONNECTION_STATUS" && status.connectionStatus.status, "FAILED");
    assert.match(JSON.stringify(status), /bucket \\"no-such-bucket-here\\" does not exist/);

    const write = await runCli(["write", "--config", config, "--catalog", fullRefresh], {
      stdin: inputOf([order(1, "new")]),
      env: freshPodEnv(),
    });
    assert.equal(write.code, 1);
    const error = errorTraceOf(write.messages);
    assert.equal(error?.failure_type, "config_error");
    assert.match(error?.message ?? "", /bucket "no-such-bucket-here" does not exist/);
  });

  test("preview diffs against the snapshot in S3 and leaves it, and its lock, untouched", async () => {
    const connection = await s3Connection(context.emulator);
    await connection.sync(inputOf([order(1, "new"), order(2, "new")]));
    assert.equal((await connection.published(2)).length, 2);
    const before = await listKeys(context.emulator.endpoint, connection.bucket, connection.prefix);

    const preview = await runCli(["preview", "--config", connection.configFile(), "--catalog", fullRefresh], {
      stdin: inputOf([order(1, "new"), order(2, "paid"), order(3, "new")]),
      env: freshPodEnv(),
    });
    assert.equal(preview.code, 0, preview.stdout);
    const entries = logsOf(preview)
      .filter((log) => log.startsWith("PREVIEW "))
      .map((log) => JSON.parse(log.slice("PREVIEW ".length)) as { outcome: string; change?: string });
    assert.deepEqual(
      entries.map((entry) => entry.change ?? entry.outcome),
      ["skipped", "changed", "added"],
    );
    assert.deepEqual(await listKeys(context.emulator.endpoint, connection.bucket, connection.prefix), before);
    assert.deepEqual(await connection.published(), []);
  });

  test("a file larger than one part is uploaded in parts and reads back whole", async () => {
    const bucket = await createBucket(context.emulator.endpoint);
    const path = join(mkdtempSync(join(tmpdir(), "destination-sqs-upload-")), "large.bin");
    const content = randomBytes(9 * 1024 * 1024 + 123);
    writeFileSync(path, content);
    const s3 = createAwsClients(emulatorConfig(context.emulator)).s3({
      bucket,
      endpoint: context.emulator.endpoint,
      force_path_style: true,
    });
    try {
      assert.equal(await uploadFile(s3, bucket, "p/large.bin", path, "application/octet-stream"), content.length);
      const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "p/large.bin" }));
      assert.ok(Buffer.from(await output.Body!.transformToByteArray()).equals(content));
    } finally {
      s3.destroy();
      rmSync(dirname(path), { recursive: true, force: true });
    }
  });

  test("check proves the S3 store by writing and deleting a probe object", async () => {
    const connection = await s3Connection(context.emulator);
    const check = await runCli(["check", "--config", connection.configFile()]);
    const status = check.messages.find((message) => message.type === "CONNECTION_STATUS");
    assert.equal(status?.type === "CONNECTION_STATUS" && status.connectionStatus.status, "SUCCEEDED", check.stdout);
    assert.match(JSON.stringify(status), new RegExp(`s3://${connection.bucket}/${connection.prefix}`));
    assert.deepEqual(await listKeys(context.emulator.endpoint, connection.bucket, connection.prefix), [], "the probe is deleted");
  });

  test("a sync with the S3 store leaves nothing in TMPDIR when it fails, or is stopped by SIGTERM while SQS does not answer", async () => {
    const connection = await s3Connection(context.emulator);
    const tmp = tempDirectory("tmpdir");
    const failed = await connection.run(`${recordLine(STREAM, order(2, "new"))}\nnot json\n`, { env: { TMPDIR: tmp } });
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.deepEqual(readdirSync(tmp), [], "left by a failed sync");

    // Every SendMessageBatch is held far longer than the connector's grace period after a signal.
    const proxy = await startFaultProxy({ target: context.emulator.endpoint, seed: 5, faultRate: 1, faults: ["delay"], delayMs: 60_000 });
    try {
      const queueName = uniqueQueueName("s3-stopped");
      await context.emulator.createQueue(queueName);
      const config = emulatorConfigFile(proxy.endpoint, {
        queue: { source: "static", value: queueName },
        change_detection: {
          mode: "snapshot",
          store: { type: "s3", bucket: connection.bucket, prefix: "stopped/", endpoint: context.emulator.endpoint, force_path_style: true },
        },
      });
      const stopped = startConnector(["write", "--config", config, "--catalog", fullRefresh], { TMPDIR: tmp });
      await stopped.write(inputOf([order(3, "new")]));
      for (let poll = 0; poll < 500 && proxy.batchRequests === 0; poll++) await sleep(10);
      assert.ok(proxy.batchRequests > 0, "a batch is in flight");
      stopped.child.kill("SIGTERM");
      assert.notEqual((await stopped.exit(10_000)).code, 0);
      assert.deepEqual(readdirSync(tmp), [], "left by a sync stopped by SIGTERM");
    } finally {
      await proxy.stop();
    }
  });
});

withMoto("snapshot store lock in S3", (context) => {
  test("a second sync on the prefix fails once it sees the holder renew the lock, naming the prefix and the holder; the first completes and nothing is lost", async () => {
    const connection = await s3Connection(context.emulator);
    const { first, output } = await startLockHolder(connection);

    const second = await connection.run(inputOf([order(2, "new")]));
    assert.equal(second.code, 1);
    const error = errorTraceOf(second.messages);
    assert.equal(error?.failure_type, "transient_error");
    assert.match(
      error?.message ?? "",
      new RegExp(
        `Another sync holds the snapshot store s3://${connection.bucket}/${connection.prefix}: sync [0-9a-f-]+ on host .* \\(pid \\d+`,
      ),
    );
    assert.ok(!logsOf(second).some((log) => /ignores S3 conditional writes/.test(log)), "moto keeps conditional writes");

    first.stdin.end(recordLine(STREAM, order(3, "new")) + "\n" + stateLine({ done: true }) + "\n");
    assert.equal(await exitCodeOf(first), 0, await output);
    assert.deepEqual(
      (await connection.published(1)).map(({ row }) => row.id),
      [3],
    );

    await connection.sync(inputOf([order(1, "new"), order(2, "new"), order(3, "new")]));
    assert.deepEqual(
      (await connection.published(1)).map(({ change, row }) => [change, row.id]),
      [["added", 2]],
      "the refused sync's row comes next time",
    );
  });

  test("a stale writer cannot replace a newer snapshot version: its manifest write fails with If-Match", async () => {
    const { emulator } = context;
    const bucket = await createBucket(emulator.endpoint);
    const config = emulatorConfig(emulator);
    const s3 = createAwsClients(config).s3({ bucket, endpoint: emulator.endpoint, force_path_style: true });
    const directory = mkdtempSync(join(tmpdir(), "destination-sqs-versions-"));
    try {
      const location = new S3Location(bucket, "stale/");
      const file = join(directory, "snapshot.sqlite");
      writeFileSync(file, "a snapshot");
      const current = await SnapshotVersions.read(s3, location, config);
      const stale = await SnapshotVersions.read(s3, location, config);
      await current.commit(file, join(directory, "current.gz"), "the current holder", "current");
      await assert.rejects(stale.commit(file, join(directory, "stale.gz"), "a stale holder", "stale"), (error: Error) => {
        assert.ok(error instanceof SnapshotConflictError);
        assert.match(error.message, /Another sync committed a snapshot to s3:\/\/.*\/stale\/ while this one held its lock/);
        return true;
      });
      const manifest = JSON.parse(await readObject(emulator.endpoint, bucket, "stale/manifest.json")) as { committed_by: string };
      assert.equal(manifest.committed_by, "the current holder");
    } finally {
      s3.destroy();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test("a manifest, lock or journal write whose answer was lost, retried, finds its own write and is not taken for a lost lock", async () => {
    const { emulator } = context;
    const bucket = await createBucket(emulator.endpoint);
    const config = emulatorConfig(emulator);
    const location = new S3Location(bucket, "lost-answers/");
    const directory = mkdtempSync(join(tmpdir(), "destination-sqs-versions-"));
    // After loseNextAnswer(), the next PUT of the object is stored by moto, then its connection is reset instead of answered: the client retries it.
    const withLostAnswer = async (object: RegExp, use: (s3: S3Client, loseNextAnswer: () => void) => Promise<void>): Promise<void> => {
      const proxy = await faultS3Puts(emulator, "reset_after", new RegExp(`/lost-answers/${object.source}(\\?|$)`), {
        faultRate: 0,
        maxFaults: 1,
      });
      const s3 = createAwsClients(config).s3({ bucket, endpoint: proxy.endpoint, force_path_style: true });
      try {
        await use(s3, () => proxy.setFaultRate(1));
        assert.equal(proxy.injected.reset_after, 1, "an answer was lost");
      } finally {
        s3.destroy();
        await proxy.stop();
      }
    };
    const log = async (): Promise<void> => undefined;
    try {
      const file = join(directory, "snapshot.sqlite");
      writeFileSync(file, "a snapshot");
      await withLostAnswer(/manifest\.json/, async (s3, loseNextAnswer) => {
        const versions = await SnapshotVersions.read(s3, location, config);
        loseNextAnswer();
        await versions.commit(file, join(directory, "first.gz"), "this holder", "first");
        await versions.commit(file, join(directory, "second.gz"), "this holder", "second");
      });
      const manifest = JSON.parse(await readObject(emulator.endpoint, bucket, "lost-answers/manifest.json")) as { version: number };
      assert.equal(manifest.version, 2, "the second commit replaced the first with the ETag of the first");

      await withLostAnswer(/lock\.json/, async (s3, loseNextAnswer) => {
        loseNextAnswer();
        const lock = await SnapshotLock.acquire(s3, location, config, { holder: "sync one", leaseMs: 60_000, log });
        await lock.release();
      });
      await withLostAnswer(/lock\.json/, async (s3, loseNextAnswer) => {
        const lock = await SnapshotLock.acquire(s3, location, config, { holder: "sync two", leaseMs: 60_000, log });
        loseNextAnswer();
        await lock.renew();
        await lock.renew();
        await lock.release();
      });
      assert.deepEqual(await listKeys(emulator.endpoint, bucket, "lost-answers/lock.json"), [], "the lock was released");

      await withLostAnswer(/journal\/[^?]+/, async (s3, loseNextAnswer) => {
        const journal = new SnapshotJournal(s3, location, config, "sync-three", []);
        loseNextAnswer();
        const noted = journal.note({ namespace: "", stream: STREAM, key: "[1]", change: "added", data: '{"id":1}' });
        await journal.close();
        await noted.durable;
      });
      const direct = createAwsClients(config).s3({ bucket, endpoint: emulator.endpoint, force_path_style: true });
      try {
        const [journal, ...others] = await listJournals(direct, location, config);
        assert.deepEqual(others, [], "one journal object, written once");
        assert.deepEqual(await journalEntries(readJournal(direct, location, config, journal!)), [
          { namespace: "", stream: STREAM, key: "[1]", change: "added", data: '{"id":1}' },
        ]);
      } finally {
        direct.destroy();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

withFauxqs("what the snapshot store reads back from its bucket is not trusted", (context) => {
  const baseline = [1, 2, 3, 4, 5].map((id) => order(id, "new"));
  const nextSync = baseline.map((row) => (row.id === 3 ? order(3, "shipped") : row));

  /** A connection synced once with ids 1–5, their messages drained. */
  async function baselineConnection(): Promise<Connection> {
    const connection = await s3Connection(context.emulator);
    await connection.sync(inputOf(baseline));
    assert.equal((await connection.published(5)).length, 5);
    return connection;
  }

  async function putObject(connection: Connection, key: string, body: Uint8Array | string): Promise<void> {
    const s3 = testS3Client(connection.endpoint);
    try {
      await s3.send(new PutObjectCommand({ Bucket: connection.bucket, Key: key, Body: body }));
    } finally {
      s3.destroy();
    }
  }

  /** Runs the next sync in a fresh pod whose TMPDIR the test can look into afterwards. */
  async function runInPod(connection: Connection, env: Record<string, string> = {}): Promise<{ result: CliResult; leftOnDisk: string[] }> {
    const tmp = mkdtempSync(join(tmpdir(), "destination-sqs-pod-"));
    const result = await connection.run(inputOf(nextSync), { env: { TMPDIR: tmp, HOME: tmp, ...env } });
    const leftOnDisk = readdirSync(tmp);
    rmSync(tmp, { recursive: true, force: true });
    return { result, leftOnDisk };
  }

  async function manifestOf(connection: Connection): Promise<{ object: string; bytes: number }> {
    return JSON.parse(await readObject(connection.endpoint, connection.bucket, `${connection.prefix}manifest.json`)) as {
      object: string;
      bytes: number;
    };
  }

  async function assertFailsCleanly(connection: Connection, env: Record<string, string>, message: RegExp): Promise<CliResult> {
    const { result, leftOnDisk } = await runInPod(connection, env);
    assert.equal(result.code, 1, result.stdout.slice(0, 2000) + result.stderr.slice(0, 2000));
    const trace = errorTraceOf(result.messages);
    assert.equal(trace?.failure_type, "config_error", JSON.stringify(trace).slice(0, 2000));
    assert.match(trace?.message ?? "", message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    assert.deepEqual(leftOnDisk, [], "the working directory is removed");
    const keys = await listKeys(connection.endpoint, connection.bucket, connection.prefix);
    assert.ok(!keys.includes(`${connection.prefix}lock.json`), "the lock is released");
    assert.deepEqual(await connection.published(), [], "nothing is published");
    return result;
  }

  test("a journal line whose key is not its row's is ignored with a WARN naming the object, and publishes nothing wrong", async () => {
    const connection = await baselineConnection();
    const key = `${connection.prefix}journal/0000000000001-evil-000001.jsonl.gz`;
    await putObject(connection, key, gzipSync(`${JSON.stringify(["", STREAM, "added", "not-json-key", { id: 1, status: "new" }])}\n`));
    const { result } = await runInPod(connection);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(
      (await connection.published()).map(({ change, row }) => [change, row.id]),
      [["changed", 3]],
    );
    assert.ok(
      logsOf(result).some((log) => log.includes(`Ignored 1 entries of the snapshot journal object ${key}`)),
      logsOf(result).join("\n"),
    );
  });

  test("a manifest naming another connection's snapshot is refused; that snapshot is neither read nor deleted", async () => {
    const other = await baselineConnection();
    const connection = await baselineConnection();
    const theirs = await manifestOf(other);
    const ours = await manifestOf(connection);
    await putObject(connection, `${connection.prefix}manifest.json`, JSON.stringify({ ...ours, object: theirs.object }));
    await assertFailsCleanly(connection, {}, /names the snapshot object .* which is not a version under this store's prefix/);
    assert.ok((await listKeys(other.endpoint, other.bucket, other.prefix)).includes(theirs.object), "the other snapshot is still there");
    await other.sync(inputOf(nextSync));
    assert.deepEqual(
      (await other.published()).map(({ change, row }) => [change, row.id]),
      [["changed", 3]],
    );
  });

  test("objects of a connection whose prefix lies inside this one's folders are never deleted", async () => {
    const connection = await baselineConnection();
    const nested = [`${connection.prefix}snapshots/inner/manifest.json`, `${connection.prefix}journal/inner/lock.json`];
    for (const key of nested) await putObject(connection, key, "{}");
    const { result } = await runInPod(connection);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const keys = await listKeys(connection.endpoint, connection.bucket, connection.prefix);
    for (const key of nested) assert.ok(keys.includes(key), `${key} is kept`);
  });

  test("a decompression bomb at the snapshot's key stops at the ceiling and says the stored snapshot is corrupt", async () => {
    const connection = await baselineConnection();
    const { object } = await manifestOf(connection);
    // Past the ceiling of a version recorded without sqlite_bytes: 64 MiB.
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024), { level: 9 });
    await putObject(connection, object, bomb);
    await putObject(
      connection,
      `${connection.prefix}manifest.json`,
      JSON.stringify({ ...(await manifestOf(connection)), bytes: bomb.length, sqlite_bytes: undefined }),
    );
    const failed = await assertFailsCleanly(
      connection,
      {},
      /was downloaded, but it is corrupt or was not written by this connector: it decompresses to more than \d+ bytes/,
    );
    assert.match(errorTraceOf(failed.messages)?.message ?? "", /delete .*manifest\.json to start over/);
  });

  test("a snapshot that is not gzip, or larger than the manifest records, is called corrupt, not unreachable", async () => {
    const connection = await baselineConnection();
    const { object } = await manifestOf(connection);
    await putObject(connection, object, "not gzip at all");
    const notGzip = await assertFailsCleanly(connection, {}, /corrupt or was not written by this connector: it is not gzip data/);
    assert.doesNotMatch(errorTraceOf(notGzip.messages)?.message ?? "", /reach/);

    await putObject(connection, object, gzipSync(Buffer.alloc(10_000)));
    await putObject(connection, `${connection.prefix}manifest.json`, JSON.stringify({ ...(await manifestOf(connection)), bytes: 10 }));
    await assertFailsCleanly(connection, {}, /larger than the 10 bytes the manifest records/);
  });

  test("a lock that is not this connector's (huge lease, invalid lease, 4 MB holder) is taken over as stale with a short WARN", async () => {
    const connection = await baselineConnection();
    const locks = [
      JSON.stringify({ holder: "sync evil", lease_ms: 1e300 }),
      JSON.stringify({ holder: "sync evil", lease_ms: 1e13 }),
      JSON.stringify({ holder: "h".repeat(4 * 1024 * 1024), lease_ms: 60_000 }),
    ];
    for (const lock of locks) {
      await putObject(connection, `${connection.prefix}lock.json`, lock);
      const { result } = await runInPod(connection);
      assert.equal(result.code, 0, result.stdout.slice(0, 2000) + result.stderr.slice(0, 2000));
      assert.ok(result.stdout.length < 100_000, `stdout is ${result.stdout.length} characters`);
      assert.ok(
        logsOf(result).some((log) => /Took over the snapshot lock of .* as a stale one: it is not a lock this connector wrote/.test(log)),
        logsOf(result).join("\n").slice(0, 2000),
      );
      await connection.published();
    }
  });
});
