// SQS emulators for integration tests: fauxqs in process, moto_server as a child process.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe } from "node:test";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type MessageAttributeValue,
} from "@aws-sdk/client-sqs";
import type { FauxqsServer } from "fauxqs";
import { validateConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/types.js";
import { writeTempJson } from "./cli.js";
import { TEST_CREDENTIALS, TEST_REGION, testSettings } from "./config.js";
import { type IamAccessKey, type MotoIam, motoIam } from "./iam.js";

export const TEST_ACCOUNT = "123456789012";
export const MOTO_MISSING = "moto_server not found: skipping the moto runs";
/**
 * `npm test` sets DESTINATION_SQS_TEST_TIER=fast: the moto runs of its suites (each starts a
 * moto_server, and moto answers slowly) belong to the slow tier, which runs them by name.
 */
const MOTO_IN_SLOW_TIER = process.env.DESTINATION_SQS_TEST_TIER === "fast";
const MOTO_RUNS_SLOW = "the moto runs belong to the slow tier: npm run test:slow";

export interface ReceivedMessage {
  sqsMessageId: string;
  body: string;
  /** System attributes: SentTimestamp, MessageGroupId, SequenceNumber, … */
  attributes: Record<string, string>;
  messageAttributes: Record<string, MessageAttributeValue>;
  groupId?: string;
  dedupId?: string;
}

export interface ReceiveOptions {
  /** Keep polling (bounded by maxPolls) until this many messages arrived. */
  expected?: number;
  /** Most ReceiveMessage calls, default 200. */
  maxPolls?: number;
}

export interface Emulator {
  name: "fauxqs" | "moto";
  endpoint: string;
  /** Creates a queue and returns its URL; a name ending in .fifo makes a FIFO queue. */
  createQueue(name: string, attributes?: Record<string, string>): Promise<string>;
  /** Reads and deletes the queue's messages, 10 at a time, until it is empty (or `expected` arrived). */
  receiveAll(queueUrl: string, options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  stop(): Promise<void>;
}

export interface AssumedRoleRecord {
  roleArn: string;
  sessionName: string;
  externalId: string | null;
  accessKeyId: string;
}

export interface MotoEmulator extends Emulator, MotoIam {
  name: "moto";
  /**
   * From now on moto checks every request's signature and IAM permissions, as AWS does. The
   * helper's own calls (createQueue, receiveAll) switch to an administrator user first.
   */
  enforceAuth(): Promise<void>;
  /** The AssumeRole calls moto answered, oldest first. */
  assumedRoles(): Promise<AssumedRoleRecord[]>;
}

let queueCounter = 0;

/** A queue name no other test in this process uses: `prefix-<n>`, plus `.fifo` when asked. */
export function uniqueQueueName(prefix: string, fifo = false): string {
  queueCounter += 1;
  return `${prefix}-${process.pid}-${queueCounter}${fifo ? ".fifo" : ""}`;
}

/** A validated Config pointing at `emulator` (see testSettings in config.ts). */
export function emulatorConfig(emulator: Pick<Emulator, "endpoint">, settings: Record<string, unknown> = {}): Config {
  return validateConfig(testSettings({ endpoint: emulator.endpoint, ...settings }), "the test config");
}

/** A config file for the CLI pointing at `endpoint` (see testSettings in config.ts). */
export function emulatorConfigFile(endpoint: string, settings: Record<string, unknown> = {}): string {
  return writeTempJson(testSettings({ endpoint, ...settings }));
}

/**
 * fauxqs as users start it: its defaults, so CreateQueue hands out queue URLs on its own host
 * name, http://sqs.<region>.localhost:<port>/000000000000/<name>, while requests go to the
 * 127.0.0.1 endpoint.
 */
export async function startFauxqs(): Promise<Emulator> {
  const server = await startFauxqsServer();
  return sqsEmulator("fauxqs", server.address, () => server.stop());
}

/**
 * fauxqs with its defaults on a free port. Loaded on first use: many test files use these helpers
 * without an emulator, and loading fauxqs costs each of them about a third of a second of CPU.
 */
async function startFauxqsServer(): Promise<FauxqsServer> {
  const { startFauxqs: start } = await import("fauxqs");
  return start({ port: 0, logger: false });
}

/** Within a suite: fauxqs as users start it, started before the suite's tests and stopped after them. */
export function fauxqsServerForSuite(): () => FauxqsServer {
  let server: FauxqsServer | undefined;
  before(async () => {
    server = await startFauxqsServer();
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error("fauxqs is started in the suite's before hook: read it from a test");
    return server;
  };
}

/** A moto_server on a free port, or null when moto is not installed or does not start. */
export async function startMoto(): Promise<MotoEmulator | null> {
  const command = motoCommand();
  if (!command) return null;
  const [program, ...args] = command;
  const port = await freePort();
  const child = spawn(program, [...args, "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  runningChildren.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => runningChildren.delete(child));
  const endpoint = `http://127.0.0.1:${port}`;
  if (!(await waitUntilServing(endpoint, child))) {
    child.kill("SIGKILL");
    process.stderr.write(`moto_server did not start on port ${port}:\n${stderr}\n`);
    return null;
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return motoEmulator(endpoint, stop);
}

/**
 * Defines `suiteName` once per emulator: against fauxqs always, and against moto when it is
 * installed (otherwise the moto suite is skipped, saying so). Each suite gets its own server.
 */
export function forEachEmulator(suiteName: string, define: (context: EmulatorContext) => void): void {
  withFauxqs(suiteName, define);
  withMoto(suiteName, define);
}

/** Defines a suite that runs against its own fauxqs, started before its tests and stopped after them. */
export function withFauxqs(suiteName: string, define: (context: EmulatorContext) => void): void {
  emulatorSuite(`${suiteName} (fauxqs)`, startFauxqs, define);
}

/** Defines a suite that runs against its own moto_server, or is skipped when moto is missing. */
export function withMoto(suiteName: string, define: (context: EmulatorContext<MotoEmulator>) => void): void {
  const skip = MOTO_IN_SLOW_TIER ? MOTO_RUNS_SLOW : motoCommand() ? undefined : MOTO_MISSING;
  if (skip) {
    describe(`${suiteName} (moto)`, { skip }, () => {});
    return;
  }
  emulatorSuite(`${suiteName} (moto)`, startMotoOrFail, define);
}

/** Gives the suite's tests the emulator started before them. */
export interface EmulatorContext<E extends Emulator = Emulator> {
  readonly emulator: E;
}

function emulatorSuite<E extends Emulator>(name: string, start: () => Promise<E>, define: (context: EmulatorContext<E>) => void): void {
  describe(name, () => {
    let started: E | undefined;
    before(async () => {
      started = await start();
    });
    after(async () => {
      await started?.stop();
    });
    define({
      get emulator(): E {
        if (!started) throw new Error(`the emulator of "${name}" has not started`);
        return started;
      },
    });
  });
}

async function startMotoOrFail(): Promise<MotoEmulator> {
  const moto = await startMoto();
  if (!moto) throw new Error("moto_server is installed but did not start (see stderr)");
  return moto;
}

function sqsEmulator<N extends Emulator["name"]>(name: N, endpoint: string, stopServer: () => Promise<void>) {
  let sqs = helperClient(endpoint, TEST_CREDENTIALS);
  return {
    name,
    endpoint,
    useCredentials(credentials: IamAccessKey): void {
      sqs.destroy();
      sqs = helperClient(endpoint, credentials);
    },
    async createQueue(queueName: string, attributes: Record<string, string> = {}): Promise<string> {
      const fifo = queueName.endsWith(".fifo") ? { FifoQueue: "true" } : {};
      const created = await sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: { ...fifo, ...attributes } }));
      if (!created.QueueUrl) throw new Error(`${name} returned no URL for queue ${queueName}`);
      return created.QueueUrl;
    },
    async receiveAll(queueUrl: string, options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
      const received: ReceivedMessage[] = [];
      const maxPolls = options.maxPolls ?? 200;
      for (let poll = 0; poll < maxPolls; poll++) {
        const response = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 60,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        const messages = response.Messages ?? [];
        if (messages.length === 0) {
          if (options.expected === undefined || received.length >= options.expected) break;
          await sleep(50);
          continue;
        }
        for (const message of messages) received.push(toReceived(message));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
          }),
        );
        if (options.expected !== undefined && received.length >= options.expected) break;
      }
      return received;
    },
    async stop(): Promise<void> {
      sqs.destroy();
      await stopServer();
    },
  };
}

