// Airbyte data activation: a configured stream's destination_object_name is the queue its rows go
// to, under the same queue rules as any queue, checked before the first row.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertSyncCanStart } from "../src/commands/sync-start.js";
import { validateConfig } from "../src/config/load.js";
import { UserFacingError } from "../src/errors.js";
import { loadCatalog } from "../src/protocol/catalog.js";
import type { ConfiguredCatalog, ConfiguredStream } from "../src/protocol/messages.js";
import { RowPipeline } from "../src/write/row-pipeline.js";
import { catalogOf } from "./helpers/airbyte.js";
import { writeTempJson } from "./helpers/cli.js";
import { testSettings } from "./helpers/config.js";
import { openDetector, queueHostRule } from "./helpers/in-process.js";

const SQS = "https://sqs.us-east-1.amazonaws.com/123456789012";

/** No endpoint: queue URLs must name the region's SQS hosts. */
function configWith(settings: Record<string, unknown> = {}) {
  return validateConfig(testSettings({ message_id: { source: "column", column: "id" }, ...settings }), "the test config");
}

function catalogWith(destinations: Record<string, string | undefined>): Map<string, ConfiguredStream> {
  const catalog: ConfiguredCatalog = catalogOf(Object.keys(destinations).map((name) => ({ name })));
  for (const stream of catalog.streams) {
    const destination = destinations[stream.stream.name];
    if (destination !== undefined) stream.destination_object_name = destination;
  }
  return loadCatalog(writeTempJson(catalog));
}

async function queueOf(
  settings: Record<string, unknown>,
  destinations: Record<string, string | undefined>,
  stream: string,
  row: Record<string, unknown>,
) {
  const config = configWith(settings);
  const catalog = catalogWith(destinations);
  const pipeline = new RowPipeline(config, {
    detector: await openDetector(config, catalog),
    checkQueueUrl: queueHostRule(config),
    streams: catalog.values(),
  });
  const configured = [...catalog.values()].find((candidate) => candidate.stream.name === stream)!;
  const outcome = pipeline.record({ stream, data: row, emitted_at: 1 }, configured, 1);
  assert.equal(outcome.kind, "message", JSON.stringify(outcome));
  return outcome.kind === "message" ? outcome.message.queue : undefined;
}

describe("destination_object_name", () => {
  test("routes a stream's rows to its destination object instead of the static queue; other streams keep the static queue", async () => {
    const destinations = { orders: "orders-activation", customers: `${SQS}/customers-activation`, events: undefined };
    assert.equal(await queueOf({}, destinations, "orders", { id: 1 }), "orders-activation");
    assert.equal(await queueOf({}, destinations, "customers", { id: 2 }), `${SQS}/customers-activation`);
    assert.equal(await queueOf({}, destinations, "events", { id: 3 }), "orders");
  });

  test("a per-row queue setting (column or template) decides over the stream's destination object", async () => {
    const destinations = { orders: "orders-activation" };
    assert.equal(
      await queueOf({ queue: { source: "column", column: "target" } }, destinations, "orders", { id: 1, target: "east" }),
      "east",
    );
    assert.equal(await queueOf({ queue: { source: "template", template: "q-{{ row.id }}" } }, destinations, "orders", { id: 7 }), "q-7");
  });

  const BAD: { name: string; settings?: Record<string, unknown>; value: string; problem: RegExp }[] = [
    { name: "a value that is neither a queue name nor a URL", value: "not a queue!", problem: /is not a queue name/ },
    { name: "a FIFO queue for a standard queue_type", value: "orders.fifo", problem: /names a FIFO queue/ },
    {
      name: "a standard queue for a fifo queue_type",
      settings: {
        queue: { source: "static", value: "orders.fifo" },
        queue_type: "fifo",
        message_group_id: { source: "static", value: "g" },
      },
      value: "orders-activation",
      problem: /names a standard queue/,
    },
    {
      name: "a URL on a host other than the region's SQS",
      value: "https://attacker.example/123456789012/orders",
      problem: /names the host attacker\.example/,
    },
  ];
  for (const bad of BAD) {
    test(`${bad.name} is a config error before the first row, naming the stream and the value (pipeline and sync start alike)`, async () => {
      const config = configWith(bad.settings);
      const catalog = catalogWith({ fine: config.queue_type === "fifo" ? "orders-2.fifo" : "orders-2", shop_orders: bad.value });
      const expected = (error: unknown): boolean => {
        assert.ok(error instanceof UserFacingError, String(error));
        assert.equal(error.failureType, "config_error");
        assert.match(error.message, /stream "shop_orders"/);
        assert.ok(error.message.includes(`destination_object_name ${JSON.stringify(bad.value)}`), error.message);
        assert.match(error.message, bad.problem);
        return true;
      };
      const checkQueueUrl = queueHostRule(config);
      assert.throws(() => assertSyncCanStart(config, { streams: catalog.values(), checkQueueUrl }), expected);
      const detector = await openDetector(config, catalog);
      assert.throws(() => new RowPipeline(config, { detector, checkQueueUrl, streams: catalog.values() }), expected);
    });
  }

  test("a URL on any host is taken when endpoint is set, as for any queue", () => {
    const config = configWith({ endpoint: "http://127.0.0.1:4566" });
    const catalog = catalogWith({ orders: "http://sqs.us-east-1.localhost:4566/000000000000/orders-activation" });
    assert.doesNotThrow(() => assertSyncCanStart(config, { streams: catalog.values(), checkQueueUrl: queueHostRule(config) }));
  });

  test("the catalog refuses a destination_object_name that is not a string, naming the stream's index", () => {
    const catalog = catalogOf([{ name: "orders" }]) as unknown as { streams: Record<string, unknown>[] };
    catalog.streams[0]!.destination_object_name = 42;
    const path = writeTempJson(catalog);
    assert.throws(
      () => loadCatalog(path),
      (error: unknown) =>
        error instanceof UserFacingError && error.message.includes(`streams[0].destination_object_name`) && error.message.includes(path),
    );
  });
});
