// The cases of acceptance-test-config.yml (Airbyte's connector acceptance tests: spec and
// connection), run the way those tests run them: the built connector's `spec`, and `check` with
// each config of integration_tests/ against an emulator (fauxqs here, on its own port).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { metadata, readYaml } from "./helpers/airbyte-metadata.js";
import { type CliResult, REPO_ROOT, runCli, writeTempJson } from "./helpers/cli.js";
import { type Emulator, startFauxqs } from "./helpers/emulators.js";

interface AcceptanceTestConfig {
  connector_image: string;
  acceptance_tests: {
    spec: { tests: { spec_path: string }[] };
    connection: { tests: { config_path: string; status: "succeed" | "failed" | "exception" }[] };
  };
}

const acceptance = readYaml<AcceptanceTestConfig>(join(REPO_ROOT, "acceptance-test-config.yml"));
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(join(REPO_ROOT, path), "utf8"));

/** The endpoint the configs name: an emulator with its default port. */
const CONFIGURED_ENDPOINT = "http://localhost:4566";

test("the acceptance tests run this connector's image and only the suites a destination has", () => {
  assert.equal(acceptance.connector_image, `${metadata.data.dockerRepository}:dev`);
  assert.deepEqual(Object.keys(acceptance.acceptance_tests).sort(), ["connection", "spec"]);
});

test("each spec_path holds exactly what `spec` answers (npm run generate writes it)", async () => {
  const result = await runCli(["spec"]);
  assert.equal(result.code, 0, result.stderr);
  const spec = result.messages.find((message) => message.type === "SPEC")?.spec;
  for (const { spec_path } of acceptance.acceptance_tests.spec.tests) {
    assert.deepEqual(spec, readJson(spec_path), `${spec_path} is older than spec.json: run npm run generate and commit it`);
  }
});

describe("each connection test's config, checked against fauxqs, ends as the acceptance test expects", () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startFauxqs();
    await emulator.createQueue("destination-sqs-acceptance");
    await emulator.createQueue("destination-sqs-acceptance.fifo");
  });
  after(() => emulator.stop());

  /** The `check` of each config, run once: a test of its status and one of its reason read the same run. */
  const checks = new Map<string, Promise<CliResult>>();
  const check = (path: string): Promise<CliResult> => {
    let run = checks.get(path);
    if (run === undefined) {
      run = runCli(["check", "--config", writeTempJson({ ...readJson(path), endpoint: emulator.endpoint })]);
      checks.set(path, run);
    }
    return run;
  };
  const connectionStatusOf = (result: CliResult) =>
    result.messages.find((message) => message.type === "CONNECTION_STATUS")?.connectionStatus;

  for (const { config_path, status } of acceptance.acceptance_tests.connection.tests) {
    test(`${config_path}: ${status}`, async () => {
      assert.equal(readJson(config_path).endpoint, CONFIGURED_ENDPOINT);
      const result = await check(config_path);
      assert.equal(result.code, 0, result.stderr);
      const connection = connectionStatusOf(result);
      assert.equal(connection?.status, status === "succeed" ? "SUCCEEDED" : "FAILED", connection?.message);
    });
  }

  test("the failing configs fail for the reason they stand for", async () => {
    const reason = async (path: string): Promise<string> => String(connectionStatusOf(await check(path))?.message);
    assert.match(
      await reason("integration_tests/invalid_config.json"),
      /Queue "destination-sqs-acceptance-missing" \(queue\) was not found/,
    );
    const settings = await reason("integration_tests/invalid_settings_config.json");
    assert.match(settings, /region must be an AWS region code/);
    assert.match(settings, /queue\.value must be a queue name/);
  });
});
