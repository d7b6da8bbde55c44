// The redrive command through the built CLI: a sync's rejected rows, read back from results files in
// the bucket, go through the current configuration, and exactly those now composed reach the queue.
// The other redrive scenarios are in test/slow/redrive-cli.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgs, UsageError } from "../src/cli-args.js";
import { recordedChangeDetector } from "../src/changes/recorded.js";
import { validateConfig } from "../src/config/load.js";
import { catalogOf } from "./helpers/airbyte.js";
import { describeRun } from "./helpers/compose-e2e.js";
import { testSettings } from "./helpers/config.js";
import { forEachEmulator } from "./helpers/emulators.js";
import { readFileSync } from "node:fs";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { BUCKET_PATH, bodies, logsOf, peopleResults, redrive, setUp } from "./helpers/redrive.js";
import { downloadObjects, queryResults } from "./helpers/sync-results.js";
import { recordLine } from "./helpers/airbyte.js";

forEachEmulator("redrive", (context) => {
  test("after a template fix, exactly the rows whose latest result is a rejection are sent, as their recorded change; a row still rejected says why", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    await peopleResults(emulator, setup);
    const result = await redrive(setup);
    assert.equal(result.code, 1, describeRun(result));
    assert.deepEqual(bodies(await emulator.receiveAll(setup.queueUrl)), [
      { id: 1, name: "Ada", change: "added" },
      { id: 3, name: "Grace", change: "changed" },
    ]);
    assert.equal(result.messages.filter((message) => message.type === "STATE").length, 0);
    const warnings = logsOf(result.messages, "WARN");
    assert.ok(
      warnings.some((line) =>
        /^Rejected row 5 of stream "people": Row with message id "5" was rejected: delay_seconds \(column "delay"\) is "soon"/.test(line),
      ),
      warnings.join("\n"),
    );
    assert.match(warnings.at(-1) ?? "", /^Redrive of sync "42": 3 rejected rows in 2 results files; 2 sent, 1 still rejected\./);
  });

  test("what write records, redrive reads: it sends the rejected rows, records their new outcomes under its own run id in the same sync, and a second redrive finds nothing left", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    const fixed = JSON.parse(readFileSync(setup.config, "utf8")) as Record<string, unknown>;
    // The name printed unquoted: a row whose name is a string does not render JSON.
    const broken = writeTempJson({
      ...fixed,
      message_body: { format: "template", template: '{"id": {{ row.id }}, "name": {{ row.name }}, "change": "{{ change }}"}' },
      rejected_rows: { policy: "skip" },
    });
    const catalog = catalogOf([{ name: "people", primaryKey: [["id"]] }]);
    const catalogOfJob = (syncId: number) => writeTempJson({ streams: catalog.streams.map((stream) => ({ ...stream, sync_id: syncId })) });
    const catalogFile = catalogOfJob(77);
    const input = [recordLine("people", { id: 1, name: "Ada", delay: 0 }), recordLine("people", { id: 2, name: 2, delay: 0 })];
    const written = await runCli(["write", "--config", broken, "--catalog", catalogFile], { stdin: `${input.join("\n")}\n` });
    assert.equal(written.code, 0, describeRun(written));
    assert.deepEqual(bodies(await emulator.receiveAll(setup.queueUrl)), [{ id: 2, name: 2, change: "added" }]);

    // Redrive runs later, under a catalog of its own job.
    const redriveCatalog = catalogOfJob(78);
    const redriveSync = () => runCli(["redrive", "--config", setup.config, "--catalog", redriveCatalog, "--sync", "77"]);
    const first = await redriveSync();
    assert.equal(first.code, 0, describeRun(first));
    assert.deepEqual(bodies(await emulator.receiveAll(setup.queueUrl)), [{ id: 1, name: "Ada", change: "added" }]);
    const second = await redriveSync();
    assert.equal(second.code, 0, describeRun(second));
    assert.deepEqual(await emulator.receiveAll(setup.queueUrl), []);

    const directory = await downloadObjects(emulator.endpoint, setup.bucket, `${BUCKET_PATH}77/`);
    const results = await queryResults(directory, "SELECT run_id, outcome, message_id, sync_id FROM results ORDER BY recorded_at");
    assert.deepEqual(
      results.map(({ outcome, message_id, sync_id }) => [outcome, message_id, sync_id]),
      [
        ["rejected", "1", "77"],
        ["published", "1", "77"],
      ],
    );
    assert.notEqual(results[0]!.run_id, results[1]!.run_id);
  });
});

test("redrive's arguments: --sync is required, --stream and --dry-run are optional and belong to redrive alone", () => {
  assert.deepEqual(parseArgs(["redrive", "--config", "c.json", "--catalog=k.json", "--sync=42", "--stream", "shop.orders", "--dry-run"]), {
    name: "redrive",
    config: "c.json",
    catalog: "k.json",
    syncId: "42",
    stream: "shop.orders",
    dryRun: true,
  });
  assert.deepEqual(parseArgs(["redrive", "--config", "c.json", "--catalog", "k.json", "--sync", "42"]), {
    name: "redrive",
    config: "c.json",
    catalog: "k.json",
    syncId: "42",
    dryRun: false,
  });
  const refusals: [string[], RegExp][] = [
    [["redrive", "--config", "c", "--catalog", "k"], /The redrive command needs --sync SYNC_ID\./],
    [["redrive", "--config", "c", "--catalog", "k", "--sync"], /Option --sync needs a sync id/],
    [["redrive", "--config", "c", "--catalog", "k", "--sync", "1", "--dry-run=no"], /Option --dry-run takes no value\./],
    [["preview", "--config", "c", "--catalog", "k", "--dry-run"], /Option --dry-run only applies to the redrive command\./],
    [["write", "--config", "c", "--catalog", "k", "--stream", "s"], /Option --stream only applies to the redrive command\./],
    [["redrive", "--toString", "x"], /Unknown option "--toString"/],
  ];
  for (const [args, message] of refusals)
    assert.throws(
      () => parseArgs(args),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      args.join(" "),
    );
});

test("redrive sends each row as the change it was recorded with; a row recorded without one is classified as the configuration classifies it now", () => {
  const stream = catalogOf([{ name: "people" }]).streams[0]!;
  const record = (data: Record<string, unknown>) => ({ stream: "people", data, emitted_at: 1 });
  const field = validateConfig(testSettings({ change_detection: { mode: "field", field: "op" } }), "the test config");
  const detector = recordedChangeDetector(["removed", null, null], field);
  assert.deepEqual(detector.detect(record({ op: "insert" }), stream, 1), { kind: "change", change: "removed" });
  assert.deepEqual(detector.detect(record({ op: "update" }), stream, 2), { kind: "change", change: "changed" });
  assert.equal(detector.detect(record({ op: "explode" }), stream, 3).kind, "reject");
  const snapshot = validateConfig(
    testSettings({ change_detection: { mode: "snapshot", store: { type: "local", directory: "/nonexistent" } } }),
    "the test config",
  );
  const undecided = recordedChangeDetector([null], snapshot).detect(record({ id: 1 }), stream, 1);
  assert.equal(undecided.kind, "reject");
  assert.match(undecided.kind === "reject" ? undecided.reason : "", /redrive does not read the snapshot store/);
});
