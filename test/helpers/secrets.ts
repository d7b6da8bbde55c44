// Distinctive secrets in a connector's config, and a search for them in everything a run prints
// (stdout, stderr) and every alert it sends.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { catalogOf, recordLine, stateLine } from "./airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./cli.js";
import { TEST_REGION } from "./config.js";
import { emulatorConfigFile, startFauxqs, uniqueQueueName, type Emulator } from "./emulators.js";

// Quotes and backslashes check that redaction also finds the JSON-escaped form.
export const SECRET_ACCESS_KEY = 'sak/"quoted\\slash+SECRET-7f3a9c';
export const SESSION_TOKEN = "FwoGZXIvYXdzEsessionSECRETtoken41d2";
const HOOK_SECRET = "hookSECRET0c41";
export const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
export const input = [recordLine("orders", { id: 1 }), recordLine("orders", { id: 2 }), stateLine({ s: 1 })].join("\n") + "\n";

/** Every way a secret could appear in output: as is, JSON-escaped, URL-encoded. */
function formsOf(secret: string): string[] {
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])];
}

export function assertNoSecrets(label: string, texts: string[], secrets: string[]): void {
  for (const secret of secrets) {
    for (const form of formsOf(secret)) {
      for (const text of texts) assert.equal(text.includes(form), false, `${label} printed a secret (${form.slice(0, 6)}…)`);
    }
  }
}

/** A local webhook receiver, so that alerts sent on failure can be searched too. */
async function startWebhook(): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      bodies.push(`${request.url ?? ""} ${body}`);
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/${HOOK_SECRET}`, bodies, server };
}

export function outputsOf(result: CliResult): string[] {
  return [result.stdout, result.stderr];
}

/** A run of the CLI: what it is, its arguments, its stdin. */
export type SecretsRun = [label: string, args: string[], stdin?: string];

/**
 * A suite with one test: the runs `runsFor` lists, against fauxqs, with the secrets above in every
 * config, print none of them; nor do the alerts they send to a local webhook.
 */
export function secretsSuite(
  suiteName: string,
  testName: string,
  runsFor: (queueName: string, config: (settings: Record<string, unknown>) => string) => SecretsRun[],
): void {
  describe(suiteName, () => {
    let emulator: Emulator;
    let webhook: Awaited<ReturnType<typeof startWebhook>>;
    before(async () => {
      emulator = await startFauxqs();
      webhook = await startWebhook();
    });
    after(async () => {
      await emulator.stop();
      webhook.server.close();
    });

    function config(settings: Record<string, unknown>): string {
      return emulatorConfigFile(emulator.endpoint, {
        credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: SECRET_ACCESS_KEY, session_token: SESSION_TOKEN },
        alerts: { webhook_url: webhook.url, on_failure: true, rejected_rows_threshold: 1 },
        log_api_calls: true,
        log_message_bodies: true,
        ...settings,
      });
    }

    test(testName, async () => {
      const queueName = uniqueQueueName("secrets");
      await emulator.createQueue(queueName);
      for (const [label, args, stdin] of runsFor(queueName, config)) {
        const result = await runCli(args, { stdin: stdin ?? "", timeoutMs: 30_000 });
        assert.ok(result.stdout.length > 0, `${label} printed something`);
        assertNoSecrets(label, outputsOf(result), [SECRET_ACCESS_KEY, SESSION_TOKEN, HOOK_SECRET]);
      }
      assert.ok(webhook.bodies.length > 0, "the runs sent alerts");
      assertNoSecrets(
        "alerts",
        webhook.bodies.map((body) => body.slice(body.indexOf(" "))),
        [SECRET_ACCESS_KEY, SESSION_TOKEN, HOOK_SECRET],
      );
    });
  });
}

/** A write of stream "test_stream" to a new fauxqs queue, with these credentials, lines and settings. */
export type RedactionWrite = (
  credentials: Record<string, string>,
  lines: string[],
  settings?: Record<string, unknown>,
) => Promise<CliResult>;

/** Starts fauxqs for the calling suite and returns its write, which skips rejected rows. */
export function redactionWriter(): RedactionWrite {
  let emulator: Emulator;
  before(async () => {
    emulator = await startFauxqs();
  });
  after(() => emulator.stop());

  return async (credentials, lines, settings = {}) => {
    const queueName = uniqueQueueName("redaction");
    await emulator.createQueue(queueName);
    const config = writeTempJson({
      region: TEST_REGION,
      endpoint: emulator.endpoint,
      credentials: { auth_type: "access_key", access_key_id: "test", ...credentials },
      queue: { source: "static", value: queueName },
      rejected_rows: { policy: "skip" },
      ...settings,
    });
    const streamCatalog = writeTempJson(catalogOf([{ name: "test_stream" }]));
    return runCli(["write", "--config", config, "--catalog", streamCatalog], { stdin: lines.join("\n") + "\n" });
  };
}

/** A test: a failed write whose secrets occur in its own output keeps every line a valid message, its STATE unchanged. */
export function testPayloadsUnchanged(writeWith: RedactionWrite, secrets: Record<string, string>): void {
  test(`secrets ${JSON.stringify(Object.values(secrets))}: every line stays a valid message with its keys, STATE unchanged`, async () => {
    const state = JSON.stringify({ type: "STATE", state: { type: "LEGACY", data: { e: ":", n: 2024, at: "1e2" } } });
    const result = await writeWith(secrets, [recordLine("test_stream", { id: 1 }), state, recordLine("not_in_catalog", { id: 2 })]);
    // runCli has checked every line against the protocol schema.
    assert.equal(result.code, 1);
    assert.deepEqual(
      result.stdout.split("\n").filter((line) => line.includes('"STATE"')),
      [`${state.slice(0, -2)},"destinationStats":{"recordCount":1}}}`],
    );
    const trace = result.messages.find((message) => message.type === "TRACE");
    assert.ok(trace?.type === "TRACE");
    assert.equal(trace.trace.error?.failure_type, "config_error");
    assert.match(trace.trace.error?.message ?? "", /not_in_catalog/);
  });
}
