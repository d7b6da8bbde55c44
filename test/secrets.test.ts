// No secret ever leaves the connector: representative commands, succeeding and failing, run with
// distinctive secret values, and all they print (stdout, stderr, alert bodies) is searched for them.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { catalogOf, recordLine, stateLine } from "./helpers/airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./helpers/cli.js";
import { emulatorConfigFile, startFauxqs, uniqueQueueName, withMoto, type Emulator } from "./helpers/emulators.js";
import { accessKeyCredentials } from "./helpers/iam.js";

// Quotes and backslashes check that redaction also finds the JSON-escaped form.
const SECRET_ACCESS_KEY = 'sak/"quoted\\slash+SECRET-7f3a9c';
const SESSION_TOKEN = "FwoGZXIvYXdzEsessionSECRETtoken41d2";
const HOOK_SECRET = "hookSECRET0c41";
const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
const input = [recordLine("orders", { id: 1 }), recordLine("orders", { id: 2 }), stateLine("s")].join("\n") + "\n";

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
      ["check of an unreachable endpoint", ["check", "--config", config({ endpoint: unreachable, queue: { source: "static", value: queueName } })]],
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
    assertNoSecrets("alerts", webhook.bodies.map((body) => body.slice(body.indexOf(" "))), [SECRET_ACCESS_KEY, SESSION_TOKEN, HOOK_SECRET]);
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
