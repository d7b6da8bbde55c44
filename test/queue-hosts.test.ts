// Row data cannot steer a request: the SQS client never sends to a queue URL's host, and a queue
// URL naming a host other than the configured endpoint's or the region's SQS hosts is rejected
// per row (and by `check`). Queue values of implausible length are rejected per row too.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { createAwsClients } from "../src/aws/clients.js";
import { queueUrlCheck } from "../src/aws/queue-hosts.js";
import { runCheck } from "../src/commands/check.js";
import { createComposer } from "../src/compose/composer.js";
import { accepted, rejected } from "./helpers/compose.js";
import { validateConfig } from "../src/config/load.js";
import { catalogOf, recordLine, stateLine, statesOf } from "./helpers/airbyte.js";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { emulatorConfig, emulatorConfigFile, startFauxqs, uniqueQueueName, type Emulator } from "./helpers/emulators.js";
import { startCaptures, type CapturingEndpoint } from "./helpers/fake-endpoints.js";

function checkFor(region: string, endpoint?: string) {
  const config = validateConfig(
    {
      region,
      ...(endpoint ? { endpoint } : {}),
      credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "test" },
      queue: { source: "column", column: "queue" },
    },
    "the test config",
  );
  return queueUrlCheck(config, createAwsClients(config).sqs.config.endpointProvider);
}

