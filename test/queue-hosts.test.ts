// Row data cannot steer a request: the SQS client never sends to a queue URL's host. With an
// endpoint configured, every request goes there and a queue URL's host is only part of the
// QueueUrl parameter, so emulators' URLs (fauxqs, LocalStack, ElasticMQ) are taken as they are
// handed out; without one, a queue URL must name one of the region's SQS hosts, per row and for
// the configured queues (check, and write at start). Queue values of implausible length, and
// URLs that do not end in a queue name of the configured type, are rejected per row.
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
import { testSettings } from "./helpers/config.js";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { emulatorConfig, emulatorConfigFile, startFauxqs, uniqueQueueName, type Emulator } from "./helpers/emulators.js";
import { assertWriteReaches, assertWriteRefusesForeignQueue, fauxqsAndAttacker } from "./helpers/queue-hosts.js";

/** A config without an endpoint, as in production: requests go to the region's SQS endpoint. */
function productionConfig(settings: Record<string, unknown>) {
  return validateConfig(testSettings(settings), "the test config");
}

function checkFor(region: string, endpoint?: string) {
  const config = productionConfig({ region, ...(endpoint ? { endpoint } : {}), queue: { source: "column", column: "queue" } });
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

  test("with an endpoint: any http(s) queue URL, as emulators hand them out whatever address the client used", () => {
    const check = checkFor("us-east-1", "http://127.0.0.1:4566");
    for (const url of [
      "http://sqs.us-east-1.localhost:4566/000000000000/orders",
      "http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/orders",
      "http://localstack:4566/000000000000/orders",
      "http://elasticmq:9324/000000000000/orders",
      "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
    ]) {
      assert.equal(check(url), undefined, url);
    }
    assert.match(check("http:///000000000000/orders") ?? "", /is not an http\(s\) URL with a host/);
  });
});

describe("queue values from rows", () => {
  const composerFor = (settings: Record<string, unknown>) => {
    const config = emulatorConfig({ endpoint: "http://127.0.0.1:4566" }, { queue: { source: "column", column: "queue" }, ...settings });
    return createComposer(config, { checkQueueUrl: queueUrlCheck(config, createAwsClients(config).sqs.config.endpointProvider) });
  };
  const composer = composerFor({});
  const compose = (queue: string) => composer.compose({ data: { id: 1, queue }, change: "added", stream: "orders", emittedAt: 0 });
  const fifo = composerFor({ queue_type: "fifo", message_group_id: { source: "static", value: "g" } });
  const composeFifo = (queue: string) => fifo.compose({ data: { id: 1, queue }, change: "added", stream: "orders", emittedAt: 0 });

  test("with an endpoint, a queue URL naming any host is sent as it is", () => {
    assert.equal(
      accepted(compose("http://sqs.us-east-1.localhost:4566/000000000000/orders")).queue,
      "http://sqs.us-east-1.localhost:4566/000000000000/orders",
    );
    accepted(compose("http://attacker.example:9000/000000000000/x"));
  });

  test("a queue URL must end in a queue name of the configured queue type", () => {
    assert.match(
      rejected(compose("http://sqs.us-east-1.localhost:4566/")).reason,
      /queue \(column "queue"\) is "http:\/\/sqs\.us-east-1\.localhost:4566\/", which does not end in a queue name: its last path segment "" is not a queue name/,
    );
    assert.match(
      rejected(compose("http://127.0.0.1:4566/000000000000/orders%20and%20more")).reason,
      /its last path segment "orders%20and%20more" is not a queue name/,
    );
    assert.match(
      rejected(compose("http://127.0.0.1:4566/000000000000/orders.fifo")).reason,
      /is "http:\/\/127\.0\.0\.1:4566\/000000000000\/orders\.fifo", which names a FIFO queue \(its name ends in \.fifo\), but queue_type is "standard"/,
    );
    assert.match(rejected(compose("orders.fifo")).reason, /is "orders\.fifo", which names a FIFO queue/);
    assert.match(
      rejected(composeFifo("http://127.0.0.1:4566/000000000000/orders")).reason,
      /which names a standard queue, but queue_type is "fifo"/,
    );
    accepted(composeFifo("http://127.0.0.1:4566/000000000000/orders.fifo"));
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
    accepted(composeFifo("x".repeat(75) + ".fifo"));
    accepted(compose("orders_2-b"));
  });
});

