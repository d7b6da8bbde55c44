import assert from "node:assert/strict";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createAwsClients } from "../src/aws/clients.js";
import { listJournals, readJournal, SnapshotJournal } from "../src/changes/snapshot/s3/journal.js";
import type { JournalEntry } from "../src/changes/snapshot/home.js";
import { uploadFile } from "../src/changes/snapshot/s3/upload.js";
import { SnapshotConflictError, SnapshotLock } from "../src/changes/snapshot/s3/lock.js";
import { SnapshotVersions } from "../src/changes/snapshot/s3/versions.js";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { catalogOf, errorTraceOf, recordLine, stateLine } from "./helpers/airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./helpers/cli.js";
import { clearCatalog as clearCatalogOf } from "./helpers/platform.js";
import { S3Location } from "../src/changes/snapshot/s3/location.js";
import { snapshotStoreFailure } from "../src/changes/snapshot/s3/errors.js";
import { startFauxqs, uniqueQueueName, withMoto, emulatorConfig, emulatorConfigFile, type Emulator } from "./helpers/emulators.js";
import { type FaultKind, type FaultProxy, startFaultProxy } from "./helpers/fault-proxy.js";
import { exitCodeOf, outputOf, startWrite } from "./helpers/live-connector.js";
import { createBucket, freshPodEnv, listKeys, readObject } from "./helpers/snapshot-s3.js";

type Row = Record<string, unknown> & { id: number };

interface Published {
  change: string;
  row: Row;
}

const BODY = '{"change":"{{ change }}","row":{{ row | json }}}';
const STREAM = "orders";
const fullRefresh = writeTempJson(catalogOf([{ name: STREAM, primaryKey: [["id"]], syncMode: "full_refresh" }]));
/** The catalog of the platform's Clear job: full_refresh + overwrite, minimum generation = generation. */
const clearCatalog = writeTempJson(clearCatalogOf([{ name: STREAM, primaryKey: [["id"]] }]));
/** A refresh: the same catalog, with the stream's records. */
const refreshCatalog = clearCatalog;

function order(id: number, status: string): Row {
  return { id, status };
}

function inputOf(rows: Row[]): string {
  return [...rows.map((row) => recordLine(STREAM, row)), stateLine({ done: true })].join("\n") + "\n";
}

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

function sortPublished(messages: Published[]): Published[] {
  const rank = { added: 0, changed: 1, removed: 2 } as Record<string, number>;
  return messages.sort((a, b) => (rank[a.change] ?? 9) - (rank[b.change] ?? 9) || a.row.id - b.row.id);
}

function logsOf(result: CliResult): string[] {
  return result.messages.flatMap((message) => (message.type === "LOG" ? [message.log.message] : []));
}

/** A queue and an S3 prefix; each sync runs as in a new pod (fresh HOME and TMPDIR). */
async function s3Connection(
  emulator: Emulator,
  snapshot: Record<string, unknown> = {},
  options: { storeEndpoint?: string; settings?: Record<string, unknown> } = {},
) {
  const queueName = uniqueQueueName("s3-snapshot");
  const queueUrl = await emulator.createQueue(queueName);
  const bucket = await createBucket(emulator.endpoint);
  const prefix = `destination-sqs/${queueName}/`;
  const store = { type: "s3", bucket, prefix, endpoint: options.storeEndpoint ?? emulator.endpoint, force_path_style: true };
  const configFile = (extraSnapshot: Record<string, unknown> = {}): string =>
    emulatorConfigFile(emulator.endpoint, {
      ...options.settings,
      queue: { source: "static", value: queueName },
      message_body: { format: "template", template: BODY },
      change_detection: { mode: "snapshot", store, ...snapshot, ...extraSnapshot },
    });
  return {
    endpoint: emulator.endpoint,
    bucket,
    prefix,
    configFile,
    async run(
      input: string,
      options: { catalog?: string | undefined; snapshot?: Record<string, unknown>; env?: Record<string, string> } = {},
    ): Promise<CliResult> {
      return runCli(["write", "--config", configFile(options.snapshot), "--catalog", options.catalog ?? fullRefresh], {
        stdin: input,
        env: freshPodEnv(options.env),
      });
    },
    async sync(input: string, options: { catalog?: string; snapshot?: Record<string, unknown> } = {}): Promise<CliResult> {
      const result = await this.run(input, options);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      return result;
    },
    async published(expected?: number): Promise<Published[]> {
      const received = await emulator.receiveAll(queueUrl, expected === undefined ? {} : { expected });
      return sortPublished(received.map((message) => JSON.parse(message.body) as Published));
    },
  };
}