describe("which hosts a queue URL may name", () => {
  test("without an endpoint: the region's SQS hosts, legacy, FIPS and dual-stack included", () => {
    const check = checkFor("us-east-1");
    for (const url of [
      "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
      "https://SQS.us-east-1.amazonaws.com./123456789012/orders",
      "https://us-east-1.queue.amazonaws.com/123456789012/orders",
      "https://queue.amazonaws.com/123456789012/orders",
      "https://sqs-fips.us-east-1.amazonaws.com/123456789012/orders",
      "https://sqs.us-east-1.api.aws/123456789012/orders",
      "https://sqs.us-east-1.amazonaws.com:443/123456789012/orders",
    ]) {
      assert.equal(check(url), undefined, url);
    }
    for (const url of [
      "http://attacker:8080/000000000000/x",
      "https://sqs.us-east-1.amazonaws.com.attacker.net/123456789012/orders",
      "https://sqs.us-east-1.amazonaws.com@attacker.net/123456789012/orders",
      "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
      "http://127.0.0.1:4566/000000000000/orders",
    ]) {
      assert.match(check(url) ?? "", /names the host .*, not an SQS host of region us-east-1/, url);
    }
  });

  test("other partitions have their own hosts", () => {
    const check = checkFor("cn-north-1");
    assert.equal(check("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders"), undefined);
    assert.equal(check("https://cn-north-1.queue.amazonaws.com.cn/123456789012/orders"), undefined);
    assert.notEqual(check("https://sqs.cn-north-1.amazonaws.com/123456789012/orders"), undefined);
  });

  test("with an endpoint: its host, names under it, and the region's SQS hosts", () => {
    const check = checkFor("us-east-1", "http://localhost.localstack.cloud:4566");
    assert.equal(check("http://localhost.localstack.cloud:4566/000000000000/orders"), undefined);
    assert.equal(check("http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/orders"), undefined);
    assert.equal(check("https://sqs.us-east-1.amazonaws.com/123456789012/orders"), undefined);
    assert.match(check("http://localhost:4566/000000000000/orders") ?? "", /configured endpoint's host \(localhost\.localstack\.cloud\)/);
    assert.notEqual(check("http://evillocalhost.localstack.cloud:4566/000000000000/orders"), undefined);
  });
});

describe("queue values from rows", () => {
  const config = emulatorConfig({ endpoint: "http://127.0.0.1:4566" }, { queue: { source: "column", column: "queue" } });
  const composer = createComposer(config, {
    checkQueueUrl: queueUrlCheck(config, createAwsClients(config).sqs.config.endpointProvider),
  });
  const compose = (queue: string) => composer.compose({ data: { id: 1, queue }, change: "added", stream: "orders", emittedAt: 0 });

  test("a queue URL naming a foreign host is rejected, saying which host and what to do", () => {
    const result = rejected(compose("http://attacker.example:9000/000000000000/x"));
    assert.match(
      result.reason,
      /queue \(column "queue"\) is "http:\/\/attacker\.example:9000\/000000000000\/x", which names the host attacker\.example, not the configured endpoint's host/,
    );
  });

  test("names and URLs of implausible length are rejected with a short reason", () => {
    for (const [queue, problem] of [
      ["q".repeat(81), /is 81 characters long; SQS queue names have at most 80/],
      ["n".repeat(5_000_000), /is 5000000 characters long/],
      [`http://127.0.0.1:4566/000000000000/${"u".repeat(2_000_000)}`, /more than any queue URL/],
      ["orders and more", /is not a queue name/],
    ] as const) {
      const { reason } = rejected(compose(queue));
      assert.match(reason, problem);
      assert.ok(reason.length < 500, `${reason.length} characters`);
    }
    accepted(compose("x".repeat(75) + ".fifo"));
    accepted(compose("orders_2-b"));
  });
});

describe("the SDK sender never sends to a queue URL's host", () => {
  let fauxqs: Emulator;
  let attacker: CapturingEndpoint;
  before(async () => {
    fauxqs = await startFauxqs();
    attacker = await startCaptures();
  });
  after(async () => {
    await attacker.stop();
    await fauxqs.stop();
  });

  const attackerByName = () => attacker.endpoint.replace("127.0.0.1", "localhost");

  test("without an endpoint (the production case), a SendMessageBatch naming another host is addressed to the regional endpoint", async () => {
    const config = validateConfig(
      {
        region: "us-east-1",
        credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "test" },
        queue: { source: "column", column: "queue" },
      },
      "the test config",
    );
    const { sqs } = createAwsClients(config);
    let addressedTo: string | undefined;
    // Stops every request once it is signed, before it leaves: nothing reaches the network.
    sqs.middlewareStack.add(
      () => async (args) => {
        addressedTo = (args.request as { hostname?: string }).hostname;
        throw new Error("stopped before sending");
      },
      { step: "finalizeRequest", priority: "low" },
    );
    await assert.rejects(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: `${attacker.endpoint}/000000000000/x`, Entries: [{ Id: "0", MessageBody: "{}" }] })),
      /stopped before sending/,
    );
    assert.equal(addressedTo, "sqs.us-east-1.amazonaws.com");
  });

  test("with log_api_calls on, a row naming another host is rejected and that host sees nothing", async () => {
    const queueUrl = await fauxqs.createQueue(uniqueQueueName("hosts"));
    const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
    const config = emulatorConfigFile(fauxqs.endpoint, {
      queue: { source: "column", column: "queue" },
      log_api_calls: true,
      rejected_rows: { policy: "skip" },
    });
    // The capturing host by another name: the host check compares names, and no request may reach it.
    const stolen = `${attackerByName()}/000000000000/x`;
    const input = [
      recordLine("orders", { id: 1, queue: stolen }),
      recordLine("orders", { id: 2, queue: queueUrl }),
      stateLine({ n: 1 }),
    ].join("\n");
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: `${input}\n`, timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(attacker.requests.length, 0);
    assert.deepEqual(
      statesOf(result.messages).map((state) => state.data),
      [{ n: 1 }],
    );
    const warnings = result.messages.flatMap((message) =>
      message.type === "LOG" && message.log?.level === "WARN" ? [message.log.message] : [],
    );
    assert.ok(
      warnings.some((text) => text.includes("names the host localhost")),
      warnings.join("\n"),
    );
    assert.equal((await fauxqs.receiveAll(queueUrl, { expected: 1 })).length, 1);
  });

  test("check fails when a configured queue URL names another host", async () => {
    const result = await runCheck(
      emulatorConfig(fauxqs, { queue: { source: "static", value: `${attackerByName()}/000000000000/orders` } }),
    );
    assert.equal(result.status, "FAILED");
    assert.match(result.message, /^queue "http:\/\/localhost:\d+\/000000000000\/orders" names the host localhost, not/);
    assert.equal(attacker.requests.length, 0);
  });
});
