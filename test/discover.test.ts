import assert from "node:assert/strict";
import { before, test } from "node:test";
import { createAwsClients } from "../src/aws/clients.js";
import { discoverCatalog } from "../src/commands/discover.js";
import { rowFieldsRead } from "../src/commands/row-fields.js";
import { loadConfig } from "../src/config/load.js";
import type { DestinationCatalog } from "../src/protocol/messages.js";
import { runCli } from "./helpers/cli.js";
import { TEST_REGION, testConfig } from "./helpers/config.js";
import { emulatorConfigFile, forEachEmulator, uniqueQueueName, withMoto } from "./helpers/emulators.js";
import { accessKeyCredentials, type IamUser } from "./helpers/iam.js";

test("the row fields a configuration reads: columns, template paths and the change field, each with the settings that read it", () => {
  const config = testConfig({
    queue: { source: "column", column: "target_queue" },
    message_id: { source: "template", template: "{{ stream }}-{{ row.id }}-{{ previous.id }}" },
    message_body: { format: "template", template: '{"name": "{{ row.name }}", "city": {{ row.address.city | json }}}' },
    message_attributes: [{ name: "tenant", data_type: "String", value: { source: "column", column: "customer.tenant" } }],
    change_detection: { mode: "field", field: "op" },
  });
  assert.deepEqual(rowFieldsRead(config), [
    { name: "name", readBy: ["message_body.template"] },
    { name: "address", readBy: ["message_body.template"] },
    { name: "target_queue", readBy: ["queue"] },
    { name: "id", readBy: ["message_id.template"] },
    { name: "customer", readBy: ["message_attributes[0].value"] },
    { name: "op", readBy: ["change_detection.field"] },
  ]);
});

test("a body of selected columns and a snapshot key read those columns; the whole record reads none by name", () => {
  const columns = testConfig({
    message_body: { format: "columns", columns: [{ column: "email", field: "to" }, { column: "id" }] },
    change_detection: { mode: "snapshot", primary_key: [["id"]], compare_columns: ["email"] },
  });
  assert.deepEqual(rowFieldsRead(columns), [
    { name: "email", readBy: ["message_body.columns[0].column", "change_detection.compare_columns"] },
    { name: "id", readBy: ["message_body.columns[1].column", "change_detection.primary_key[0]"] },
  ]);
  assert.deepEqual(rowFieldsRead(testConfig()), []);
});

/** What discover lists for the config file, run in process (the first test below runs the CLI). */
async function discoverInProcess(configPath: string): Promise<DestinationCatalog> {
  const config = loadConfig(configPath);
  const { sqs } = createAwsClients(config);
  try {
    return await discoverCatalog(config, sqs);
  } finally {
    sqs.destroy();
  }
}

function catalogOf(stdout: string): DestinationCatalog {
  const line = stdout.split("\n").find((text) => text.includes('"DESTINATION_CATALOG"'));
  assert.ok(line, `no DESTINATION_CATALOG in:\n${stdout}`);
  return (JSON.parse(line) as { destination_catalog: DestinationCatalog }).destination_catalog;
}

forEachEmulator("discover", (context) => {
  test("lists every queue of the configured type the credentials see, each appending messages, with the fields the config reads", async () => {
    const standard = [uniqueQueueName("orders"), uniqueQueueName("payments")];
    const fifo = uniqueQueueName("ledger", true);
    for (const name of [...standard, fifo]) await context.emulator.createQueue(name);
    const config = emulatorConfigFile(context.emulator.endpoint, {
      queue: { source: "column", column: "queue" },
      message_body: { format: "template", template: '{"id": {{ row.id | json }}}' },
    });

    const result = await runCli(["discover", "--config", config]);

    assert.equal(result.code, 0, result.stdout + result.stderr);
    const operations = catalogOf(result.stdout).operations;
    const names = operations.map((operation) => operation.object_name);
    for (const name of standard) assert.ok(names.includes(name), `${name} missing from ${names.join(", ")}`);
    assert.ok(!names.includes(fifo), "a FIFO queue is listed for queue_type standard");
    const orders = operations.find((operation) => operation.object_name === standard[0]);
    assert.deepEqual(orders, {
      object_name: standard[0],
      sync_mode: "append",
      json_schema: {
        type: "object",
        additionalProperties: true,
        properties: { queue: { description: "Read by queue." }, id: { description: "Read by message_body.template." } },
      },
    });
  });

  test("with queue_type fifo lists only FIFO queues", async () => {
    const fifo = uniqueQueueName("ledger", true);
    await context.emulator.createQueue(fifo);
    const config = emulatorConfigFile(context.emulator.endpoint, {
      queue_type: "fifo",
      queue: { source: "template", template: "{{ row.queue }}" },
      message_group_id: { source: "static", value: "all" },
    });
    const names = (await discoverInProcess(config)).operations.map((operation) => operation.object_name);
    assert.ok(names.includes(fifo), names.join(", "));
    assert.ok(
      names.every((name) => name.endsWith(".fifo")),
      names.join(", "),
    );
  });

  test("a static queue, named or given by URL, is the one operation, without listing queues", async () => {
    const url = `http://sqs.${TEST_REGION}.localhost:4566/000000000000/orders-static`;
    for (const value of ["orders-static", url]) {
      const config = emulatorConfigFile(context.emulator.endpoint, { queue: { source: "static", value } });
      assert.deepEqual(
        (await discoverInProcess(config)).operations.map((operation) => operation.object_name),
        ["orders-static"],
      );
    }
  });

  test("a template that does not parse is the same config error write reports", async () => {
    const config = emulatorConfigFile(context.emulator.endpoint, {
      queue: { source: "column", column: "queue" },
      message_body: { format: "template", template: "{{ row.id | nosuch }}" },
    });
    const result = await runCli(["discover", "--config", config]);
    assert.equal(result.code, 1);
    const trace = result.messages.find((message) => message.type === "TRACE");
    assert.ok(trace && trace.type === "TRACE", result.stdout);
    assert.equal(trace.trace.error?.failure_type, "config_error");
    assert.match(trace.trace.error?.message ?? "", /The Liquid template in message_body.template does not parse: undefined filter: nosuch/);
  });
});

withMoto("discover with IAM enforced", (context) => {
  let nobody: IamUser;

  before(async () => {
    nobody = await context.emulator.createUser("nobody", []);
    await context.emulator.enforceAuth();
  });

  test("credentials that may not list queues are told which permission to grant", async () => {
    const config = emulatorConfigFile(context.emulator.endpoint, {
      credentials: accessKeyCredentials(nobody),
      queue: { source: "column", column: "queue" },
      retry_max_seconds: 1,
    });
    const result = await runCli(["discover", "--config", config]);
    assert.equal(result.code, 1);
    const trace = result.messages.find((message) => message.type === "TRACE");
    assert.ok(trace && trace.type === "TRACE", result.stdout);
    assert.equal(trace.trace.error?.failure_type, "config_error");
    assert.match(trace.trace.error?.message ?? "", /sqs:ListQueues/);
    assert.ok(!result.stdout.includes(nobody.secretAccessKey), "the secret key is printed");
  });
});
