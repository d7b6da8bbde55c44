// check and write against an endpoint that accepts connections and never answers, or trickles its
// answer: `check` answers FAILED naming the endpoint, and `write` ends with a TRACE, each after its
// retries within retry_max_seconds run out.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { catalogOf, errorTraceOf, recordLine, statesOf, stateLine } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { emulatorConfigFile } from "../helpers/emulators.js";
import { startNeverAnswers, startTrickles, type FakeEndpoint } from "../helpers/fake-endpoints.js";

const catalog = writeTempJson(catalogOf([{ name: "orders" }]));

describe("check and write against an endpoint that never answers", () => {
  let silent: FakeEndpoint;
  let trickling: FakeEndpoint;
  before(async () => {
    silent = await startNeverAnswers();
    trickling = await startTrickles({ intervalMs: 500 });
  });
  after(async () => {
    await silent.stop();
    await trickling.stop();
  });

  const settings = {
    queue: { source: "static", value: "orders" },
    request_timeout_seconds: 2,
    retry_max_seconds: 6,
  };

  for (const which of ["silent", "trickling"] as const) {
    test(`check answers FAILED naming the ${which} endpoint`, async () => {
      const endpoint = which === "silent" ? silent : trickling;
      const result = await runCli(["check", "--config", emulatorConfigFile(endpoint.endpoint, settings)], { timeoutMs: 60_000 });
      assert.equal(result.code, 0, result.stderr);
      const status = result.messages.find((message) => message.type === "CONNECTION_STATUS");
      assert.equal(status?.connectionStatus?.status, "FAILED");
      assert.ok(status?.connectionStatus?.message?.includes(endpoint.endpoint), status?.connectionStatus?.message);
    });
  }

  test("check answers FAILED when the role is assumed from an endpoint that never answers", async () => {
    const config = emulatorConfigFile(silent.endpoint, { ...settings, role_arn: "arn:aws:iam::123456789012:role/writer" });
    const result = await runCli(["check", "--config", config], { timeoutMs: 60_000 });
    const status = result.messages.find((message) => message.type === "CONNECTION_STATUS");
    assert.equal(status?.connectionStatus?.status, "FAILED");
    assert.match(status?.connectionStatus?.message ?? "", /role/);
  });

  for (const role of [false, true]) {
    test(`write ends with an error naming the endpoint when ${role ? "the role assumption" : "the queue lookup"} gets no answer`, async () => {
      const config = emulatorConfigFile(silent.endpoint, {
        ...settings,
        ...(role ? { role_arn: "arn:aws:iam::123456789012:role/writer" } : {}),
      });
      const input = `${recordLine("orders", { id: 1 })}\n${stateLine({ n: 1 })}\n`;
      const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: input, timeoutMs: 60_000 });
      assert.notEqual(result.code, 0);
      assert.deepEqual(statesOf(result.messages), []);
      const error = errorTraceOf(result.messages);
      assert.equal(error?.failure_type, "transient_error", JSON.stringify(error));
      assert.ok(error?.message.includes(silent.endpoint), error?.message);
      assert.deepEqual(result.nonJsonLines, []);
      assert.equal(result.stderr, "");
    });
  }
});
