import assert from "node:assert/strict";
import { before, test } from "node:test";
import { runCheck } from "../src/commands/check.js";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { emulatorConfig, forEachEmulator, freePort, uniqueQueueName, withMoto } from "./helpers/emulators.js";
import { TEST_REGION, testConfig, testSettings } from "./helpers/config.js";
import { accessKeyCredentials, type IamUser } from "./helpers/iam.js";

forEachEmulator("check", (context) => {
  test("succeeds when the queue named in the config exists", async () => {
    const name = uniqueQueueName("orders");
    await context.emulator.createQueue(name);
    const result = await runCheck(emulatorConfig(context.emulator, { queue: { source: "static", value: name } }));
    assert.equal(result.status, "SUCCEEDED", result.message);
    assert.match(result.message, new RegExp(`found queue "${name}"`));
  });

  test("finds a queue given by URL at that URL, as a sync sends to it", async () => {
    const name = uniqueQueueName("orders");
    const url = await context.emulator.createQueue(name);
    const result = await runCheck(emulatorConfig(context.emulator, { queue: { source: "static", value: url } }));
    assert.equal(result.status, "SUCCEEDED", result.message);
    assert.match(result.message, new RegExp(`found queue "${name}" \\(queue\\)`));
  });

  test("with per-row queues, proves the credentials and says queues are looked up during the sync", async () => {
    const result = await runCheck(emulatorConfig(context.emulator, { queue: { source: "column", column: "queue" } }));
    assert.equal(result.status, "SUCCEEDED", result.message);
    assert.match(result.message, /chosen per row/);
  });

  test("fails naming the queue, region and endpoint when the queue does not exist", async () => {
    const name = uniqueQueueName("missing");
    const result = await runCheck(emulatorConfig(context.emulator, { queue: { source: "static", value: name } }));
    assert.equal(result.status, "FAILED");
    assert.match(result.message, new RegExp(`Queue "${name}" \\(queue\\) was not found in region ${TEST_REGION}`));
    assert.ok(result.message.includes(context.emulator.endpoint), result.message);
  });

  test("fails when a FIFO queue is configured as standard, and the reverse", async () => {
    const fifo = uniqueQueueName("orders", true);
    const standard = uniqueQueueName("orders");
    await context.emulator.createQueue(fifo);
    await context.emulator.createQueue(standard);
    // Built by hand: the config loader already refuses these, runCheck must too.
    const base = emulatorConfig(context.emulator);

    const asStandard = await runCheck(testConfig({ ...base, queue_type: "standard", queue: { source: "static", value: fifo } }));
    assert.equal(asStandard.status, "FAILED");
    assert.match(asStandard.message, /queue_type is "standard" but queue ".*\.fifo" is a FIFO queue/);

    const asFifo = await runCheck(testConfig({ ...base, queue_type: "fifo", queue: { source: "static", value: standard } }));
    assert.equal(asFifo.status, "FAILED");
    assert.match(asFifo.message, /queue_type is "fifo" but queue ".*" is a standard queue/);
  });

  test("checks the dead-letter queue for rejected rows, at its URL", async () => {
    const name = uniqueQueueName("orders");
    const deadLetter = uniqueQueueName("rejected");
    const queueUrl = await context.emulator.createQueue(name);
    const deadLetterUrl = queueUrl.replace(name, deadLetter);
    // Not validated: fauxqs's queue URLs (sqs.<region>.127.0.0.1) are not URLs to WHATWG parsing, which the loader uses.
    const config = {
      ...emulatorConfig(context.emulator, { queue: { source: "static", value: name } }),
      rejected_rows: { policy: "dead_letter", queue_url: deadLetterUrl },
    } as const;

    const missing = await runCheck(config);
    assert.equal(missing.status, "FAILED");
    assert.equal(
      missing.message,
      `Queue ${deadLetterUrl} (rejected_rows.queue_url) does not exist in region ${TEST_REGION} at endpoint ${context.emulator.endpoint}: ` +
        "create the queue, or correct the URL in rejected_rows.queue_url.",
    );

    await context.emulator.createQueue(deadLetter);
    const present = await runCheck(config);
    assert.equal(present.status, "SUCCEEDED", present.message);
    assert.match(present.message, new RegExp(`"${deadLetter}" \\(rejected_rows.queue_url\\)`));
  });
});

