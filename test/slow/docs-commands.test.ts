// Every shell command in the README and docs/ runs as written (against fauxqs where it talks to SQS), or is
// listed below with the reason it cannot run here. A command added to the docs fails this test until it runs
// or is listed.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { validateConfig } from "../../src/config/load.js";
import { loadCatalog } from "../../src/protocol/catalog.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { testSettings } from "../helpers/config.js";
import { type DocCommand, docCommands } from "../helpers/doc-commands.js";
import { type Emulator, startFauxqs } from "../helpers/emulators.js";
import { putObject, rejectedRow, resultsFile, resultsKey } from "../helpers/results.js";
import { createBucket, testS3Client } from "../helpers/s3.js";

const run = promisify(execFile);

/** Commands this test does not run, each with why and what covers it instead. */
const NOT_RUN: { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^npm ci\b/,
    reason: "reinstalls the checkout's node_modules; .ci/run runs npm ci on a clean checkout, and the demo and the build run below",
  },
  { pattern: /^npm test$/, reason: "the test suite itself, which .ci/run runs" },
  { pattern: /^npm run (typecheck|lint)$/, reason: ".ci/run runs it" },
  { pattern: /^npm run format$/, reason: "rewrites the checkout's files" },
  {
    pattern: /^npm run bench\b/,
    reason: "the benchmark runs for minutes and needs a quiet machine; it is run on its own, not in the test suite",
  },
  {
    pattern: /^npm run test:docker$|(^|\| )docker /,
    reason: "needs Docker and the image: scripts/docker-test.sh (npm run test:docker) builds it and runs it as these commands do",
  },
  { pattern: /^kind load /, reason: "needs a kind cluster (Airbyte's abctl)" },
  {
    pattern: /^aws sns /,
    reason: "needs the AWS CLI and an AWS account; alerts through SNS are tested against fauxqs (sns-alerts.test.ts)",
  },
];

const notRunReason = (command: DocCommand): string | undefined => NOT_RUN.find(({ pattern }) => pattern.test(command.text))?.reason;

/** Commands that write the files the others read run first, as a reader would have them in place. */
const writesFiles = (command: DocCommand): boolean => /^(cat > |mkdir )/.test(command.text);

const commands = docCommands();
const ordered = [...commands.filter(writesFiles), ...commands.filter((command) => !writesFiles(command))];

