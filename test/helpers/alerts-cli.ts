// What the alerts tests through the CLI share: a local server recording the alerts it receives, fauxqs,
// configs publishing to a new queue, and the rows and LOG lines of a sync.
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before } from "node:test";
import { startFauxqs } from "fauxqs";
import { SUMMARY_PREFIX, type SyncSummary } from "../../src/observe/summary.js";
import type { AirbyteMessage, LogLevel } from "../../src/protocol/messages.js";
import { catalogOf, recordLine } from "./airbyte.js";
import { writeTempJson } from "./cli.js";
import { emulatorConfigFile, uniqueQueueName } from "./emulators.js";

export interface RecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface Recorder {
  url: string;
  requests: RecordedRequest[];
  /** Requests whose path starts with `path`. */
  to(path: string): RecordedRequest[];
  stop(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records every POST and answers `status` (or never, with "hang"). */
export async function startRecorder(status: number | "hang" = 200): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      requests.push({
        path: request.url ?? "",
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>,
      });
      if (status === "hang") return;
      response.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    to: (path) => requests.filter((request) => request.path.startsWith(path)),
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export const catalog = writeTempJson(catalogOf([{ name: "orders" }]));

export function logs(messages: AirbyteMessage[], level?: LogLevel): string[] {
  return messages.flatMap((message) =>
    message.type === "LOG" && (level === undefined || message.log.level === level) ? [message.log.message] : [],
  );
}

export function summaryOf(messages: AirbyteMessage[]): SyncSummary {
  const line = logs(messages).find((text) => text.startsWith(SUMMARY_PREFIX));
  assert.ok(line, "a SYNC_SUMMARY line");
  return JSON.parse(line.slice(SUMMARY_PREFIX.length)) as SyncSummary;
}

/** A row the composer rejects: its Number attribute is not a number. */
export function badRow(id: number): string {
  return recordLine("orders", { id, amount: "not a number" });
}

export function goodRow(id: number): string {
  return recordLine("orders", { id, amount: id * 10 });
}

export interface AlertsFixture {
  recorder: Recorder;
  /** A config publishing to a new queue, with a Number attribute taken from column "amount". */
  configWith(settings: Record<string, unknown>): string;
}

/** Starts fauxqs and a recorder for the calling suite. */
export function alertsFixture(): AlertsFixture {
  let sqs: Awaited<ReturnType<typeof startFauxqs>>;
  const fixture: AlertsFixture = {
    recorder: undefined as unknown as Recorder,
    configWith(settings) {
      const queue = uniqueQueueName("alerts");
      sqs.createQueue(queue);
      return emulatorConfigFile(sqs.address, {
        queue: { source: "static", value: queue },
        message_attributes: [{ name: "amount", data_type: "Number", value: { source: "column", column: "amount" } }],
        ...settings,
      });
    },
  };
  before(async () => {
    sqs = await startFauxqs({ port: 0, logger: false });
    fixture.recorder = await startRecorder();
  });
  after(async () => {
    await fixture.recorder.stop();
    await sqs.stop();
  });
  return fixture;
}
