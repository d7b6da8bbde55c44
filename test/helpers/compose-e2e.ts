// Shared by the composition, routing, rejected-rows and change-type integration tests: one
// `write` run against an emulator (of the built CLI, or in process), and readers of what it printed and delivered.
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import type { AirbyteMessage, StateMessage } from "../../src/protocol/messages.js";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "./airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./cli.js";
import { type Emulator, type ReceivedMessage, emulatorConfig, emulatorConfigFile } from "./emulators.js";
import { writeInProcess } from "./in-process.js";

/** The stream every test writes: "people", primary key `id`. */
export const STREAM = "people";
export const PEOPLE_CATALOG = writeTempJson(catalogOf([{ name: STREAM, primaryKey: [["id"]] }]));

/** What a write printed, read. */
export interface SyncOutput extends Pick<CliResult, "stdout" | "messages"> {
  states: StateMessage[];
  error: ReturnType<typeof errorTraceOf>;
  /** Messages of the WARN LOG lines. */
  warnings: string[];
}

export type SyncResult = CliResult & SyncOutput;

/** Input lines: one RECORD of stream "people" per row, then one STATE `{ "done": true }`. */
export function rowsThenState(rows: Record<string, unknown>[]): string[] {
  return [...rows.map((row) => recordLine(STREAM, row)), stateLine({ done: true })];
}

/** Runs `write` with `settings` (endpoint and credentials added) on `lines`. */
export async function runSync(emulator: Emulator, settings: Record<string, unknown>, lines: string[]): Promise<SyncResult> {
  const result = await runCli(["write", "--config", emulatorConfigFile(emulator.endpoint, settings), "--catalog", PEOPLE_CATALOG], {
    stdin: lines.join("\n") + "\n",
  });
  return { ...result, ...readOutput(result) };
}

/**
 * The same write run in this process (see writeInProcess), for tests of what a completed write
 * sends and prints; a write that fails fails the test.
 */
export async function syncInProcess(emulator: Emulator, settings: Record<string, unknown>, lines: string[]): Promise<SyncOutput> {
  return readOutput(await writeInProcess(emulatorConfig(emulator, settings), PEOPLE_CATALOG, lines.join("\n") + "\n"));
}

function readOutput(output: Pick<CliResult, "stdout" | "messages">): SyncOutput {
  const { messages } = output;
  return { ...output, states: statesOf(messages), error: errorTraceOf(messages), warnings: warningsOf(messages) };
}

function warningsOf(messages: AirbyteMessage[]): string[] {
  return messages.flatMap((message) => (message.type === "LOG" && message.log.level === "WARN" ? [message.log.message] : []));
}

/** What a failed assertion prints about a run. */
export function describeRun(result: CliResult): string {
  return `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

/** Each received body parsed, keyed by its `id` field. */
export function bodiesById(received: ReceivedMessage[]): Map<unknown, Record<string, unknown>> {
  const byId = new Map<unknown, Record<string, unknown>>();
  for (const message of received) {
    const body = JSON.parse(message.body) as Record<string, unknown>;
    byId.set(body.id, body);
  }
  return byId;
}

/** The ids of the received bodies, sorted. */
export function receivedIds(received: ReceivedMessage[]): unknown[] {
  return [...bodiesById(received).keys()].sort(compareIds);
}

function compareIds(a: unknown, b: unknown): number {
  return String(a).localeCompare(String(b), "en", { numeric: true });
}

/** The WARN lines that name a rejected row, as `[message id, reason]`. */
export function rejectionWarnings(result: SyncOutput): { messageId: string; reason: string }[] {
  return result.warnings.flatMap((warning) => {
    const match = /^Rejected row (\S+) of stream "[^"]*": (.*)$/s.exec(warning);
    return match ? [{ messageId: match[1]!, reason: match[2]! }] : [];
  });
}

export interface CountingProxy {
  endpoint: string;
  /** The SQS actions forwarded so far, in order, e.g. "ListQueues". */
  actions: string[];
  close(): Promise<void>;
}

/** An HTTP proxy in front of an emulator that records which SQS action each request was. */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const actions: string[] = [];
  const targetUrl = new URL(target);
  const server = createServer((request, response) => {
    const amzTarget = request.headers["x-amz-target"];
    actions.push(typeof amzTarget === "string" ? amzTarget.replace(/^AmazonSQS\./, "") : "unknown");
    const forwarded = httpRequest(
      { host: targetUrl.hostname, port: targetUrl.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on("error", () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    actions,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
