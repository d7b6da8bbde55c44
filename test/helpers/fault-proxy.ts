// An HTTP proxy on 127.0.0.1 that sits between the connector and an SQS emulator and injects the
// faults real SQS produces, into SendMessageBatch requests only (or S3 PutObject requests only),
// drawn reproducibly from a seed.
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { listenOnLoopback } from "./fake-endpoints.js";
import { seededRandom } from "./seeded-random.js";

export type FaultKind =
  /** 400 ThrottlingException, with the query-compatible code RequestThrottled. */
  | "throttle"
  /** 500 InternalError. */
  | "server_error"
  /** 503 with an HTML body, as a load balancer answers: the SDK cannot parse it. */
  | "unavailable"
  /** The connection is reset before the request reaches SQS: nothing is stored. */
  | "reset_before"
  /** The request is forwarded, SQS stores the batch, then the connection is reset instead of answering. */
  | "reset_after"
  /** The request is held for `delayMs` (past the connector's request timeout), then forwarded. */
  | "delay"
  /** The request is forwarded; the answer is rewritten so that some stored entries read as Failed, SenderFault false. */
  | "partial_failure"
  /** 403 AccessDenied, as a bucket or queue policy that refuses the credentials answers: not a transient fault. */
  | "access_denied"
  /** The request is forwarded and stored; the answer's MD5s of body and attributes are altered, as by a corrupting middlebox. */
  | "altered_md5";

export const ALL_FAULTS: readonly FaultKind[] = [
  "throttle",
  "server_error",
  "unavailable",
  "reset_before",
  "reset_after",
  "delay",
  "partial_failure",
];

export interface FaultProxyOptions {
  /** The emulator's endpoint, e.g. http://127.0.0.1:4566. */
  target: string;
  /** Seeds the draws: the n-th SendMessageBatch request gets the same fault on every run. */
  seed: number;
  /** Chance, 0–1, that a SendMessageBatch request is faulted. */
  faultRate: number;
  /** Faults to draw from, evenly. Default: all of them. */
  faults?: readonly FaultKind[];
  /** How long a delayed request is held before it is forwarded. Default 1,500 ms. */
  delayMs?: number;
  /** Which requests are faulted: SQS SendMessageBatch (default) or S3 PutObject, answered in S3's XML. */
  requests?: "send_message_batch" | "s3_put_object";
  /** Only requests whose path matches are faulted (e.g. one S3 object's key). Default: all of the kind. */
  pathMatches?: RegExp;
  /** No request is faulted after this many faults. Default: no limit. */
  maxFaults?: number;
}

export interface FaultProxy {
  /** Point the connector's `endpoint` here. */
  endpoint: string;
  /** Requests of the faulted kind seen (SendMessageBatch, or PutObject), and how many got each fault. */
  readonly batchRequests: number;
  readonly injected: Readonly<Record<FaultKind, number>>;
  /** Changes the fault rate from the next request on (e.g. 0 to let a retried sync through). */
  setFaultRate(rate: number): void;
  stop(): Promise<void>;
}

const SEND_MESSAGE_BATCH = "AmazonSQS.SendMessageBatch";
const JSON_CONTENT_TYPE = "application/x-amz-json-1.0";

interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const random = seededRandom(options.seed);
  const faults = options.faults ?? ALL_FAULTS;
  const delayMs = options.delayMs ?? 1500;
  const s3 = options.requests === "s3_put_object";
  let faultRate = options.faultRate;
  let batchRequests = 0;
  const injected = Object.fromEntries([...ALL_FAULTS, "access_denied", "altered_md5"].map((kind) => [kind, 0])) as Record<
    FaultKind,
    number
  >;
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const stopped = new AbortController();

  const draw = (): FaultKind | undefined => {
    // Two draws per request whatever the rate, so a request's fault depends only on its position.
    const faulted = random() < faultRate;
    const kind = faults[Math.floor(random() * faults.length)];
    return faulted ? kind : undefined;
  };

  const forward = (incoming: IncomingMessage, body: Buffer): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
          agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on("error", reject);
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });

  const reply = (response: ServerResponse, upstream: Upstream): void => {
    if (response.destroyed) return;
    const headers: Upstream["headers"] = { ...upstream.headers, "content-length": String(upstream.body.length) };
    delete headers["transfer-encoding"];
    response.writeHead(upstream.status, headers);
    response.end(upstream.body);
  };

  const jsonError = (status: number, type: string, message: string, queryCode?: string): Upstream => ({
    status,
    headers: {
      "content-type": JSON_CONTENT_TYPE,
      ...(queryCode ? { "x-amzn-query-error": queryCode } : {}),
    },
    body: Buffer.from(JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message })),
  });

  const failSomeEntries = (upstream: Upstream): Upstream => {
    if (upstream.status !== 200 || s3) return upstream;
    const answer = JSON.parse(upstream.body.toString("utf8")) as {
      Successful?: { Id: string }[];
      Failed?: { Id: string; SenderFault: boolean; Code: string; Message?: string }[];
    };
    const successful = answer.Successful ?? [];
    const keep = successful.filter((_, index) => index % 2 === 1);
    const failed = successful
      .filter((_, index) => index % 2 === 0)
      .map((entry) => ({ Id: entry.Id, SenderFault: false, Code: "InternalError", Message: "injected by the fault proxy" }));
    const rewritten = { ...answer, Successful: keep, Failed: [...(answer.Failed ?? []), ...failed] };
    return { ...upstream, body: Buffer.from(JSON.stringify(rewritten)) };
  };

  const alterMd5s = (upstream: Upstream): Upstream => {
    if (upstream.status !== 200 || s3) return upstream;
    const answer = JSON.parse(upstream.body.toString("utf8")) as { Successful?: Record<string, unknown>[] };
    const altered = (md5: unknown) => (typeof md5 === "string" ? md5.replace(/^./, (first) => (first === "0" ? "1" : "0")) : md5);
    const successful = (answer.Successful ?? []).map((entry) => ({
      ...entry,
      MD5OfMessageBody: altered(entry.MD5OfMessageBody),
      MD5OfMessageAttributes: altered(entry.MD5OfMessageAttributes),
    }));
    return { ...upstream, body: Buffer.from(JSON.stringify({ ...answer, Successful: successful })) };
  };

  const handle = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const ofKind = s3 ? isPutObject(incoming) : incoming.headers["x-amz-target"] === SEND_MESSAGE_BATCH;
    const faultable = ofKind && (options.pathMatches?.test(incoming.url ?? "") ?? true);
    if (faultable) batchRequests++;
    const totalInjected = Object.values(injected).reduce((sum, count) => sum + count, 0);
    const fault = faultable && totalInjected < (options.maxFaults ?? Number.POSITIVE_INFINITY) ? draw() : undefined;
    if (fault !== undefined) injected[fault]++;
    switch (fault) {
      case undefined:
        return reply(response, await forward(incoming, body));
      case "throttle":
        if (s3) return reply(response, xmlError(503, "SlowDown", "Please reduce your request rate."));
        return reply(response, jsonError(400, "ThrottlingException", "Rate exceeded", "RequestThrottled;Sender"));
      case "server_error":
        if (s3) return reply(response, xmlError(500, "InternalError", "We encountered an internal error. Please try again."));
        return reply(response, jsonError(500, "InternalError", "We encountered an internal error. Please try again."));
      case "access_denied":
        if (s3) return reply(response, xmlError(403, "AccessDenied", "Access Denied"));
        return reply(response, jsonError(400, "AccessDenied", "Access to the resource is denied.", "AccessDenied;Sender"));
      case "unavailable":
        return reply(response, {
          status: 503,
          headers: { "content-type": "text/html" },
          body: Buffer.from("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"),
        });
      case "reset_before":
        incoming.socket.resetAndDestroy();
        return;
      case "reset_after":
        await forward(incoming, body);
        incoming.socket.resetAndDestroy();
        return;
      case "delay":
        await sleep(delayMs, undefined, { signal: stopped.signal });
        return reply(response, await forward(incoming, body));
      case "partial_failure":
        return reply(response, failSomeEntries(await forward(incoming, body)));
      case "altered_md5":
        return reply(response, alterMd5s(await forward(incoming, body)));
    }
  };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      if (response.headersSent || response.destroyed) return;
      response.writeHead(502, { "content-type": "text/plain" });
      response.end(`fault proxy: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  const listening = await listenOnLoopback(server, () => stopped.abort());

  return {
    endpoint: listening.endpoint,
    get batchRequests() {
      return batchRequests;
    },
    injected,
    setFaultRate(rate: number) {
      faultRate = rate;
    },
    async stop() {
      await listening.stop();
      agent.destroy();
    },
  };
}

/** An S3 PutObject: a PUT of an object (bucket and key in the path-style URL), not of a bucket. */
function isPutObject(incoming: IncomingMessage): boolean {
  const path = new URL(incoming.url ?? "/", "http://proxy").pathname;
  return incoming.method === "PUT" && path.split("/").filter((segment) => segment !== "").length >= 2;
}

function xmlError(status: number, code: string, message: string): Upstream {
  return {
    status,
    headers: { "content-type": "application/xml" },
    body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`),
  };
}
