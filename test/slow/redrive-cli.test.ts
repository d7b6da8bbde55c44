// The redrive command's other scenarios through the built CLI: --dry-run, --stream, a sync without
// results, malformed results files, a configuration without object_storage_config, usage errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PREVIEW_PREFIX, type PreviewEntry } from "../../src/commands/preview.js";
import { errorTraceOf } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { describeRun } from "../helpers/compose-e2e.js";
import { forEachEmulator } from "../helpers/emulators.js";
import { BUCKET_PATH, CATALOG, bodies, logsOf, peopleResults, put, redrive, setUp } from "../helpers/redrive.js";
import { rejectedRow, resultsFile, resultsKey } from "../helpers/results.js";

forEachEmulator("redrive scenarios", (context) => {
  test("--dry-run shows each message as preview does and sends nothing", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    await peopleResults(emulator, setup);
    const result = await redrive(setup, "--dry-run");
    assert.equal(result.code, 1, describeRun(result));
    const entries = logsOf(result.messages)
      .filter((line) => line.startsWith(PREVIEW_PREFIX))
      .map((line) => JSON.parse(line.slice(PREVIEW_PREFIX.length)) as PreviewEntry);
    assert.deepEqual(
      entries.map((entry) => [
        entry.outcome,
        entry.outcome === "message" ? entry.body : entry.outcome === "rejected" ? entry.message_id : "",
      ]),
      [
        ["message", '{"id":1,"name":"Ada","change":"added"}'],
        ["message", '{"id":3,"name":"Grace","change":"changed"}'],
        ["rejected", "5"],
      ],
    );
    assert.match(logsOf(result.messages).at(-1) ?? "", /2 would be sent, 1 still rejected\. Nothing was sent \(--dry-run\)\./);
    assert.deepEqual(await emulator.receiveAll(setup.queueUrl, { maxPolls: 2 }), []);
  });

  test("--stream redrives one stream (by name, or namespace.name); with every row sent the exit status is 0", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    await peopleResults(emulator, setup);
    const order = rejectedRow({ id: 7, name: "order", delay: 0 }, { stream: "orders", namespace: "shop", meta: '{"changes":[]}' });
    await put(emulator, setup, resultsKey(BUCKET_PATH, "orders", 0, { namespace: "shop" }), resultsFile([order]));
    const byName = await redrive(setup, "--stream", "orders", "--dry-run");
    assert.equal(byName.code, 0, describeRun(byName));
    assert.match(logsOf(byName.messages).at(-1) ?? "", /1 rejected row in 1 results file; 1 would be sent/);
    const result = await redrive(setup, "--stream", "shop.orders");
    assert.equal(result.code, 0, describeRun(result));
    assert.deepEqual(bodies(await emulator.receiveAll(setup.queueUrl)), [{ id: 7, name: "order", change: "added" }]);
    assert.match(
      logsOf(result.messages).at(-1) ?? "",
      /^Redrive of sync "42", stream "shop.orders": 1 rejected row in 1 results file; 1 sent, 0 still rejected\.$/,
    );
    // The redrive recorded the row as published: nothing is left to redrive.
    const again = await redrive(setup, "--stream", "orders", "--dry-run");
    assert.match(logsOf(again.messages).at(-1) ?? "", /0 rejected rows in 2 results files; 0 would be sent/);
  });

  test("a sync with no results files has nothing to redrive, and says where it looked", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    await peopleResults(emulator, setup);
    const result = await runCli(["redrive", "--config", setup.config, "--catalog", CATALOG, "--sync", "4"]);
    assert.equal(result.code, 0, describeRun(result));
    assert.deepEqual(logsOf(result.messages, "WARN"), [
      `No results files were found under s3://${setup.bucket}/${BUCKET_PATH}4/: nothing to redrive. --sync names the sync's folder under object_storage_config.bucket_path.`,
    ]);
  });

  test("a malformed results file is refused with its key and line, before anything is sent", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    const good = resultsKey(BUCKET_PATH, "people", 0);
    await put(emulator, setup, good, resultsFile([rejectedRow({ id: 1, name: "Ada", delay: 0 })]));
    const { outcome: _dropped, ...withoutOutcome } = rejectedRow({ id: 2, name: "Bob", delay: 0 });
    const bad = resultsKey(BUCKET_PATH, "people", 1);
    await put(emulator, setup, bad, resultsFile([rejectedRow({ id: 3, name: "Cy", delay: 0 }), JSON.stringify(withoutOutcome)]));
    const result = await redrive(setup);
    assert.equal(result.code, 1, describeRun(result));
    assert.equal(
      errorTraceOf(result.messages)?.message,
      `The results file s3://${setup.bucket}/${bad} cannot be read: line 2 has no "outcome" field. Redrive reads only the files destination-sqs writes: restore or remove this object, or pass --stream to redrive the other streams.`,
    );
    await put(emulator, setup, bad, "not gzip");
    const notGzip = await redrive(setup);
    assert.match(
      errorTraceOf(notGzip.messages)?.message ?? "",
      new RegExp(`s3://${setup.bucket}/${bad} cannot be read: it is not gzip data`),
    );
    assert.deepEqual(await emulator.receiveAll(setup.queueUrl, { maxPolls: 2 }), []);
  });
});

test("redrive without object_storage_config in S3 is a config error saying what to set", async () => {
  const config = writeTempJson({
    region: "us-east-1",
    credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "test" },
    queue: { source: "static", value: "orders" },
  });
  const result = await runCli(["redrive", "--config", config, "--catalog", CATALOG, "--sync", "42"]);
  assert.equal(result.code, 1);
  assert.equal(errorTraceOf(result.messages)?.failure_type, "config_error");
  assert.match(errorTraceOf(result.messages)?.message ?? "", /object_storage_config/);
});

test("usage errors exit 2 with the usage text", async () => {
  for (const args of [
    ["redrive", "--config", "c.json", "--catalog", "k.json"],
    ["redrive", "--config", "c.json", "--catalog", "k.json", "--sync", "42", "--dry-run=yes"],
    ["write", "--config", "c.json", "--catalog", "k.json", "--sync", "42"],
  ]) {
    const result = await runCli(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, /redrive --config CONFIG --catalog CATALOG --sync SYNC_ID/);
  }
});