describe("the shell commands of the docs", () => {
  let sqs: Emulator;
  /** Where the commands run: the docs' files, config.json for fauxqs, and dist/ linked from the checkout. */
  const sandbox = mkdtempSync(join(tmpdir(), "docs-commands-"));

  before(async () => {
    sqs = await startFauxqs();
    await sqs.createQueue("orders");
    symlinkSync(join(REPO_ROOT, "dist"), join(sandbox, "dist"));
    writeFileSync(join(sandbox, "config.json"), JSON.stringify(testSettings({ endpoint: sqs.endpoint })));
  });
  after(async () => {
    await sqs.stop();
  });

  test("every command not run here matches an entry of NOT_RUN that some command still needs", () => {
    for (const { pattern } of NOT_RUN)
      assert.ok(
        commands.some((command) => pattern.test(command.text)),
        `${pattern} matches no command`,
      );
  });

  for (const command of ordered) {
    const reason = notRunReason(command);
    test(`${command.file}: ${command.text.split("\n")[0]}`, reason === undefined ? {} : { skip: reason }, async () => {
      const check = CHECKS.find((candidate) => candidate.pattern.test(command.text));
      await check?.before?.(sandbox);
      const text = check?.rewrite?.(command.text, sandbox) ?? command.text;
      const cwd = /^npm /.test(text) ? REPO_ROOT : sandbox;
      const { stdout } = await run("bash", ["-euo", "pipefail", "-c", text], { cwd, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
      check?.after?.(stdout, sandbox);
    });
  }
});

interface CommandCheck {
  pattern: RegExp;
  /** Prepares what the command acts on. */
  before?(sandbox: string): Promise<void> | void;
  /** The command as run here, where it must act on the sandbox instead of a system path. */
  rewrite?(text: string, sandbox: string): string;
  /** Asserts that the command did what the docs say. */
  after?(stdout: string, sandbox: string): void;
}

const SNAPSHOT_FILES = ["snapshot-0123456789abcdef.sqlite", "snapshot-0123456789abcdef.sqlite-wal"];

/** What each command run here must have done, beyond exiting 0. */
const CHECKS: CommandCheck[] = [
  { pattern: /^node dist\/main\.js spec$/, after: (stdout) => assert.match(stdout, /"type":"SPEC"/) },
  { pattern: /^node dist\/main\.js check /, after: (stdout) => assert.match(stdout, /"status":"SUCCEEDED"/) },
  { pattern: /^node dist\/main\.js write /, after: (stdout) => assert.match(stdout, /"type":"STATE"/) },
  {
    pattern: /^node dist\/main\.js preview .*--send 1\b/,
    after: (stdout) => assert.match(stdout, /Sent 1 row: 1 stored as sent, 0 not\./),
  },
  { pattern: /^node dist\/main\.js preview /, after: (stdout) => assert.match(stdout, /would be sent/) },
  {
    pattern: /^cat > secrets\/config\.json /,
    after: (_, sandbox) =>
      void validateConfig(JSON.parse(readFileSync(join(sandbox, "secrets/config.json"), "utf8")), "secrets/config.json"),
  },
  { pattern: /^cat > secrets\/catalog\.json /, after: (_, sandbox) => void loadCatalog(join(sandbox, "secrets/catalog.json")) },
  { pattern: /^cat > catalog\.json /, after: (_, sandbox) => void loadCatalog(join(sandbox, "catalog.json")) },
  {
    pattern: /^rm -f \/local\/destination-sqs\/snapshot-/,
    before(sandbox) {
      const directory = join(sandbox, "local/destination-sqs");
      mkdirSync(directory, { recursive: true });
      for (const name of [...SNAPSHOT_FILES, "other-connection.txt"]) writeFileSync(join(directory, name), "");
    },
    rewrite: (text, sandbox) => text.replaceAll("/local/", `${sandbox}/local/`),
    after(_, sandbox) {
      assert.deepEqual(readdirSync(join(sandbox, "local/destination-sqs")), ["other-connection.txt"]);
    },
  },
  { pattern: /^npm run demo$/, after: (stdout) => assert.match(stdout, /STATE/) },
  {
    pattern: /^node dist\/main\.js redrive /,
    before: putRejectedOrder,
    rewrite: (text) => text.replace("--config config.json", "--config redrive-config.json"),
    after: (stdout) =>
      assert.match(stdout, /Redrive of sync \\"1234\\": 1 rejected row in 1 results file; 1 (would be )?sent, 0 still rejected/),
  },
];

/**
 * For the redrive commands: redrive-config.json, config.json with object_storage_config in the
 * emulator's S3, and one results file of sync 1234 holding a rejected row of the README's "orders".
 */
async function putRejectedOrder(sandbox: string): Promise<void> {
  const settings = JSON.parse(readFileSync(join(sandbox, "config.json"), "utf8")) as { endpoint: string };
  const bucket = "sync-results";
  const storage = { storage_type: "S3", s3_bucket_name: bucket, s3_bucket_region: "us-east-1", bucket_path: "syncs/" };
  const config = { ...settings, object_storage_config: { ...storage, s3_endpoint: settings.endpoint, force_path_style: true } };
  writeFileSync(join(sandbox, "redrive-config.json"), JSON.stringify(config));
  const s3 = testS3Client(settings.endpoint);
  await createBucket(s3, bucket).catch(() => undefined);
  const row = rejectedRow({ id: 7, total: 12.5 }, { sync_id: "1234", stream: "orders" });
  await putObject(s3, bucket, resultsKey("syncs/", "orders", 0, { syncId: "1234" }), resultsFile([row]));
}

test("the commands' checks all match a command of the docs", () => {
  for (const { pattern } of CHECKS)
    assert.ok(
      commands.some((command) => pattern.test(command.text)),
      `${pattern} matches no command`,
    );
  assert.ok(existsSync(join(REPO_ROOT, "dist", "main.js")), "run npm run build first");
});
