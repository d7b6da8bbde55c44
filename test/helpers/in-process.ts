// What main.ts hands the write and preview pipelines, for tests that run them in process.
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { createAwsClients } from "../../src/aws/clients.js";
import { awsCallFailure } from "../../src/aws/explain.js";
import { configuredQueueUrlProblem, queueUrlCheck, type QueueUrlCheck } from "../../src/aws/queue-hosts.js";
import { QueueResolver } from "../../src/aws/queues.js";
import { openChangeDetector } from "../../src/changes/detector.js";
import { DEFAULT_S3_SNAPSHOT_TIMING } from "../../src/changes/snapshot/s3/home.js";
import type { ChangeDetector } from "../../src/changes/types.js";
import type { Config } from "../../src/config/types.js";
import { UserFacingError } from "../../src/errors.js";
import { assertSyncCanStart } from "../../src/commands/sync-start.js";
import { runPreview } from "../../src/commands/preview.js";
import { runWrite } from "../../src/commands/write.js";
import { createBatchSender } from "../../src/delivery/senders.js";
import { loadCatalog } from "../../src/protocol/catalog.js";
import type { ConfiguredStream } from "../../src/protocol/messages.js";
import { MessageWriter } from "../../src/protocol/output.js";
import { type CliResult, parseLines } from "./cli.js";
import { assertProtocolOutput } from "./protocol-schema.js";

/** The change detector for `config`, as main.ts opens it; a snapshot store in S3 is refused. */
export function openDetector(config: Config, catalog: Map<string, ConfiguredStream>, dryRun = false): Promise<ChangeDetector> {
  return openChangeDetector(config, catalog.values(), {
    dryRun,
    s3: () => assert.fail("in-process tests keep their snapshot store on disk"),
    timing: DEFAULT_S3_SNAPSHOT_TIMING,
    log: async () => undefined,
  });
}

/** The queue-host rule main.ts applies for `config`. */
export function queueHostRule(config: Config): QueueUrlCheck {
  return queueUrlCheck(config, createAwsClients(config).sqs.config.endpointProvider);
}

/** For tests that are not about queue hosts: every http(s) queue URL passes (queue-hosts.test.ts holds the real rule). */
export const ANY_QUEUE_HOST: QueueUrlCheck = () => undefined;

/**
 * A write as main.ts wires it, run in this process: SQS at the config's endpoint, the snapshot store
 * on disk. It throws what main.ts would report as the TRACE (a UserFacingError's failure type and
 * message); what a run shows only as a process (exit codes, the TRACE itself, signals, the summary
 * and alerts) needs the built CLI.
 */
export async function writeInProcess(config: Config, catalogPath: string, input: string): Promise<Pick<CliResult, "stdout" | "messages">> {
  const catalog = loadCatalog(catalogPath);
  const { sqs } = createAwsClients(config);
  const { out, stdout } = capturedStdout();
  try {
    const checkQueueUrl = queueUrlCheck(config, sqs.config.endpointProvider);
    const urlProblem = configuredQueueUrlProblem(config, checkQueueUrl);
    if (urlProblem !== undefined) throw new UserFacingError(urlProblem);
    assertSyncCanStart(config);
    const resolver = new QueueResolver(sqs, config);
    const detector = await openDetector(config, catalog);
    try {
      await runWrite({
        config,
        catalog,
        input: Readable.from(pipeChunks(input)),
        writer: new MessageWriter(out),
        sender: createBatchSender(config, sqs, process.env),
        resolveQueue: (name) =>
          resolver.resolve(name).catch((error: unknown) => {
            throw awsCallFailure(error, { permission: "sqs:ListQueues", config });
          }),
        checkQueueUrl,
        detector,
      });
    } finally {
      // As main.ts: closing again only waits for the close the write made; what it threw was thrown there.
      await Promise.resolve()
        .then(() => detector.close(false))
        .catch(() => undefined);
    }
  } finally {
    sqs.destroy();
  }
  return outputOf(stdout(), "write (in process)");
}

/**
 * A preview as main.ts wires it, run in this process: the queue-host rule of the config's endpoint and
 * a dry-run change detector on disk. What preview shows only as a process (exit codes, the TRACE of a
 * config error, the machine's locale) needs the built CLI.
 */
export async function previewInProcess(
  config: Config,
  catalogPath: string,
  input: string,
  limit: number,
): Promise<Pick<CliResult, "stdout" | "messages">> {
  const catalog = loadCatalog(catalogPath);
  const { out, stdout } = capturedStdout();
  await runPreview({
    config,
    catalog,
    input: Readable.from(pipeChunks(input)),
    writer: new MessageWriter(out),
    limit,
    detector: await openDetector(config, catalog, true),
    checkQueueUrl: queueHostRule(config),
  });
  return outputOf(stdout(), "preview (in process)");
}

/** A stdout to hand a MessageWriter, and what was written to it so far. */
function capturedStdout(): { out: Writable; stdout: () => string } {
  let text = "";
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  return { out, stdout: () => text };
}

function outputOf(stdout: string, label: string): Pick<CliResult, "stdout" | "messages"> {
  assertProtocolOutput(stdout, label);
  return { stdout, messages: parseLines(stdout).messages };
}

/** The input's bytes in chunks as a pipe delivers them, so that lines and characters span chunk boundaries. */
function* pipeChunks(input: string, chunkBytes = 4096): Generator<Buffer> {
  const bytes = Buffer.from(input);
  for (let start = 0; start < bytes.length; start += chunkBytes) yield bytes.subarray(start, start + chunkBytes);
}
