// No secret ever leaves the connector: representative commands, succeeding and failing, run with
// distinctive secret values, and all they print (stdout, stderr, alert bodies) is searched for them.
// More runs (rejected rows, unreachable endpoints, a missing queue in check, an invalid setting, and
// shorter secrets) are in test/slow/secrets-failures.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { recordLine } from "./helpers/airbyte.js";
import { runCli } from "./helpers/cli.js";
import { emulatorConfigFile, uniqueQueueName, withMoto } from "./helpers/emulators.js";
import { accessKeyCredentials } from "./helpers/iam.js";
import {
  assertNoSecrets,
  catalog,
  input,
  outputsOf,
  redactionWriter,
  SECRET_ACCESS_KEY,
  secretsSuite,
  testPayloadsUnchanged,
} from "./helpers/secrets.js";

secretsSuite("secrets never appear in output (fauxqs)", "check, write and a failed write", (queueName, config) => [
  ["check", ["check", "--config", config({ queue: { source: "static", value: queueName } })]],
  ["write", ["write", "--config", config({ queue: { source: "static", value: queueName } }), "--catalog", catalog], input],
  [
    "write to a missing queue",
    ["write", "--config", config({ queue: { source: "static", value: "no-such-queue" } }), "--catalog", catalog],
    input,
  ],
]);

withMoto("secrets never appear in output, assumed roles included", (context) => {
  test("a write through an assumed role, and one whose secret is wrong", async () => {
    const { emulator } = context;
    const queueUrl = await emulator.createQueue(uniqueQueueName("secrets-role"));
    const user = await emulator.createUser("secrets-user", ["sts:AssumeRole"]);
    const roleArn = await emulator.createRole("secrets-role", ["sqs:*"], { userArn: user.arn });
    await emulator.enforceAuth();
    const configFor = (secretAccessKey: string) =>
      emulatorConfigFile(emulator.endpoint, {
        credentials: accessKeyCredentials({ accessKeyId: user.accessKeyId, secretAccessKey }),
        role_arn: roleArn,
        queue: { source: "static", value: queueUrl },
        log_api_calls: true,
        retry_max_seconds: 2,
      });

    const assumed = await runCli(["write", "--config", configFor(user.secretAccessKey), "--catalog", catalog], { stdin: input });
    assert.equal(assumed.code, 0, assumed.stdout);
    const issued = await assumedRoleSecrets(emulator.endpoint);
    assert.ok(issued.length > 0, "moto issued the role's credentials");
    assertNoSecrets("write through an assumed role", outputsOf(assumed), [user.secretAccessKey, ...issued]);

    const wrong = await runCli(["write", "--config", configFor(SECRET_ACCESS_KEY), "--catalog", catalog], { stdin: input });
    assert.equal(wrong.code, 1);
    assertNoSecrets("write with a wrong secret", outputsOf(wrong), [SECRET_ACCESS_KEY, user.secretAccessKey, ...issued]);
  });
});

/** The secret keys and session tokens moto handed out for assumed roles. */
async function assumedRoleSecrets(endpoint: string): Promise<string[]> {
  const response = await fetch(`${endpoint}/moto-api/data.json`);
  const data = (await response.json()) as { sts?: { AssumedRole?: Record<string, unknown>[] } };
  return (data.sts?.AssumedRole ?? []).flatMap((role) =>
    [role.secret_access_key, role.session_token].filter((value): value is string => typeof value === "string" && value !== ""),
  );
}

describe("redaction never alters protocol payloads (fauxqs)", () => {
  const writeWith = redactionWriter();

  const cursorState = JSON.stringify({
    type: "STATE",
    state: { type: "STREAM", stream: { stream_descriptor: { name: "test_stream" }, stream_state: { cursor: "latest" } }, id: 1 },
  });

  test('a short secret ("test") leaves STATEs and logs as they are: a secret that short is not searched for in text', async () => {
    const result = await writeWith(
      { secret_access_key: "test" },
      [recordLine("test_stream", { id: 1, delay: "0" }), recordLine("test_stream", { id: 2, delay: "latest test value" }), cursorState],
      { delay_seconds: { source: "column", column: "delay" } },
    );
    assert.equal(result.code, 0, result.stdout);
    const echoed = result.stdout.split("\n").filter((line) => line.includes('"STATE"'));
    assert.deepEqual(echoed, [`${cursorState.slice(0, -2)},"destinationStats":{"recordCount":1,"rejectedRecordCount":1}}}`]);
    const warning = result.messages.find((message) => message.type === "LOG" && message.log.message.startsWith("Rejected row"));
    assert.ok(warning?.type === "LOG");
    assert.match(warning.log.message, /stream "test_stream"/);
    assert.match(warning.log.message, /"latest test value"/);
    assert.ok(!result.stdout.includes("**********"), "nothing was masked");
  });

  // Long enough to be searched, and each the name of a key the connector prints (shorter secrets are in
  // test/slow/secrets-failures.test.ts).
  testPayloadsUnchanged(writeWith, { secret_access_key: "destinationStats", session_token: "failure_type" });

  test("a long secret is masked in the text the connector writes (a rejection quoting it), but not in the echoed STATE", async () => {
    const secret = "sEcReT-value-0123456789";
    const state = JSON.stringify({ type: "STATE", state: { type: "LEGACY", data: { cursor: secret } } });
    const result = await writeWith({ secret_access_key: secret }, [recordLine("test_stream", { id: 1, delay: secret }), state], {
      delay_seconds: { source: "column", column: "delay" },
    });
    assert.equal(result.code, 0, result.stdout);
    const warning = result.messages.find((message) => message.type === "LOG" && message.log.message.startsWith("Rejected row"));
    assert.ok(warning?.type === "LOG");
    assert.ok(!warning.log.message.includes(secret));
    assert.match(warning.log.message, /\*{10}/);
    assert.deepEqual(
      result.stdout.split("\n").filter((line) => line.includes('"STATE"')),
      [`${state.slice(0, -2)},"destinationStats":{"recordCount":0,"rejectedRecordCount":1}}}`],
    );
  });
});