describe("the SDK sender never sends to a queue URL's host", () => {
  const running = fauxqsAndAttacker();

  test("without an endpoint (the production case), a SendMessageBatch naming another host is addressed to the regional endpoint", async () => {
    const { sqs } = createAwsClients(productionConfig({ queue: { source: "column", column: "queue" } }));
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
      sqs.send(
        new SendMessageBatchCommand({ QueueUrl: `${running.attacker.endpoint}/000000000000/x`, Entries: [{ Id: "0", MessageBody: "{}" }] }),
      ),
      /stopped before sending/,
    );
    assert.equal(addressedTo, "sqs.us-east-1.amazonaws.com");
  });

  test("with an endpoint and log_api_calls on, a row naming another host goes to the endpoint, and that host sees nothing", async () => {
    const queueUrl = await running.fauxqs.createQueue(uniqueQueueName("hosts"));
    const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
    const config = emulatorConfigFile(running.fauxqs.endpoint, {
      queue: { source: "column", column: "queue" },
      log_api_calls: true,
      rejected_rows: { policy: "skip" },
    });
    const input = [
      recordLine("orders", { id: 1, queue: `${running.attacker.endpoint}/000000000000/x` }),
      recordLine("orders", { id: 2, queue: queueUrl }),
      stateLine({ n: 1 }),
    ].join("\n");
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: `${input}\n`, timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(running.attacker.requests.length, 0);
    assert.deepEqual(
      statesOf(result.messages).map((state) => state.data),
      [{ n: 1 }],
    );
    const warnings = result.messages.flatMap((message) =>
      message.type === "LOG" && message.log?.level === "WARN" ? [message.log.message] : [],
    );
    assert.ok(
      warnings.some((text) =>
        /^Rejected row \S+ of stream "orders": SQS refused the message for queue http:\/\/127\.0\.0\.1:\d+\/000000000000\/x/.test(text),
      ),
      warnings.join("\n"),
    );
    assert.equal((await running.fauxqs.receiveAll(queueUrl, { expected: 1 })).length, 1);
  });

  test("without an endpoint, check fails when a configured queue URL names another host, and calls nobody", async () => {
    const foreign = `${running.attacker.endpoint}/000000000000/orders`;
    for (const settings of [
      { queue: { source: "static", value: foreign } },
      { queue: { source: "static", value: "orders" }, rejected_rows: { policy: "dead_letter", queue_url: foreign } },
    ]) {
      const result = await runCheck(productionConfig(settings));
      assert.equal(result.status, "FAILED");
      assert.match(
        result.message,
        /^(queue|rejected_rows\.queue_url) "http:\/\/127\.0\.0\.1:\d+\/000000000000\/orders" names the host 127\.0\.0\.1, not an SQS host of region us-east-1/,
      );
    }
    assert.equal(running.attacker.requests.length, 0);
  });

  test("without an endpoint, write fails at start with a config error when a configured queue URL names another host", async () => {
    // The same refusal of rejected_rows.queue_url is in test/slow/queue-hosts.test.ts.
    await assertWriteRefusesForeignQueue(running.attacker, (foreign) => ({ queue: { source: "static", value: foreign } }));
  });
});

describe("queue URLs as fauxqs hands them out, with its defaults", () => {
  let fauxqs: Emulator;
  before(async () => {
    fauxqs = await startFauxqs();
  });
  after(() => fauxqs.stop());

  test("a static queue URL on sqs.<region>.localhost passes check and receives the rows", async () => {
    const queueUrl = await fauxqs.createQueue(uniqueQueueName("orders"));
    assert.match(queueUrl, /^http:\/\/sqs\.us-east-1\.localhost:\d+\/000000000000\/orders-/);
    assert.match(fauxqs.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const check = await runCheck(emulatorConfig(fauxqs, { queue: { source: "static", value: queueUrl } }));
    assert.equal(check.status, "SUCCEEDED", check.message);

    // A queue URL from a column is in test/slow/queue-hosts.test.ts.
    await assertWriteReaches(fauxqs, queueUrl, { source: "static", value: queueUrl }, [{ id: 1 }, { id: 2 }]);
  });
});
