// The run summary and TRACE of a failed write through the real CLI, in more variants than the fast
// tier's (test/observe-cli.test.ts): the summary logged before the TRACE, and a template that does not parse.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SUMMARY_PREFIX } from "../../src/observe/summary.js";
import { errorTraceOf, recordLine, stateLine } from "../helpers/airbyte.js";
import { runCli } from "../helpers/cli.js";
import { AMOUNT_ATTRIBUTE, assertFailure, catalog, configFile, fauxqsForSuite, logTexts, summaryOf } from "../helpers/observe-cli.js";

describe("the summary and TRACE of a failed write (fauxqs)", () => {
  const fauxqs = fauxqsForSuite();

  test("a failed sync logs its summary before the TRACE, with the same failure", async () => {
    const config = configFile(fauxqs.address(), {
      queue: { source: "static", value: fauxqs.newQueue("failed") },
      message_attributes: AMOUNT_ATTRIBUTE,
    });
    const input = [recordLine("orders", { id: "a", amount: 1 }), stateLine({ at: 1 }), recordLine("orders", { id: "b", amount: "x" })];
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: input.join("\n") + "\n" });
    assert.equal(result.code, 1);
    const summaryIndex = result.messages.findIndex((message) => message.type === "LOG" && message.log.message.startsWith(SUMMARY_PREFIX));
    const traceIndex = result.messages.findIndex((message) => message.type === "TRACE");
    assert.ok(summaryIndex >= 0 && summaryIndex < traceIndex, "summary, then TRACE");
    const summary = summaryOf(result.messages);
    const error = errorTraceOf(result.messages)!;
    assert.equal(summary.status, "failed");
    assert.deepEqual(summary.failure, { failure_type: error.failure_type, message: error.message });
    assert.deepEqual([summary.totals.records_read, summary.totals.rejected], [2, 1]);
    assert.ok(logTexts(result.messages).some((text) => text.startsWith("Sync failed after ")));
  });

  test("a template that does not parse is a config error", async () => {
    const config = configFile(fauxqs.address(), {
      queue: { source: "static", value: "q" },
      message_body: { format: "template", template: "{{ row.id " },
    });
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: recordLine("orders", { id: "1" }) + "\n" });
    assertFailure(result.messages, "config_error", /message_body\.template/);
  });
});
