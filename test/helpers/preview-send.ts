// Runs `preview --send` through the built CLI against an emulator and reads its report back.
import assert from "node:assert/strict";
import type { SendReport } from "../../src/commands/send-report.js";
import { catalogOf, recordLine } from "./airbyte.js";
import { runCli, writeTempJson } from "./cli.js";
import { emulatorConfigFile } from "./emulators.js";

const catalog = writeTempJson(catalogOf([{ name: "orders", primaryKey: [["id"]] }]));

/** A record of stream "orders" (primary key `id`). */
export function orderLine(data: Record<string, unknown>): string {
  return recordLine("orders", data);
}

interface SendRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `preview --send N` with a config pointing at `endpoint`; `args` adds options (e.g. --json). */
export async function runSend(
  endpoint: string,
  settings: Record<string, unknown>,
  lines: string[],
  rows: number,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<SendRun> {
  const config = emulatorConfigFile(endpoint, { message_id: { source: "column", column: "id" }, ...settings });
  const result = await runCli(["preview", "--config", config, "--catalog", catalog, "--send", String(rows), ...args], {
    stdin: lines.join("\n") + "\n",
    output: "text",
    env,
  });
  assert.equal(result.stderr, "", "nothing on stderr, no stack trace");
  return result;
}

/** runSend with --json: the report parsed back, and the exit code. */
export async function sendJson(
  endpoint: string,
  settings: Record<string, unknown>,
  lines: string[],
  rows: number,
  env: Record<string, string> = {},
): Promise<{ code: number | null; report: SendReport }> {
  const result = await runSend(endpoint, settings, lines, rows, ["--json"], env);
  let report: SendReport;
  try {
    report = JSON.parse(result.stdout) as SendReport;
  } catch {
    assert.fail(`preview --send --json printed something other than one JSON document:\n${result.stdout}`);
  }
  return { code: result.code, report };
}

/** The text of the queue's finding on `topic`. */
export function findingText(report: SendReport, queueUrl: string, topic: string): string {
  const queue = report.queues.find((each) => each.queue_url === queueUrl);
  assert.ok(queue, `no inspection of ${queueUrl} in ${JSON.stringify(report.queues.map((each) => each.queue_url))}`);
  const finding = queue.findings.find((each) => each.topic === topic);
  assert.ok(finding, `no ${topic} finding for ${queueUrl}: ${JSON.stringify(queue.findings)}`);
  return finding.text;
}
