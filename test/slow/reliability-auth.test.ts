// Credentials that fail while sending (bad keys, a role that cannot be assumed) end the write as a
// config_error the user can act on, not as a retry loop or a system_error.
import assert from "node:assert/strict";
import { test } from "node:test";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { emulatorConfigFile, uniqueQueueName, withMoto } from "../helpers/emulators.js";
import { accessKeyCredentials } from "../helpers/iam.js";

const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
const input = [recordLine("orders", { id: 1 }), recordLine("orders", { id: 2 }), stateLine({ after: "two" })].join("\n") + "\n";

withMoto("auth errors while sending during write", (context) => {
  let queueUrl = "";
  let roleArn = "";
  let sender = { arn: "", accessKeyId: "", secretAccessKey: "" };

  test("setup: a queue, a user allowed to send, a role it may assume only with another external id; auth enforced", async () => {
    const { emulator } = context;
    queueUrl = await emulator.createQueue(uniqueQueueName("auth"));
    sender = await emulator.createUser("sender", ["sqs:*"]);
    roleArn = await emulator.createRole("sender-role", ["sqs:*"], { userArn: sender.arn, externalId: "expected-id" });
    await emulator.enforceAuth();
  });

  async function write(settings: Record<string, unknown>) {
    const config = emulatorConfigFile(context.emulator.endpoint, {
      // The queue's URL, so the first AWS call of the sync is SendMessageBatch itself.
      queue: { source: "static", value: queueUrl },
      retry_max_seconds: 5,
      ...settings,
    });
    return runCli(["write", "--config", config, "--catalog", catalog], { stdin: input });
  }

  test("a wrong secret access key", async () => {
    const result = await write({
      credentials: accessKeyCredentials({ ...sender, secretAccessKey: "wrong-secret-value" }),
    });
    assert.equal(result.code, 1, result.stdout);
    const error = errorTraceOf(result.messages);
    assert.equal(error?.failure_type, "config_error", JSON.stringify(error));
    assert.match(error?.message ?? "", /secret access key|credentials/i);
    assert.deepEqual(statesOf(result.messages), []);
  });

  test("an access key id AWS does not know", async () => {
    const result = await write({
      credentials: { auth_type: "access_key", access_key_id: "AKIAUNKNOWNUNKNOWN12", secret_access_key: "whatever-secret" },
    });
    assert.equal(result.code, 1, result.stdout);
    const error = errorTraceOf(result.messages);
    assert.equal(error?.failure_type, "config_error", JSON.stringify(error));
    assert.deepEqual(statesOf(result.messages), []);
  });

  test("a role the credentials may not assume (AssumeRoleError while sending)", async () => {
    const result = await write({
      credentials: accessKeyCredentials(sender),
      role_arn: roleArn,
      external_id: "wrong-id",
    });
    assert.equal(result.code, 1, result.stdout);
    const error = errorTraceOf(result.messages);
    assert.equal(error?.failure_type, "config_error", JSON.stringify(error));
    assert.match(error?.message ?? "", /role_arn could not be assumed/);
    assert.match(error?.message ?? "", /external_id/);
    assert.deepEqual(statesOf(result.messages), []);
  });
});
