import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { test } from "node:test";
import { validateConfig } from "../src/config/load.js";
import { loadCatalog } from "../src/protocol/catalog.js";
import type { StateMessage } from "../src/protocol/messages.js";
import { MessageWriter } from "../src/protocol/output.js";
import { runWrite } from "../src/commands/write.js";
import { catalogOf, recordLine } from "./helpers/airbyte.js";
import { writeTempJson } from "./helpers/cli.js";
import { FakeSender } from "./helpers/delivery-fakes.js";
import { ANY_QUEUE_HOST, openDetector } from "./helpers/in-process.js";
import { testSettings } from "./helpers/config.js";

const QUEUE_URL = "http://127.0.0.1:1/123456789012/users";

function streamStateLine(name: string, namespace: string | undefined, cursor: number): string {
  const descriptor = { name, ...(namespace === undefined ? {} : { namespace }) };
  return JSON.stringify({ type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: descriptor, stream_state: { cursor } } } });
}

test("streams of one name in different namespaces, interleaved, are each counted in their own STATE", async () => {
  const config = validateConfig(testSettings({ queue: { source: "static", value: QUEUE_URL } }), "the test config");
  const catalog = loadCatalog(
    writeTempJson(catalogOf([{ name: "users" }, { name: "users", namespace: "a" }, { name: "users", namespace: "b" }])),
  );
  // Runs of one stream, then records that alternate between them.
  const lines = [
    ...Array.from({ length: 3 }, (_, id) => recordLine("users", { id }, "a")),
    recordLine("users", { id: 3 }, "b"),
    ...Array.from({ length: 4 }, (_, id) => [recordLine("users", { id }), recordLine("users", { id }, "b")]).flat(),
    recordLine("users", { id: 9 }, "a"),
    streamStateLine("users", "a", 1),
    streamStateLine("users", "b", 2),
    streamStateLine("users", undefined, 3),
  ];
  const output: string[] = [];
  await runWrite({
    config,
    catalog,
    input: Readable.from([Buffer.from(`${lines.join("\n")}\n`)]),
    writer: new MessageWriter(
      new Writable({
        write: (chunk, _encoding, done) => {
          output.push(String(chunk));
          done();
        },
      }),
    ),
    sender: new FakeSender(),
    resolveQueue: async () => QUEUE_URL,
    checkQueueUrl: ANY_QUEUE_HOST,
    detector: await openDetector(config, catalog),
  });
  const states = output
    .join("")
    .split("\n")
    .filter((line) => line.startsWith('{"type":"STATE"'))
    .map((line) => (JSON.parse(line) as { state: StateMessage }).state);
  assert.deepEqual(
    states.map((state) => [state.stream?.stream_descriptor.namespace, state.destinationStats?.recordCount]),
    [
      ["a", 4],
      ["b", 5],
      [undefined, 4],
    ],
  );
});
