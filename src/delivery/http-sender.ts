// The lean path for the one hot call. The SDK's middleware stack costs ~30 µs per message; this
// signs SendMessageBatch itself (SigV4, see batch-signer.ts) using the SQS client's own credentials,
// and sends it over a keep-alive agent. Every other call (ListQueues, STS, check) stays with the SDK.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { MessageAttributeValue, SendMessageBatchRequestEntry, SQSClient } from "@aws-sdk/client-sqs";
import { type Deferred, deferred } from "../deferred.js";
import type { Cancellation } from "./cancellation.js";
import { SendFailure, sendFailureOf } from "../aws/send-failure.js";
import { BatchRequestSigner } from "./batch-signer.js";
import { batchResultOf, requestEntry, type BatchAnswer } from "./send-message-batch.js";
import type { BatchEntry, BatchResult, BatchSender } from "./types.js";

/** Where SendMessageBatch requests go. */
interface HttpSenderOptions {
  region: string;
  /** The configured endpoint (LocalStack, a VPC endpoint, an emulator); else the SDK's regional endpoint. */
  endpoint?: string | undefined;
  /** Sockets kept per host: at least the in-flight limit, so no request waits for a socket. */
  maxSockets: number;
}

/** Absent values stay undefined: JSON.stringify leaves them out. */
interface JsonAttribute {
  DataType?: string | undefined;
  StringValue?: string | undefined;
  BinaryValue?: string | undefined;
}

/** The SDK's entry shape, with binary attribute values as base64 text. */
type JsonEntry = Omit<SendMessageBatchRequestEntry, "MessageAttributes"> & {
  MessageAttributes?: Record<string, JsonAttribute> | undefined;
};

/** AWS JSON 1.0 carries blobs as base64 text. */
function jsonAttributes(attributes: Record<string, MessageAttributeValue>): Record<string, JsonAttribute> {
  const encoded: Record<string, JsonAttribute> = {};
  for (const [name, { DataType, StringValue, BinaryValue }] of Object.entries(attributes)) {
    encoded[name] = {
      DataType,
      StringValue,
      BinaryValue: BinaryValue === undefined ? undefined : Buffer.from(BinaryValue).toString("base64"),
    };
  }
  return encoded;
}

function jsonEntry(entry: BatchEntry): JsonEntry {
  const { attributes } = entry.message;
  return { ...requestEntry(entry), MessageAttributes: attributes && jsonAttributes(attributes) };
}

/** `prefix#Name:extra` → `Name`, as the SDK reads `__type` and x-amzn-errortype. */
function shapeName(type: string): string {
  const withoutExtra = type.split(":", 1)[0] ?? type;
  return withoutExtra.slice(withoutExtra.lastIndexOf("#") + 1);
}

/** Code and message of an error answer: AWS JSON (`__type`, `message`), or XML from emulators and proxies. */
function describeErrorBody(body: string): { code: string | undefined; message: string | undefined } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null) {
      const { __type, code, message, Message } = parsed as Record<string, unknown>;
      const type = typeof __type === "string" ? __type : typeof code === "string" ? code : undefined;
      const text = typeof message === "string" ? message : typeof Message === "string" ? Message : undefined;
      return { code: type && shapeName(type), message: text };
    }
  } catch {
    // Not JSON: try XML below.
  }
  const xml = (element: string) => new RegExp(`<${element}>([^<]*)</${element}>`).exec(body)?.[1];
  return { code: xml("Code"), message: xml("Message") };
}

function headerOf(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The error shape's name (e.g. "QueueDoesNotExist"), then the query-compatible code (x-amzn-query-error, e.g. "AWS.SimpleQueueService.NonExistentQueue"). */
function errorCodesOf(response: IncomingMessage, described: { code: string | undefined }): string[] {
  const headerType = headerOf(response, "x-amzn-errortype");
  const name = described.code ?? (headerType ? shapeName(headerType) : undefined);
  const queryCode = headerOf(response, "x-amzn-query-error")?.split(";", 1)[0];
  return [...new Set([name, queryCode].filter((code): code is string => code !== undefined && code !== "" && code !== "Error"))];
}

function requestFailureOf(response: IncomingMessage, body: string): SendFailure {
  const status = response.statusCode ?? 0;
  const described = describeErrorBody(body);
  const message = described.message ?? (body.trim() === "" ? `HTTP ${status}` : body.slice(0, 300));
  return new SendFailure(errorCodesOf(response, described), status, message);
}

function parseAnswer(response: IncomingMessage, body: string): BatchResult {
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) throw requestFailureOf(response, body);
  try {
    return batchResultOf(JSON.parse(body) as BatchAnswer);
  } catch {
    throw new SendFailure(
      ["InvalidResponse"],
      status,
      `SQS answered HTTP ${status} with a body that is not AWS JSON: ${body.slice(0, 200)}`,
    );
  }
}

