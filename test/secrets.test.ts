// No secret ever leaves the connector: representative commands, succeeding and failing, run with
// distinctive secret values, and all they print (stdout, stderr, alert bodies) is searched for them.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { catalogOf, recordLine, stateLine } from "./helpers/airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./helpers/cli.js";
import { emulatorConfigFile, startFauxqs, uniqueQueueName, withMoto, type Emulator } from "./helpers/emulators.js";
import { TEST_REGION } from "./helpers/config.js";
import { accessKeyCredentials } from "./helpers/iam.js";

// Quotes and backslashes check that redaction also finds the JSON-escaped form.
const SECRET_ACCESS_KEY = 'sak/"quoted\\slash+SECRET-7f3a9c';
const SESSION_TOKEN = "FwoGZXIvYXdzEsessionSECRETtoken41d2";
const HOOK_SECRET = "hookSECRET0c41";
const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
const input = [recordLine("orders", { id: 1 }), recordLine("orders", { id: 2 }), stateLine({ s: 1 })].join("\n") + "\n";

/** Every way a secret could appear in output: as is, JSON-escaped, URL-encoded. */
function formsOf(secret: string): string[] {
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])];
}

function assertNoSecrets(label: string, texts: string[], secrets: string[]): void {
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

function outputsOf(result: CliResult): string[] {
  return [result.stdout, result.stderr];
}

describe("secrets never appear in output (fauxqs)", () => {
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

  test("check, write, and their failures", async () => {
    const queueName = uniqueQueueName("secrets");
    await emulator.createQueue(queueName);
    const unreachable = "http://127.0.0.1:1";
    const runs: [string, string[], string?][] = [
      ["check", ["check", "--config", config({ queue: { source: "static", value: queueName } })]],
      [
        "check of an unreachable endpoint",
        ["check", "--config", config({ endpoint: unreachable, queue: { source: "static", value: queueName } })],
      ],
      ["check of a missing queue", ["check", "--config", config({ queue: { source: "static", value: "no-such-queue" } })]],
      ["write", ["write", "--config", config({ queue: { source: "static", value: queueName } }), "--catalog", catalog], input],
      [
        "write to a missing queue",
        ["write", "--config", config({ queue: { source: "static", value: "no-such-queue" } }), "--catalog", catalog],
        input,
      ],
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
      ["write with an invalid setting", ["write", "--config", config({ max_in_flight: 0 }), "--catalog", catalog], input],
    ];
    for (const [label, args, stdin] of runs) {
      const result = await runCli(args, { stdin: stdin ?? "", timeoutMs: 30_000 });
      assert.ok(result.stdout.length > 0, `${label} printed something`);
      assertNoSecrets(label, outputsOf(result), [SECRET_ACCESS_KEY, SESSION_TOKEN, HOOK_SECRET]);
    }
    assertNoSecrets(
      "alerts",
      webhook.bodies.map((body) => body.slice(body.indexOf(" "))),
      [SECRET_ACCESS_KEY, SESSION_TOKEN, HOOK_SECRET],
    );
  });
});

withMoto("secrets never appear in output, assumed roles included", (context) => {
  test("a write through an assumed role, and one whose secret is wrong", async () => {
    const { emulator } = context;
    const queueUrl = await emulator.createQueue(uniqueQueueName("secrets-role"));
    const user = await emulator.createUser("secrets-user", ["sts:AssumeRole"]);
    const roleArn = await emulator.createRole("secrets-role", ["sqs:*"], { userArn: user.arn });
    await emulator.enforceAuth();
    const configFor = (secretAccessKey: string) =>
      emulatorConfigFile(emulator.endpoint, {
        credentials: accessKeyCredentials({ accessKeyId: user.accessKeyId, secretAccessKey }),
        role_arn: roleArn,
        queue: { source: "static", value: queueUrl },
        log_api_calls: true,
        retry_max_seconds: 2,
      });

    const assumed = await runCli(["write", "--config", configFor(user.secretAccessKey), "--catalog", catalog], { stdin: input });
    assert.equal(assumed.code, 0, assumed.stdout);
    const issued = await assumedRoleSecrets(emulator.endpoint);
    assert.ok(issued.length > 0, "moto issued the role's credentials");
    assertNoSecrets("write through an assumed role", outputsOf(assumed), [user.secretAccessKey, ...issued]);

    const wrong = await runCli(["write", "--config", configFor(SECRET_ACCESS_KEY), "--catalog", catalog], { stdin: input });
    assert.equal(wrong.code, 1);
    assertNoSecrets("write with a wrong secret", outputsOf(wrong), [SECRET_ACCESS_KEY, user.secretAccessKey, ...issued]);
  });
});

/** The secret keys and session tokens moto handed out for assumed roles. */
async function assumedRoleSecrets(endpoint: string): Promise<string[]> {
  const response = await fetch(`${endpoint}/moto-api/data.json`);
  const data = (await response.json()) as { sts?: { AssumedRole?: Record<string, unknown>[] } };
  return (data.sts?.AssumedRole ?? []).flatMap((role) =>
    [role.secret_access_key, role.session_token].filter((value): value is string => typeof value === "string" && value !== ""),
  );
}

describe("redaction never alters protocol payloads (fauxqs)", () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startFauxqs();
  });
  after(() => emulator.stop());

  async function writeWith(
    credentials: Record<string, string>,
    lines: string[],
    settings: Record<string, unknown> = {},
  ): Promise<CliResult> {
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
  }

  const cursorState = JSON.stringify({
    type: "STATE",
    state: { type: "STREAM", stream: { stream_descriptor: { name: "test_stream" }, stream_state: { cursor: "latest" } }, id: 1 },
  });

  test('a short secret ("test") leaves STATEs and logs as they are: a secret that short is not searched for in text', async () => {
    const result = await writeWith(
      { secret_access_key: "test" },
      [recordLine("test_stream", { id: 1, delay: "0" }), recordLine("test_stream", { id: 2, delay: "latest test value" }), cursorState],
      { delay_seconds: { source: "column", column: "delay" } },
    );
    assert.equal(result.code, 0, result.stdout);
    const echoed = result.stdout.split("\n").filter((line) => line.includes('"STATE"'));
    assert.deepEqual(echoed, [`${cursorState.slice(0, -2)},"destinationStats":{"recordCount":1,"rejectedRecordCount":1}}}`]);
    const warning = result.messages.find((message) => message.type === "LOG" && message.log.message.startsWith("Rejected row"));
    assert.ok(warning?.type === "LOG");
    assert.match(warning.log.message, /stream "test_stream"/);
    assert.match(warning.log.message, /"latest test value"/);
    assert.ok(!result.stdout.includes("**********"), "nothing was masked");
  });

  for (const secrets of [
    { secret_access_key: "e", session_token: ":" },
    { secret_access_key: "1", session_token: "2024" },
    // Long enough to be searched, and each the name of a key the connector prints.
    { secret_access_key: "destinationStats", session_token: "failure_type" },
  ]) {
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

  test("a long secret is masked in the text the connector writes (a rejection quoting it), but not in the echoed STATE", async () => {
    const secret = "sEcReT-value-0123456789";
    const state = JSON.stringify({ type: "STATE", state: { type: "LEGACY", data: { cursor: secret } } });
    const result = await writeWith({ secret_access_key: secret }, [recordLine("test_stream", { id: 1, delay: secret }), state], {
      delay_seconds: { source: "column", column: "delay" },
    });
    assert.equal(result.code, 0, result.stdout);
    const warning = result.messages.find((message) => message.type === "LOG" && message.log.message.startsWith("Rejected row"));
    assert.ok(warning?.type === "LOG");
    assert.ok(!warning.log.message.includes(secret));
    assert.match(warning.log.message, /\*{10}/);
    assert.deepEqual(
      result.stdout.split("\n").filter((line) => line.includes('"STATE"')),
      [`${state.slice(0, -2)},"destinationStats":{"recordCount":0,"rejectedRecordCount":1}}}`],
    );
  });
});
