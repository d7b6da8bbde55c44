// A stand-in SQS for benchmarks: answers SendMessageBatch (with the right MD5 of every body) and
// ListQueues in the AWS JSON protocol, at once or after a fixed delay. Runs as its own process so
// its CPU time is not the connector's. Prints {"port": N} on stdout once it listens.
//
//   node --import tsx bench/endpoint.ts [--delay-ms 20] [--delay-schedule 10,4000:200,12000:10]
//                                       [--requests-per-second 300 --burst 60]
//                                       [--fault-rate 0.05 --fault-seed 1]
//
// --delay-schedule changes the delay over time: `ms` from the first request after a reset, then
// `at:ms` pairs (ms since that first request). --requests-per-second answers SendMessageBatch
// beyond a token bucket of that rate (holding --burst requests) with HTTP 400 ThrottlingException,
// after the same delay as an accepted request. --fault-rate answers that share of SendMessageBatch
// requests, drawn from --fault-seed (the same requests, by position since the last reset, on every
// run), with one of the random faults real SQS produces now and then, in turn: an HTTP 503 from the
// load balancer, RequestThrottled, the batch stored and then the connection reset, no answer at all
// (the connector's request timeout ends it), or a partial failure (half the entries Failed,
// InternalError, the other half stored).
//
// GET /stats answers what it saw since the last POST /reset: requests, messages, most requests in
// flight at once (overall and within one FIFO message group), FIFO order violations, throttled
// requests, messages accepted in each second since the first request, and with faults the faults
// injected and the distinct records stored (a record stored twice, after a reset, counts once).