/** Reads the answer to a request whole, then parses it. */
function readAnswer(response: IncomingMessage, answer: Deferred<BatchResult>): void {
  const chunks: Buffer[] = [];
  response.on("data", (chunk: Buffer) => chunks.push(chunk));
  response.on("error", answer.reject);
  response.on("end", () => {
    try {
      answer.resolve(parseAnswer(response, Buffer.concat(chunks).toString("utf8")));
    } catch (error) {
      answer.reject(error as Error);
    }
  });
}

/**
 * Sends a request and reads its answer. No callback that waits for the answer holds the body or the
 * headers: at hundreds of requests in flight they would otherwise stay in memory for a round trip
 * each, and be promoted to the old generation by the collector, after they were written.
 */
function post(send: typeof httpRequest, options: RequestOptions, body: Buffer, cancellation: Cancellation): Promise<BatchResult> {
  const answer = deferred<BatchResult>();
  const request = send(options, (response) => readAnswer(response, answer));
  request.on("error", answer.reject);
  cancellation.onCancel((reason) => request.destroy(reason));
  request.end(body);
  return answer.promise;
}

/** Sends SendMessageBatch requests signed (SigV4) with the SQS client's credentials. */
export class HttpBatchSender implements BatchSender {
  private readonly url: URL;
  private readonly path: string;
  private readonly signer: BatchRequestSigner;
  private readonly client: SQSClient;
  private readonly send: typeof httpRequest;
  private readonly agent: HttpAgent;
  /** SigV4's request time, to the second: formatted once a second instead of per request. */
  private amzDate = { second: -1, text: "" };

  constructor(client: SQSClient, options: HttpSenderOptions) {
    this.client = client;
    this.url = options.endpoint
      ? new URL(options.endpoint)
      : client.config.endpointProvider({ Region: options.region, UseFIPS: false, UseDualStack: false }).url;
    this.path = this.url.pathname.endsWith("/") ? this.url.pathname : `${this.url.pathname}/`;
    this.signer = new BatchRequestSigner({ host: this.url.host, path: this.path, region: options.region });
    const https = this.url.protocol === "https:";
    // Every socket stays open when it goes idle, not only 256 (Node's default maxFreeSockets): the
    // requests in flight swing by hundreds when the limit is high, and each socket closed at a dip
    // was opened again at the next rise, a TCP handshake and a new parser on both ends each time.
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
    this.agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.send = https ? httpsRequest : httpRequest;
  }

  async sendBatch(queueUrl: string, entries: BatchEntry[], cancellation: Cancellation): Promise<BatchResult> {
    try {
      return await this.exchange(queueUrl, entries, cancellation);
    } catch (error) {
      throw sendFailureOf(error);
    }
  }

  /** One signed request and its answer; rejects with what went wrong, SQS's answer or the socket's. */
  private async exchange(queueUrl: string, entries: BatchEntry[], cancellation: Cancellation): Promise<BatchResult> {
    // UTF-8 once: hashed for the signature, then written as is.
    const body = Buffer.from(JSON.stringify({ QueueUrl: queueUrl, Entries: entries.map(jsonEntry) }));
    // The client's provider caches credentials and refreshes them (an assumed role's) before they expire.
    const credentials = await this.client.config.credentials();
    cancellation.throwIfCancelled();
    const options: RequestOptions = {
      method: "POST",
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port,
      path: this.path,
      headers: this.signer.headers(body, this.requestTime(), credentials),
      agent: this.agent,
    };
    return post(this.send, options, body, cancellation);
  }

  /** Now in SigV4's basic ISO 8601 form, e.g. 20261128T221500Z. */
  private requestTime(): string {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.amzDate.second) {
      this.amzDate = { second, text: new Date(second * 1000).toISOString().replace(/[-:]|\.\d{3}/g, "") };
    }
    return this.amzDate.text;
  }

  /** Closes the kept-alive sockets. */
  destroy(): void {
    this.agent.destroy();
  }
}