type Connection = Awaited<ReturnType<typeof s3Connection>>;

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

/** Starts a sync that sends one row and, once it is published (the sync holds the lock), waits for more input. */
async function startLockHolder(connection: Connection): Promise<{ first: ChildProcessWithoutNullStreams; output: Promise<string> }> {
  const first = startWrite(connection.configFile(), fullRefresh, freshPodEnv());
  const output = outputOf(first);
  first.stdin.write(recordLine(STREAM, order(1, "new")) + "\n");
  assert.equal((await connection.published(1)).length, 1, "the first sync is running");
  return { first, output };
}

/** Runs `input` once the killed sync's lock has expired (SHORT_LEASE). */
async function resumeAfterLease(connection: Connection, input: string, catalog = fullRefresh): Promise<CliResult> {
  let result = await connection.run(input, { env: SHORT_LEASE, catalog });
  for (let attempt = 0; attempt < 20 && result.code !== 0; attempt++) {
    await sleep(250);
    result = await connection.run(input, { env: SHORT_LEASE, catalog });
  }
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

describe("snapshot store in S3 (fauxqs)", () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startFauxqs();
  });
  after(async () => {
    await emulator?.stop();
  });

  test("syncs in fresh pods publish the backfill, then exactly the added, changed and removed rows", async () => {
    const connection = await s3Connection(emulator);
    const v1 = [order(1, "new"), order(2, "new"), order(3, "new")];
    const first = await connection.sync(inputOf(v1));
    assert.deepEqual(
      await connection.published(3),
      v1.map((row) => ({ change: "added", row })),
    );
    // fauxqs ignores conditional writes: the connector says so instead of trusting its lock.
    assert.ok(
      logsOf(first).some((log) => /ignores S3 conditional writes/.test(log)),
      logsOf(first).join("\n"),
    );

    await connection.sync(inputOf([order(1, "new"), order(2, "shipped"), order(4, "new")]));
    assert.deepEqual(await connection.published(3), [
      { change: "added", row: order(4, "new") },
      { change: "changed", row: order(2, "shipped") },
      { change: "removed", row: order(3, "new") },
    ]);

    await connection.sync(inputOf([order(1, "new"), order(2, "shipped"), order(4, "new")]));
    assert.deepEqual(await connection.published(), [], "an unchanged table publishes nothing");
    const keys = await listKeys(emulator.endpoint, connection.bucket, connection.prefix);
    assert.equal(keys.filter((key) => key.includes("/snapshots/")).length, 1, `one committed version is kept: ${keys.join(", ")}`);
    assert.ok(!keys.includes(`${connection.prefix}lock.json`), "the lock is released");
    const manifest = JSON.parse(await readObject(emulator.endpoint, connection.bucket, `${connection.prefix}manifest.json`)) as {
      object: string;
    };
    assert.ok(keys.includes(manifest.object), "the manifest names the stored version");
  });

  test("changes_only: the first sync publishes nothing, the second an insert, an update and a delete", async () => {
    const connection = await s3Connection(emulator, { initial_sync: "changes_only" });
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
    const connection = await s3Connection(emulator, { initial_sync: "changes_only" });
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
    const connection = await s3Connection(emulator, { publish_removals_on_clear: true });
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
    const connection = await s3Connection(emulator);
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

    // The killed sync's lock is refused until its lease (1.5 s here) runs out.
    let rerunResult = await connection.run(inputOf(ids.map((id) => order(id, "v2"))), { env: timing });
    if (rerunResult.code !== 0) {
      await sleep(1600);
      rerunResult = await connection.run(inputOf(ids.map((id) => order(id, "v2"))), { env: timing });
    }
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
    const connection = await s3Connection(emulator);
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
    const connection = await s3Connection(emulator);
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
    const connection = await s3Connection(emulator);
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
    const proxy = await faultS3Puts(emulator, "server_error", /\/journal\//, { faultRate: 1 });
    try {
      const connection = await s3Connection(emulator, {}, { storeEndpoint: proxy.endpoint, settings: { retry_max_seconds: 1 } });
      const result = await connection.run(inputOf([order(1, "v1"), order(2, "v1")]));
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(errorTraceOf(result.messages)?.message ?? "", /The snapshot store s3:\/\/.*: s3:PutObject failed with InternalError/);
      assert.ok(proxy.injected.server_error > 0);
      assert.deepEqual(await connection.published(), [], "no row was sent before it was journaled");
    } finally {
      await proxy.stop();
    }
  });

  test("a commit covers the journal chunks whose every row has an outcome, and the journals read at start", async () => {
    const bucket = await createBucket(emulator.endpoint);
    const config = emulatorConfig(emulator);
    const s3 = createAwsClients(config).s3({ bucket, endpoint: emulator.endpoint, force_path_style: true });
    const location = new S3Location(bucket, "coverage/");
    const entry = (id: number): JournalEntry => ({
      namespace: "",
      stream: STREAM,
      key: `[${id}]`,
      change: "changed",
      data: `{"id":${id}}`,
    });
    try {
      const earlier = new SnapshotJournal(s3, location, config, "earlier", []);
      earlier.note(entry(1));
      await earlier.close();
      const [left] = await listJournals(s3, location, config);

      const journal = new SnapshotJournal(s3, location, config, "current", [left!]);
      const published = journal.note(entry(2));
      await published.durable;
      assert.deepEqual(journal.covered(), [left], "a chunk whose row has no outcome yet is not covered");
      published.settled();
      const written = (await listJournals(s3, location, config)).find((key) => key !== left);
      assert.deepEqual(journal.covered(), [left, written]);
      const inFlight = journal.note(entry(3));
      assert.deepEqual(journal.covered(), [left, written], "a chunk not written yet is not covered");

      await journal.remove(journal.covered());
      await journal.close();
      await inFlight.durable;
      const remaining = await listJournals(s3, location, config);
      assert.equal(remaining.length, 1);
      assert.deepEqual(await readJournal(s3, location, config, remaining[0]!), [entry(3)]);
      assert.deepEqual(journal.covered(), [], "removed journals are forgotten; the last chunk's row has no outcome");
    } finally {
      s3.destroy();
    }
  });

  test("a sync that changed nothing, its every published row rejected, leaves no journal behind", async () => {
    const connection = await s3Connection(emulator, {}, { settings: { max_message_bytes: 1024, rejected_rows: { policy: "skip" } } });
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

  test("a store that ignores conditional writes still refuses a second sync while the first holds the lock", async () => {
    const connection = await s3Connection(emulator);
    const { first, output } = await startLockHolder(connection);
    const second = await connection.run(inputOf([order(2, "new")]));
    assert.equal(second.code, 1);
    assert.match(errorTraceOf(second.messages)?.message ?? "", /Another sync holds the snapshot store s3:\/\//);
    first.stdin.end(stateLine({ done: true }) + "\n");
    assert.equal(await exitCodeOf(first), 0, await output);
  });

  test("a missing bucket: check fails and write fails with a config error, both naming the bucket", async () => {
    const config = emulatorConfigFile(emulator.endpoint, {
      queue: { source: "static", value: await emulator.createQueue(uniqueQueueName("s3-missing")) },
      change_detection: {
        mode: "snapshot",
        store: { type: "s3", bucket: "no-such-bucket-here", endpoint: emulator.endpoint, force_path_style: true },
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
    const connection = await s3Connection(emulator);
    await connection.sync(inputOf([order(1, "new"), order(2, "new")]));
    assert.equal((await connection.published(2)).length, 2);
    const before = await listKeys(emulator.endpoint, connection.bucket, connection.prefix);

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
    assert.deepEqual(await listKeys(emulator.endpoint, connection.bucket, connection.prefix), before);
    assert.deepEqual(await connection.published(), []);
  });

  test("a file larger than one part is uploaded in parts and reads back whole", async () => {
    const bucket = await createBucket(emulator.endpoint);
    const path = join(mkdtempSync(join(tmpdir(), "destination-sqs-upload-")), "large.bin");
    const content = randomBytes(9 * 1024 * 1024 + 123);
    writeFileSync(path, content);
    const s3 = createAwsClients(emulatorConfig(emulator)).s3({ bucket, endpoint: emulator.endpoint, force_path_style: true });
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
    const connection = await s3Connection(emulator);
    const check = await runCli(["check", "--config", connection.configFile()]);
    const status = check.messages.find((message) => message.type === "CONNECTION_STATUS");
    assert.equal(status?.type === "CONNECTION_STATUS" && status.connectionStatus.status, "SUCCEEDED", check.stdout);
    assert.match(JSON.stringify(status), new RegExp(`s3://${connection.bucket}/${connection.prefix}`));
    assert.deepEqual(await listKeys(emulator.endpoint, connection.bucket, connection.prefix), [], "the probe is deleted");
  });
});

withMoto("snapshot store lock in S3", (context) => {
  test("a second sync on the prefix fails at once naming the prefix and the holder; the first completes and nothing is lost", async () => {
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
    const warn = async (): Promise<void> => undefined;
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
        const lock = await SnapshotLock.acquire(s3, location, config, { holder: "sync one", leaseMs: 60_000, warn });
        await lock.release();
      });
      await withLostAnswer(/lock\.json/, async (s3, loseNextAnswer) => {
        const lock = await SnapshotLock.acquire(s3, location, config, { holder: "sync two", leaseMs: 60_000, warn });
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
        assert.deepEqual(await readJournal(direct, location, config, journal!), [
          { namespace: "", stream: STREAM, key: "[1]", change: "added", data: '{"id":1}' },
        ]);
      } finally {
        direct.destroy();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test("the lock of a killed sync is refused until its lease runs out, then taken over", async () => {
    const connection = await s3Connection(context.emulator);
    const lease = { DESTINATION_SQS_SNAPSHOT_LEASE_MS: "6000" };
    const killed = startWrite(connection.configFile(), fullRefresh, freshPodEnv(lease));
    const output = outputOf(killed);
    killed.stdin.write(recordLine(STREAM, order(1, "new")) + "\n");
    assert.equal((await connection.published(1)).length, 1, "the sync holds the lock");
    killed.kill("SIGKILL");
    await exitCodeOf(killed);
    await output;

    const early = await connection.run(inputOf([order(1, "new")]));
    assert.equal(early.code, 1);
    const refusal = errorTraceOf(early.messages)?.message ?? "";
    const expiry = /its lock expires at (\S+) and/.exec(refusal)?.[1];
    assert.ok(expiry !== undefined, refusal);

    await sleep(Math.min(Math.max(0, Date.parse(expiry) - Date.now()) + 100, 7000));
    const late = await connection.sync(inputOf([order(1, "new")]));
    assert.ok(
      logsOf(late).some((log) => /Took over the snapshot lock of s3:\/\/.* from sync /.test(log)),
      logsOf(late).join("\n"),
    );
    assert.deepEqual(
      (await connection.published(1)).map(({ change }) => change),
      ["added"],
      "the uncommitted row is published again",
    );
  });
});

test("a denied S3 call names the bucket, the prefix and the permission to grant", () => {
  const denied = Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
  const config = emulatorConfig({ endpoint: "http://127.0.0.1:1" });
  const location = new S3Location("snapshots", "destination-sqs/orders");
  const put = snapshotStoreFailure(denied, location, "s3:PutObject", config);
  assert.equal(put.failureType, "config_error");
  assert.match(
    put.message,
    /s3:\/\/snapshots\/destination-sqs\/orders\/ \(change_detection\.store\.bucket\): s3:PutObject failed with AccessDenied; grant s3:PutObject on arn:aws:s3:::snapshots\/destination-sqs\/orders\/\*/,
  );
  const list = snapshotStoreFailure(denied, location, "s3:ListBucket", config);
  assert.match(list.message, /grant s3:ListBucket on arn:aws:s3:::snapshots to the connector's credentials/);
});