forEachEmulator("check command of the built CLI", (context) => {
  test("prints exactly one CONNECTION_STATUS and exits 0, whether the check succeeds or fails", async () => {
    const name = uniqueQueueName("orders");
    await context.emulator.createQueue(name);
    const config = (queue: string) => testSettings({ endpoint: context.emulator.endpoint, queue: { source: "static", value: queue } });

    const found = await runCli(["check", "--config", writeTempJson(config(name))]);
    assert.equal(found.code, 0, found.stderr);
    assert.deepEqual(found.nonJsonLines, []);
    const statuses = found.messages.filter((message) => message.type === "CONNECTION_STATUS");
    assert.equal(statuses.length, 1);
    assert.equal(statuses[0]?.type === "CONNECTION_STATUS" && statuses[0].connectionStatus.status, "SUCCEEDED");

    const missing = await runCli(["check", "--config", writeTempJson(config(`${name}-missing`))]);
    assert.equal(missing.code, 0, missing.stderr);
    const failed = missing.messages.find((message) => message.type === "CONNECTION_STATUS");
    assert.equal(failed?.type === "CONNECTION_STATUS" && failed.connectionStatus.status, "FAILED");
  });
});

test("check fails naming the endpoint when nothing listens there", async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const result = await runCheck(emulatorConfig({ endpoint }));
  assert.equal(result.status, "FAILED");
  assert.equal(
    result.message,
    `Could not reach ${endpoint} (ECONNREFUSED): check the region and the endpoint, and that this host can reach it.`,
  );
});

