// Misbehaving endpoints on 127.0.0.1, for deadline and hostile-input tests: one that accepts
// connections and never answers, one that trickles its answer a byte at a time, and one that
// captures every request it receives and answers like SQS.
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";

export interface FakeEndpoint {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  /** Connections accepted so far. */
  readonly connections: number;
  stop(): Promise<void>;
}

export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CapturingEndpoint extends FakeEndpoint {
  readonly requests: readonly CapturedRequest[];
}

/** Listens on a free port of 127.0.0.1; `stop()` runs `onStop`, then closes every connection and the server. */
export async function listenOnLoopback(server: Server, onStop: () => void = () => undefined): Promise<FakeEndpoint> {
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    async stop() {
      onStop();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Accepts TCP connections, reads whatever is sent, and never answers. */
export function startNeverAnswers(): Promise<FakeEndpoint> {
  return listenOnLoopback(createTcpServer((socket) => socket.resume()));
}

export interface TrickleOptions {
  /** Between two bytes; default 500 ms. */
  intervalMs?: number;
  /** Sends the response's headers at once and trickles only its body. */
  headersFirst?: boolean;
}

/**
 * Answers every request with an HTTP response that never completes, one byte every `intervalMs`,
 * so no inactivity timeout ever fires.
 */
export function startTrickles(options: TrickleOptions = {}): Promise<FakeEndpoint> {
  const intervalMs = options.intervalMs ?? 500;
  const timers = new Set<NodeJS.Timeout>();
  const headers = "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 100000\r\n\r\n";
  const answer = options.headersFirst ? "{" : `${headers}{`;
  const server = createTcpServer((socket) => {
    // The answer starts once the request's first bytes have arrived.
    socket.once("data", () => {
      socket.resume();
      if (options.headersFirst) socket.write(headers);
      let sent = 0;
      const timer = setInterval(() => {
        if (!socket.destroyed) socket.write(sent < answer.length ? answer.charAt(sent) : " ");
        sent++;
      }, intervalMs);
      timers.add(timer);
      socket.once("close", () => {
        clearInterval(timer);
        timers.delete(timer);
      });
    });
  });
  return listenOnLoopback(server, () => {
    for (const timer of timers) clearInterval(timer);
  });
}

interface BatchRequest {
  Entries?: { Id: string }[];
}

/**
 * Records every request and answers like SQS: SendMessageBatch accepts every entry, any other
 * call gets an empty JSON object. What an attacker's host would see of a request sent to it.
 */
export async function startCaptures(): Promise<CapturingEndpoint> {
  const requests: CapturedRequest[] = [];
  const server = createHttpServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: incoming.method ?? "", url: incoming.url ?? "", headers: incoming.headers, body });
      let answer: object = {};
      if (incoming.headers["x-amz-target"] === "AmazonSQS.SendMessageBatch") {
        const entries = (JSON.parse(body) as BatchRequest).Entries ?? [];
        answer = { Successful: entries.map((entry) => ({ Id: entry.Id, MessageId: `captured-${entry.Id}`, MD5OfMessageBody: "" })) };
      }
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify(answer));
    });
  });
  const endpoint = await listenOnLoopback(server);
  return {
    ...endpoint,
    get connections() {
      return endpoint.connections;
    },
    requests,
  };
}
