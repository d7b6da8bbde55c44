// npm run demo: starts the fauxqs SQS emulator on a free loopback port, creates a queue, pipes a
// sample catalog and records through the real CLI's `write`, then shows what arrived in the queue.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
// The demo's own SQS client would otherwise warn on stderr that Node 20 is past its end of life.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const catalog = {
  streams: [
    {
      stream: { name: "customers", json_schema: { type: "object" } },
      sync_mode: "incremental",
      destination_sync_mode: "append_dedup",
      primary_key: [["id"]],
    },
  ],
};

const customers = [
  { id: 1, full_name: "Ada Lovelace", age: 36, email_address: "ada@example.com", phone_number: "+441632960001", op: "insert" },
  { id: 2, full_name: 'Grace "Amazing" Hopper', age: 85, email_address: "grace@example.com", phone_number: "+12025550143", op: "insert" },
  { id: 1, full_name: "Ada King", age: 36, email_address: "ada@example.com", phone_number: "+441632960001", op: "update" },
  { id: 3, full_name: "Alan Turing", age: 41, email_address: "alan@example.com", phone_number: "+441632960002", op: "insert" },
  { id: 2, full_name: "Grace Hopper", age: 85, email_address: "grace@example.com", phone_number: "+12025550143", op: "delete" },
];

const bodyTemplate = `{
  "event": "customer.{{ change }}",
  "name": "{{ row.full_name }}",
  "age": {{ row.age }},
  "contact_info": [
    { "type": "email", "value": "{{ row.email_address }}" },
    { "type": "phone", "value": "{{ row.phone_number }}" }
  ]
}`;

function inputLines(): string {
  const lines = customers.map((data, index) =>
    JSON.stringify({ type: "RECORD", record: { stream: "customers", data, emitted_at: 1_700_000_000_000 + index } }),
  );
  lines.splice(3, 0, JSON.stringify({ type: "STATE", state: { type: "LEGACY", data: { cursor: 3 } } }));
  lines.push(JSON.stringify({ type: "STATE", state: { type: "LEGACY", data: { cursor: 5 } } }));
  return lines.join("\n") + "\n";
}

function runWrite(configPath: string, catalogPath: string, input: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "dist/main.js"), "write", "--config", configPath, "--catalog", catalogPath], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.on("error", reject).on("close", (code) => resolve({ code, stdout }));
    child.stdin.end(input);
  });
}

async function drain(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"] }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) bodies.push(`${message.Body}  attributes=${JSON.stringify(message.MessageAttributes ?? {})}`);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
      }),
    );
  }
  return bodies;
}

const emulator = await startFauxqs({ port: 0, logger: false });
const workDir = mkdtempSync(join(tmpdir(), "destination-sqs-demo-"));
try {
  const { queueUrl } = emulator.createQueue("customer-events");
  const config = {
    region: "us-east-1",
    endpoint: emulator.address,
    credentials: { auth_type: "access_key", access_key_id: "demo", secret_access_key: "demo-secret" },
    queue: { source: "static", value: "customer-events" },
    message_body: { format: "template", template: bodyTemplate },
    message_attributes: [{ name: "change", data_type: "String", value: { source: "template", template: "{{ change }}" } }],
    change_detection: { mode: "field", field: "op" },
  };
  const configPath = join(workDir, "config.json");
  const catalogPath = join(workDir, "catalog.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  writeFileSync(catalogPath, JSON.stringify(catalog, null, 2));

  console.log(`SQS emulator (fauxqs) at ${emulator.address}; queue ${queueUrl}\n`);
  console.log("Config:\n" + JSON.stringify(config, null, 2) + "\n");
  const input = inputLines();
  console.log("Input piped to `destination-sqs write`:\n" + input);
  const { code, stdout } = await runWrite(configPath, catalogPath, input);
  console.log(`Connector output (exit code ${code}):\n${stdout}`);

  const sqs = new SQSClient({
    region: "us-east-1",
    endpoint: emulator.address,
    credentials: { accessKeyId: "demo", secretAccessKey: "demo-secret" },
  });
  const bodies = await drain(sqs, queueUrl);
  console.log(`Messages in queue customer-events (${bodies.length}):`);
  for (const body of bodies) console.log("  " + body);
  sqs.destroy();
  if (code !== 0 || bodies.length !== customers.length) process.exitCode = 1;
} finally {
  rmSync(workDir, { recursive: true, force: true });
  await emulator.stop();
}
