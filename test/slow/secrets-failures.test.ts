// No secret leaves the connector when check or write fails in more ways: an unreachable endpoint, a
// missing queue, a setting the config refuses (the common runs are in test/secrets.test.ts).
import { catalog, input, secretsSuite } from "../helpers/secrets.js";

const unreachable = "http://127.0.0.1:1";

secretsSuite("secrets never appear in the output of failures (fauxqs)", "check and write failures", (queueName, config) => [
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
