// The snapshot store in S3 on fauxqs, the cases every run covers: syncs in fresh pods, the journal,
// and what a completed sync leaves on disk. Killed, failed and stopped syncs, the lock, faults and moto are in
// test/slow/snapshot-s3.test.ts.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { createAwsClients } from "../src/aws/clients.js";
import { snapshotStoreFailure } from "../src/changes/snapshot/s3/errors.js";
import { listJournals, readJournal, SnapshotJournal } from "../src/changes/snapshot/s3/journal.js";
import type { JournalEntry } from "../src/changes/snapshot/home.js";
import { S3Location } from "../src/changes/snapshot/s3/location.js";
import { emulatorConfig, withFauxqs } from "./helpers/emulators.js";
import { createBucket, inputOf, journalEntries, listKeys, logsOf, order, readObject, s3Connection, STREAM } from "./helpers/snapshot-s3.js";
import { tempDirectory } from "./helpers/temp-directory.js";

withFauxqs("snapshot store in S3", (context) => {
  test("syncs in fresh pods publish the backfill, then exactly the added, changed and removed rows", async () => {
    const connection = await s3Connection(context.emulator);
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
    const keys = await listKeys(context.emulator.endpoint, connection.bucket, connection.prefix);
    assert.equal(keys.filter((key) => key.includes("/snapshots/")).length, 1, `one committed version is kept: ${keys.join(", ")}`);
    assert.ok(!keys.includes(`${connection.prefix}lock.json`), "the lock is released");
    const manifest = JSON.parse(await readObject(context.emulator.endpoint, connection.bucket, `${connection.prefix}manifest.json`)) as {
      object: string;
    };
    assert.ok(keys.includes(manifest.object), "the manifest names the stored version");
  });

  test("a completed sync with the S3 store leaves nothing in TMPDIR", async () => {
    const connection = await s3Connection(context.emulator);
    const tmp = tempDirectory("tmpdir");
    const completed = await connection.run(inputOf([order(1, "new")]), { env: { TMPDIR: tmp } });
    assert.equal(completed.code, 0, completed.stdout + completed.stderr);
    assert.deepEqual(readdirSync(tmp), [], "left by a completed sync");
  });

  test("a commit covers the journal chunks whose every row has an outcome, and the journals read at start", async () => {
    const bucket = await createBucket(context.emulator.endpoint);
    const config = emulatorConfig(context.emulator);
    const s3 = createAwsClients(config).s3({ bucket, endpoint: context.emulator.endpoint, force_path_style: true });
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
      assert.deepEqual(await journalEntries(readJournal(s3, location, config, remaining[0]!)), [entry(3)]);
      assert.deepEqual(journal.covered(), [], "removed journals are forgotten; the last chunk's row has no outcome");
    } finally {
      s3.destroy();
    }
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
