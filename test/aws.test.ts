import assert from "node:assert/strict";
import { before, test } from "node:test";
import { GetQueueAttributesCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import type { ApiCall } from "../src/aws/api-calls.js";
import { createAwsClients } from "../src/aws/clients.js";
import { AssumeRoleError } from "../src/aws/credentials.js";
import { awsErrorCode } from "../src/aws/error-code.js";
import { QueueNotFoundError, QueueResolver, queueNameFromUrl } from "../src/aws/queues.js";
import { emulatorConfig, forEachEmulator, TEST_ACCOUNT, uniqueQueueName, withMoto, type Emulator } from "./helpers/emulators.js";
import { TEST_REGION } from "./helpers/config.js";
import { accessKeyCredentials, type IamAccessKey, type IamUser } from "./helpers/iam.js";

function resolverFor(emulator: Emulator): { resolver: QueueResolver; calls: ApiCall[] } {
  const calls: ApiCall[] = [];
  const { sqs } = createAwsClients(emulatorConfig(emulator), { onCall: (call) => calls.push(call) });
  return { resolver: new QueueResolver(sqs, { region: TEST_REGION, endpoint: emulator.endpoint }), calls };
}

test("queueNameFromUrl takes the last path segment", () => {
  assert.equal(queueNameFromUrl("https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo"), "orders.fifo");
  assert.equal(queueNameFromUrl("http://127.0.0.1:4566/000000000000/orders/"), "orders");
});

forEachEmulator("QueueResolver", (context) => {
  test("a queue URL is used as it is, without a call to SQS", async () => {
    const { resolver, calls } = resolverFor(context.emulator);
    const url = "https://sqs.eu-west-1.amazonaws.com/111111111111/elsewhere";
    assert.equal(await resolver.resolve(url), url);
    assert.equal(calls.length, 0);
  });

  test("a queue name is looked up once, even by concurrent callers, and matched exactly", async () => {
    const name = uniqueQueueName("orders");
    await context.emulator.createQueue(`${name}-archive`);
    const url = await context.emulator.createQueue(name);
    const { resolver, calls } = resolverFor(context.emulator);

    const concurrent = await Promise.all([resolver.resolve(name), resolver.resolve(name), resolver.resolve(name)]);
    const later = await resolver.resolve(name);

    assert.deepEqual(concurrent, [url, url, url]);
    assert.equal(later, url);
    assert.deepEqual(
      calls.map((call) => [call.service, call.action, call.httpStatus]),
      [["SQS", "ListQueues", 200]],
    );
  });

  test("a name that only prefixes other queues is not found", async () => {
    const name = uniqueQueueName("events");
    await context.emulator.createQueue(`${name}-dlq`);
    const { resolver } = resolverFor(context.emulator);
    await assert.rejects(resolver.resolve(name), QueueNotFoundError);
  });

  test("a missing queue fails with a message naming the queue, region and endpoint", async () => {
    const { resolver } = resolverFor(context.emulator);
    const error = await resolver.resolve("no-such-queue").then(
      () => assert.fail("resolved a missing queue"),
      (rejection: unknown) => rejection,
    );
    assert.ok(error instanceof QueueNotFoundError);
    assert.equal(error.failureType, "config_error");
    assert.match(error.message, /"no-such-queue"/);
    assert.match(error.message, /region us-east-1/);
    assert.ok(error.message.includes(context.emulator.endpoint), error.message);
  });

  test("the call observer sees each call, failed ones with their error code", async () => {
    const calls: ApiCall[] = [];
    const { sqs } = createAwsClients(emulatorConfig(context.emulator), { onCall: (call) => calls.push(call) });
    const missing = `${context.emulator.endpoint}/${TEST_ACCOUNT}/${uniqueQueueName("missing")}`;

    await sqs.send(new ListQueuesCommand({}));
    await assert.rejects(sqs.send(new GetQueueAttributesCommand({ QueueUrl: missing, AttributeNames: ["All"] })));

    assert.deepEqual(
      calls.map((call) => [call.action, call.httpStatus, call.error]),
      [
        ["ListQueues", 200, undefined],
        ["GetQueueAttributes", 400, calls[1]?.error],
      ],
    );
    assert.match(calls[1]?.error ?? "", /QueueDoesNotExist|NonExistentQueue/);
    assert.equal(calls[1]?.queueUrl, missing);
    assert.ok(calls.every((call) => call.bytes > 0 && call.latencyMs >= 0));
  });
});

withMoto("AWS credentials", (context) => {
  let lister: IamAccessKey;
  let assumer: IamUser;
  let roleArn: string;
  let queueName: string;

  before(async () => {
    const moto = context.emulator;
    queueName = uniqueQueueName("orders");
    await moto.createQueue(queueName);
    lister = await moto.createUser("lister", ["sqs:ListQueues"]);
    assumer = await moto.createUser("assumer", ["sts:AssumeRole"]);
    roleArn = await moto.createRole("queue-writer", ["sqs:ListQueues"], { userArn: assumer.arn, externalId: "ext-42" });
    await moto.enforceAuth();
  });

  function listQueuesWith(settings: Record<string, unknown>, onCall?: (call: ApiCall) => void) {
    const { sqs } = createAwsClients(emulatorConfig(context.emulator, settings), onCall ? { onCall } : {});
    return sqs.send(new ListQueuesCommand({ QueueNamePrefix: queueName }));
  }

  const accessKey = (key: IamAccessKey) => ({ credentials: accessKeyCredentials(key) });

  test("access_key credentials sign the calls", async () => {
    const listed = await listQueuesWith(accessKey(lister));
    assert.equal(listed.QueueUrls?.length, 1);
    await assert.rejects(listQueuesWith(accessKey({ accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "nope" })));
  });

  test("default_chain reads the credentials from the environment", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = lister.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = lister.secretAccessKey;
    try {
      const listed = await listQueuesWith({ credentials: { auth_type: "default_chain" } });
      assert.equal(listed.QueueUrls?.length, 1);
    } finally {
      restoreEnv("AWS_ACCESS_KEY_ID", saved.id);
      restoreEnv("AWS_SECRET_ACCESS_KEY", saved.secret);
    }
  });

  test("role_arn: SQS calls are signed with the role's credentials, assumed with external_id and role_session_name", async () => {
    const calls: ApiCall[] = [];
    // The assumer may only call sts:AssumeRole, so the listing succeeds only with the role's credentials.
    const listed = await listQueuesWith(
      { ...accessKey(assumer), role_arn: roleArn, external_id: "ext-42", role_session_name: "sync-7" },
      (call) => calls.push(call),
    );
    assert.equal(listed.QueueUrls?.length, 1);
    assert.deepEqual(
      calls.map((call) => `${call.service} ${call.action} ${call.httpStatus}`),
      ["STS AssumeRole 200", "SQS ListQueues 200"],
    );
    const assumed = (await context.emulator.assumedRoles()).at(-1);
    assert.equal(assumed?.roleArn, roleArn);
    assert.equal(assumed?.externalId, "ext-42");
    assert.equal(assumed?.sessionName, "sync-7");
    await assert.rejects(listQueuesWith(accessKey(assumer)), (error) => awsErrorCode(error) === "AccessDenied");
  });

  test("role_arn with a different external_id than the trust policy wants is refused", async () => {
    await assert.rejects(
      listQueuesWith({ ...accessKey(assumer), role_arn: roleArn, external_id: "wrong" }),
      (error: unknown) => error instanceof AssumeRoleError && awsErrorCode(error.cause) === "AccessDenied",
    );
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