withMoto("check with IAM enforced", (context) => {
  const SECRET = "s3cr3t-never-printed";
  let lister: IamUser;
  let nobody: IamUser;
  let assumer: IamUser;
  let roleArn: string;
  let queueName: string;
  let queueUrl: string;
  let sender: IamUser;
  let inspector: IamUser;

  before(async () => {
    const moto = context.emulator;
    queueName = uniqueQueueName("orders");
    queueUrl = await moto.createQueue(queueName);
    lister = await moto.createUser("lister", ["sqs:ListQueues"]);
    sender = await moto.createUser("sender", ["sqs:SendMessage"]);
    inspector = await moto.createUser("inspector", ["sqs:SendMessage", "sqs:GetQueueAttributes"]);
    nobody = await moto.createUser("nobody", []);
    assumer = await moto.createUser("assumer", ["sts:AssumeRole"]);
    roleArn = await moto.createRole("hightouch-writer", ["sqs:ListQueues"], { userArn: assumer.arn, externalId: "ext-9" });
    await moto.enforceAuth();
  });

  function check(accessKeyId: string, secretAccessKey: string, settings: Record<string, unknown> = {}) {
    return runCheck(
      emulatorConfig(context.emulator, {
        credentials: accessKeyCredentials({ accessKeyId, secretAccessKey }),
        queue: { source: "static", value: queueName },
        ...settings,
      }),
    );
  }

  test("succeeds with credentials allowed only sqs:ListQueues", async () => {
    const result = await check(lister.accessKeyId, lister.secretAccessKey);
    assert.equal(result.status, "SUCCEEDED", result.message);
  });

  test("a queue URL needs no sqs:ListQueues: check confirms it with sqs:GetQueueAttributes", async () => {
    const result = await check(inspector.accessKeyId, inspector.secretAccessKey, { queue: { source: "static", value: queueUrl } });
    assert.equal(result.status, "SUCCEEDED", result.message);
    assert.match(result.message, new RegExp(`found queue "${queueName}" \\(queue\\)`));
  });

  test("a queue URL that does not exist fails, with only sqs:GetQueueAttributes to look", async () => {
    const missing = queueUrl.replace(queueName, `${queueName}-missing`);
    const result = await check(inspector.accessKeyId, inspector.secretAccessKey, { queue: { source: "static", value: missing } });
    assert.equal(result.status, "FAILED");
    assert.equal(
      result.message,
      `Queue ${missing} (queue) does not exist in region ${TEST_REGION} at endpoint ${context.emulator.endpoint}: create the queue, or correct the URL in queue.`,
    );
  });

  test("credentials allowed only sqs:SendMessage pass with a queue URL, and check says what it could not confirm", async () => {
    const result = await check(sender.accessKeyId, sender.secretAccessKey, { queue: { source: "static", value: queueUrl } });
    assert.equal(result.status, "SUCCEEDED", result.message);
    assert.match(
      result.message,
      new RegExp(
        `could not confirm that queue "${queueName}" \\(queue\\) exists: the credentials may not call sqs:GetQueueAttributes on it; ` +
          "a sync needs only sqs:SendMessage there",
      ),
    );
  });

  test("an unknown access key is reported as rejected credentials, without the secret", async () => {
    const result = await check("AKIAUNKNOWNKEY000000", SECRET);
    assert.equal(result.status, "FAILED");
    assert.equal(
      result.message,
      "AWS rejected the credentials (InvalidClientTokenId): check credentials.access_key_id, " +
        "credentials.secret_access_key and credentials.session_token.",
    );
  });

  test("a wrong secret is reported as rejected credentials, without the secret", async () => {
    const result = await check(lister.accessKeyId, SECRET);
    assert.equal(result.status, "FAILED");
    assert.match(result.message, /^AWS rejected the credentials \(SignatureDoesNotMatch\)/);
    assert.ok(!result.message.includes(SECRET));
  });

  test("credentials without sqs:ListQueues are told which permission to grant", async () => {
    const result = await check(nobody.accessKeyId, nobody.secretAccessKey);
    assert.equal(result.status, "FAILED");
    assert.equal(
      result.message,
      "The credentials are valid but not allowed to call sqs:ListQueues (AccessDenied): grant sqs:ListQueues to them in IAM.",
    );
  });

  test("assumes role_arn with external_id and checks with the role's permissions", async () => {
    const result = await check(assumer.accessKeyId, assumer.secretAccessKey, { role_arn: roleArn, external_id: "ext-9" });
    assert.equal(result.status, "SUCCEEDED", result.message);
    assert.match(result.message, new RegExp(`as role ${roleArn}`));
    const assumed = (await context.emulator.assumedRoles()).at(-1);
    assert.equal(assumed?.externalId, "ext-9");
    assert.equal(assumed?.sessionName, "destination-sqs");
  });

  test("an external_id the trust policy does not allow fails naming the role and the trust policy", async () => {
    const result = await check(assumer.accessKeyId, assumer.secretAccessKey, { role_arn: roleArn, external_id: "other" });
    assert.equal(result.status, "FAILED");
    assert.equal(
      result.message,
      `Could not assume role ${roleArn} (AccessDenied): the role's trust policy must allow these credentials ` +
        "with the configured external_id (matching its sts:ExternalId condition), and the credentials need " +
        "sts:AssumeRole on the role. Check role_arn and external_id.",
    );
  });

  test("bad base credentials under role_arn are reported as rejected credentials", async () => {
    const result = await check("AKIAUNKNOWNKEY000000", SECRET, { role_arn: roleArn, external_id: "ext-9" });
    assert.equal(result.status, "FAILED");
    assert.match(result.message, new RegExp(`^Could not assume role ${roleArn}: AWS rejected the credentials \\(InvalidClientTokenId\\)`));
    assert.ok(!result.message.includes(SECRET));
  });
});
