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
  let stdout = "";
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stdout += chunk.toString("utf8");
      done();
    },
  });
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
  assertProtocolOutput(stdout, "write (in process)");
  return { stdout, messages: parseLines(stdout).messages };
}

/** The input's bytes in chunks as a pipe delivers them, so that lines and characters span chunk boundaries. */
function* pipeChunks(input: string, chunkBytes = 4096): Generator<Buffer> {
  const bytes = Buffer.from(input);
  for (let start = 0; start < bytes.length; start += chunkBytes) yield bytes.subarray(start, start + chunkBytes);
}
