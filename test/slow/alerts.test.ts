// A failed sync's alert through the real CLI in one more way than the fast tier's (test/alerts.test.ts):
// a template that does not parse.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { errorTraceOf } from "../helpers/airbyte.js";
import { runCli } from "../helpers/cli.js";
import { alertsFixture, catalog, goodRow } from "../helpers/alerts-cli.js";

describe("alerts of a failed sync (fauxqs)", () => {
  const fixture = alertsFixture();

  test("a template that does not parse fails the sync with an alert too", async () => {
    const config = fixture.configWith({
      alerts: { webhook_url: `${fixture.recorder.url}/hook/template` },
      message_body: { format: "template", template: "{{ row.id " },
    });
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: goodRow(1) + "\n" });
    assert.equal(result.code, 1);
    assert.equal(errorTraceOf(result.messages)?.failure_type, "config_error");
    const [request] = fixture.recorder.to("/hook/template");
    assert.equal((request?.body as { event?: string } | undefined)?.event, "sync_failed");
  });
});
