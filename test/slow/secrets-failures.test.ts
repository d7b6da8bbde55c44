// No secret leaves the connector in more runs: rows rejected, and check or write failing in more ways (an
// unreachable endpoint, a missing queue, a setting the config refuses); and secrets too short to be
// searched for leave protocol payloads as they are (the common runs are in test/secrets.test.ts).
import { describe } from "node:test";
import { catalog, input, redactionWriter, secretsSuite, testPayloadsUnchanged } from "../helpers/secrets.js";

const unreachable = "http://127.0.0.1:1";

secretsSuite("secrets never appear in the output of failures (fauxqs)", "rejected rows, check and write failures", (queueName, config) => [
  [
    "write with rows rejected",
    [
      "write",
      "--config",
      config({ queue: { source: "static", value: queueName }, message_id: { source: "column", column: "missing" } }),
      "--catalog",
      catalog,
    ],
    input,
  ],
  [
    "check of an unreachable endpoint",
    ["check", "--config", config({ endpoint: unreachable, queue: { source: "static", value: queueName } })],
  ],
  ["check of a missing queue", ["check", "--config", config({ queue: { source: "static", value: "no-such-queue" } })]],
  [
    "write to an unreachable endpoint",
    [
      "write",
      "--config",
      config({ endpoint: unreachable, queue: { source: "static", value: `${unreachable}/123456789012/q` }, retry_max_seconds: 1 }),
      "--catalog",
      catalog,
    ],
    input,
  ],
  ["write with an invalid setting", ["write", "--config", config({ max_in_flight: 0 }), "--catalog", catalog], input],
]);

describe("redaction never alters protocol payloads, short secrets (fauxqs)", () => {
  const writeWith = redactionWriter();
  testPayloadsUnchanged(writeWith, { secret_access_key: "e", session_token: ":" });
  testPayloadsUnchanged(writeWith, { secret_access_key: "1", session_token: "2024" });
});