import { hash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { seededRandom } from "../test/helpers/seeded-random.js";

const ACCOUNT = "123456789012";
/** The sequence number the benchmark's template puts in each body, checked per FIFO group. */
const SEQUENCE = /"id":(\d+)/;

interface Entry {
  Id: string;
  MessageBody: string;
  MessageGroupId?: string;
}

export interface EndpointStats {
  requests: number;
  messages: number;
  maxInFlight: number;
  maxGroupInFlight: number;
  orderViolations: number;
  throttled: number;
  messagesPerSecond: number[];
  /** With --fault-rate: the faults injected, and the distinct records stored. */
  faults: number;
  distinctRecords: number;
}

/** The random faults, drawn in turn. */
const FAULTS = ["unavailable", "throttled", "reset_after_storing", "no_answer", "partial_failure"] as const;
type Fault = (typeof FAULTS)[number];

function argument(flag: string): string | undefined {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** The delay in force from each time on (ms since the first request), latest first. */
const delaySchedule: { from: number; delayMs: number }[] = (argument("--delay-schedule") ?? argument("--delay-ms") ?? "0")
  .split(",")
  .map((step) => {
    const [from, delay] = step.includes(":") ? step.split(":") : ["0", step];
    return { from: Number(from), delayMs: Number(delay) };
  })
  .reverse();
const requestsPerSecond = Number(argument("--requests-per-second") ?? 0);
const faultRate = Number(argument("--fault-rate") ?? 0);
const faultSeed = Number(argument("--fault-seed") ?? 1);
const burst = Number(argument("--burst") ?? requestsPerSecond);

let firstRequestAt: number | undefined;
let tokens = burst;
let tokensAt = 0;

function delayNow(since: number): number {
  return delaySchedule.find((step) => since >= step.from)?.delayMs ?? 0;
}

/** Takes a token from the bucket; false when it is empty (the request is throttled). */
function takeToken(now: number): boolean {
  if (requestsPerSecond <= 0) return true;
  tokens = Math.min(burst, tokens + ((now - tokensAt) * requestsPerSecond) / 1000);
  tokensAt = now;
  if (tokens < 1) return false;
  tokens--;
  return true;
}

let stats: EndpointStats;
let inFlight: number;
const groupInFlight = new Map<string, number>();
const groupLastSequence = new Map<string, number>();
let messageCounter = 0;
let random = seededRandom(faultSeed);
const storedRecords = new Set<number>();

function reset(): void {
  stats = {
    requests: 0,
    messages: 0,
    maxInFlight: 0,
    maxGroupInFlight: 0,
    orderViolations: 0,
    throttled: 0,
    messagesPerSecond: [],
    faults: 0,
    distinctRecords: 0,
  };
  random = seededRandom(faultSeed);
  storedRecords.clear();
  inFlight = 0;
  firstRequestAt = undefined;
  tokens = burst;
  tokensAt = performance.now();
  groupInFlight.clear();
  groupLastSequence.clear();
}
reset();

function answer(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, "content-type": "application/x-amz-json-1.0", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

const THROTTLING = { __type: "com.amazonaws.sqs#ThrottlingException", message: "Rate exceeded" };

/** Counts the request's FIFO groups in flight and checks each group's sequence numbers only grow. */
function enterGroups(entries: Entry[]): string[] {
  const groups = new Set<string>();
  for (const entry of entries) {
    if (entry.MessageGroupId === undefined) continue;
    const group = entry.MessageGroupId;
    const sequence = Number(SEQUENCE.exec(entry.MessageBody)?.[1] ?? -1);
    if (sequence <= (groupLastSequence.get(group) ?? -1)) stats.orderViolations++;
    groupLastSequence.set(group, sequence);
    groups.add(group);
  }
  for (const group of groups) {
    const count = (groupInFlight.get(group) ?? 0) + 1;
    groupInFlight.set(group, count);
    stats.maxGroupInFlight = Math.max(stats.maxGroupInFlight, count);
  }
  return [...groups];
}

/** Answers after the request's delay (at once when there is none). */
function later(delayMs: number, action: () => void): void {
  if (delayMs > 0) setTimeout(action, delayMs);
  else action();
}

function throttle(response: ServerResponse, delayMs: number): void {
  stats.throttled++;
  later(delayMs, () => answer(response, 400, THROTTLING));
}

/** Two draws per request whatever the rate, so that a request's fault depends only on its position. */
function drawFault(): Fault | undefined {
  if (faultRate <= 0) return undefined;
  const faulted = random() < faultRate;
  const kind = FAULTS[Math.floor(random() * FAULTS.length)];
  return faulted ? kind : undefined;
}

/** Answers a fault that stores nothing; false for the faults that store some or all of the batch. */
function failWithoutStoring(fault: Fault | undefined, response: ServerResponse, delayMs: number): boolean {
  switch (fault) {
    case "unavailable":
      later(delayMs, () => {
        response.writeHead(503, { "content-type": "text/html" });
        response.end("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>");
      });
      return true;
    case "throttled":
      later(delayMs, () => answer(response, 400, THROTTLING, { "x-amzn-query-error": "RequestThrottled;Sender" }));
      return true;
    case "no_answer":
      // The connector's request timeout ends it.
      return true;
    default:
      return false;
  }
}

function noteDistinctRecords(entries: Entry[]): void {
  for (const entry of entries) storedRecords.add(Number(SEQUENCE.exec(entry.MessageBody)?.[1] ?? -1));
  stats.distinctRecords = storedRecords.size;
}

function sendMessageBatch(input: { Entries: Entry[] }, response: ServerResponse): void {
  const now = performance.now();
  firstRequestAt ??= now;
  const delayMs = delayNow(now - firstRequestAt);
  if (!takeToken(now)) {
    throttle(response, delayMs);
    return;
  }
  const fault = drawFault();
  if (fault !== undefined) stats.faults++;
  if (failWithoutStoring(fault, response, delayMs)) return;
  // A partial failure stores every other entry and fails the rest.
  const stored = fault === "partial_failure" ? input.Entries.filter((_, index) => index % 2 === 1) : input.Entries;
  const failed =
    fault === "partial_failure"
      ? input.Entries.filter((_, index) => index % 2 === 0).map((entry) => ({
          Id: entry.Id,
          SenderFault: false,
          Code: "InternalError",
          Message: "injected by the benchmark endpoint",
        }))
      : [];
  stats.requests++;
  stats.messages += stored.length;
  if (faultRate > 0) noteDistinctRecords(stored);
  const second = Math.floor((now + delayMs - firstRequestAt) / 1000);
  for (let missing = stats.messagesPerSecond.length; missing <= second; missing++) stats.messagesPerSecond.push(0);
  stats.messagesPerSecond[second]! += stored.length;
  inFlight++;
  stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
  const groups = enterGroups(stored);
  const successful = stored.map((entry) => ({
    Id: entry.Id,
    MessageId: `m-${++messageCounter}`,
    MD5OfMessageBody: hash("md5", entry.MessageBody, "hex"),
  }));
  later(delayMs, () => {
    inFlight--;
    for (const group of groups) groupInFlight.set(group, (groupInFlight.get(group) ?? 1) - 1);
    if (fault === "reset_after_storing") response.socket?.resetAndDestroy();
    else answer(response, 200, { Successful: successful, Failed: failed });
  });
}

function handle(request: IncomingMessage, body: string, response: ServerResponse): void {
  if (request.method === "GET" && request.url === "/stats") {
    answer(response, 200, stats);
    return;
  }
  if (request.method === "POST" && request.url === "/reset") {
    reset();
    answer(response, 200, {});
    return;
  }
  const target = request.headers["x-amz-target"];
  const input = JSON.parse(body === "" ? "{}" : body) as Record<string, unknown>;
  if (target === "AmazonSQS.SendMessageBatch") sendMessageBatch(input as { Entries: Entry[] }, response);
  else if (target === "AmazonSQS.ListQueues") {
    const name = String(input.QueueNamePrefix ?? "bench");
    answer(response, 200, { QueueUrls: [`http://${request.headers.host}/${ACCOUNT}/${name}`] });
  } else answer(response, 400, { __type: "com.amazonaws.sqs#UnsupportedOperation", message: `${String(target)} is not emulated` });
}

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => handle(request, Buffer.concat(chunks).toString("utf8"), response));
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
