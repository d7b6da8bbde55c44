import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseArgs, UsageError } from "../src/cli-args.js";
import { type CliResult, REPO_ROOT, runCli } from "./helpers/cli.js";
import { protocolValidator } from "./helpers/protocol-schema.js";

/** One run of `spec`, shared by the tests that read its output. */
let specRun: Promise<CliResult> | undefined;
function runSpec(): Promise<CliResult> {
  specRun ??= runCli(["spec"]);
  return specRun;
}

test("spec prints one SPEC message carrying spec.json, sync modes and a documentation URL", async () => {
  const result = await runSpec();
  assert.equal(result.code, 0);
  assert.equal(result.messages.length, 1);
  const [message] = result.messages;
  assert.equal(message?.type, "SPEC");
  const spec = (message as { spec: Record<string, unknown> }).spec;
  assert.deepEqual(spec.connectionSpecification, JSON.parse(readFileSync(join(REPO_ROOT, "spec.json"), "utf8")));
  // A queue can only be appended to: Airbyte's own queue destinations declare the same.
  assert.deepEqual(spec.supported_destination_sync_modes, ["append"]);
  const { homepage } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { homepage: string };
  assert.equal(spec.documentationUrl, homepage, "the documentation, not a registry page");
  assert.doesNotMatch(homepage, /npmjs/);
});

test("spec output conforms to the Airbyte protocol schema", async () => {
  const validate = protocolValidator();
  const result = await runSpec();
  for (const message of result.messages) assert.ok(validate(message), JSON.stringify(validate.errors));
});

const USAGE_ERRORS = [
  [[], /No command given/],
  [["publish"], /Unknown command "publish"/],
  [["check"], /needs --config/],
  [["write", "--config", "c.json"], /needs --catalog/],
  [["write", "--config"], /--config needs a file path/],
  [["spec", "--verbose"], /Unknown option "--verbose"/],
] as const;

for (const [args, pattern] of USAGE_ERRORS) {
  test(`usage error for "${args.join(" ")}": a sentence saying what is wrong`, () => {
    assert.throws(
      () => parseArgs([...args]),
      (error: unknown) => error instanceof UsageError && pattern.test(error.message),
    );
  });
}

test("a usage error prints its sentence and the usage on stderr, exits 2 and prints nothing on stdout", async () => {
  const result = await runCli(["publish"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /Unknown command "publish"/);
  assert.match(result.stderr, /Usage: destination-sqs/);
});

test("--help prints the usage and exits 0", async () => {
  const result = await runCli(["--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /write --config CONFIG --catalog CATALOG/);
});

test("a config file that does not exist makes check FAILED with the path, exit 0", async () => {
  const result = await runCli(["check", "--config", "/nonexistent/config.json"]);
  assert.equal(result.code, 0);
  assert.equal(result.messages.length, 1);
  const status = (result.messages[0] as { connectionStatus: { status: string; message: string } }).connectionStatus;
  assert.equal(status.status, "FAILED");
  assert.match(status.message, /\/nonexistent\/config\.json/);
});