function motoEmulator(endpoint: string, stop: () => Promise<void>): MotoEmulator {
  const base = sqsEmulator("moto", endpoint, stop);
  const iam = motoIam(endpoint);
  return {
    ...base,
    ...iam,
    async enforceAuth() {
      base.useCredentials(await iam.createUser("test-helper-admin", ["*"]));
      const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: "POST", body: "0" });
      if (!response.ok) throw new Error(`moto refused reset-auth: ${response.status}`);
    },
    async assumedRoles() {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      const data = (await response.json()) as { sts?: { AssumedRole?: MotoAssumedRole[] } };
      return (data.sts?.AssumedRole ?? []).map((role) => ({
        roleArn: role.role_arn,
        sessionName: role.session_name,
        externalId: role.external_id ?? null,
        accessKeyId: role.access_key_id,
      }));
    },
  };
}

interface MotoAssumedRole {
  role_arn: string;
  session_name: string;
  external_id?: string | null;
  access_key_id: string;
}

function helperClient(endpoint: string, credentials: IamAccessKey): SQSClient {
  return new SQSClient({ region: TEST_REGION, endpoint, credentials });
}

function toReceived(message: {
  MessageId?: string | undefined;
  Body?: string | undefined;
  Attributes?: Record<string, string> | undefined;
  MessageAttributes?: Record<string, MessageAttributeValue> | undefined;
}): ReceivedMessage {
  const attributes = message.Attributes ?? {};
  return {
    sqsMessageId: message.MessageId ?? "",
    body: message.Body ?? "",
    attributes,
    messageAttributes: message.MessageAttributes ?? {},
    ...(attributes.MessageGroupId === undefined ? {} : { groupId: attributes.MessageGroupId }),
    ...(attributes.MessageDeduplicationId === undefined ? {} : { dedupId: attributes.MessageDeduplicationId }),
  };
}

type Command = [string, ...string[]];

let motoCommandCache: Command | null | undefined;

/** How to start moto here: moto_server, else python3 -m moto.server, else null. Probed once. */
function motoCommand(): Command | null {
  if (motoCommandCache !== undefined) return motoCommandCache;
  const candidates: Command[] = [["moto_server"], ["python3", "-m", "moto.server"]];
  motoCommandCache =
    candidates.find(([program, ...args]) => {
      const probe = spawnSync(program, [...args, "--help"], { stdio: "ignore", timeout: 30_000 });
      return probe.status === 0;
    }) ?? null;
  return motoCommandCache;
}

/** A local port nothing listens on (at the moment of the call). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until the server answers HTTP (at most ~30 s), or the child exits. */
async function waitUntilServing(endpoint: string, child: ChildProcess): Promise<boolean> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      await fetch(`${endpoint}/moto-api/`);
      return true;
    } catch {
      await sleep(100);
    }
  }
  return false;
}

const runningChildren = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of runningChildren) child.kill("SIGKILL");
});
