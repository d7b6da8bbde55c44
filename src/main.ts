#!/usr/bin/env node
import { createAwsClients, type AwsClients } from "./aws/clients.js";
import { awsCallFailure } from "./aws/explain.js";
import { configuredQueueUrlProblem, queueUrlCheck } from "./aws/queue-hosts.js";
import { QueueResolver } from "./aws/queues.js";
import { openChangeDetector } from "./changes/detector.js";
import type { ChangeDetector } from "./changes/types.js";
import { DEFAULT_S3_SNAPSHOT_TIMING, type S3SnapshotTiming } from "./changes/snapshot/s3/home.js";
import { MAX_LEASE_MS } from "./changes/snapshot/s3/lock.js";
import { checkConfigFile } from "./commands/check.js";
import { parseArgs, USAGE, UsageError, type Command, type SendOptions } from "./cli-args.js";
import { loadConfig } from "./config/load.js";
import { assertSyncCanStart } from "./commands/sync-start.js";
import type { Config } from "./config/types.js";
import { secretValues } from "./config/secrets.js";
import { createBatchSender } from "./delivery/senders.js";
import { discoverCatalog } from "./commands/discover.js";
import type { BatchSender } from "./delivery/types.js";
import { errorMessage, UserFacingError } from "./errors.js";
import { OffloadingSender } from "./large-messages/offloading-sender.js";
import { LargeMessagePolicy } from "./large-messages/policy.js";
import { loadCatalog } from "./protocol/catalog.js";
import { Redactor } from "./redact.js";
import type { ConfiguredStream } from "./protocol/messages.js";
import { SyncObservation, type ObservationOptions } from "./observe/sync-observation.js";
import { runPreview } from "./commands/preview.js";
import { runSendPreview } from "./commands/preview-send.js";
import { formatReport, reportSucceeded } from "./commands/send-report.js";
import { MessageWriter } from "./protocol/output.js";
import { specMessage } from "./spec.js";
import { runWrite, stoppedBySignal } from "./commands/write.js";
import { newRunId, openSyncResults } from "./results/open.js";
import type { SyncResults } from "./results/recorder.js";
import { redriveInput, resultsStorage, runRedrive, type RedriveCounts, type RedriveRows } from "./commands/redrive.js";
import type { RowCounts, SyncSummary } from "./observe/summary.js";
import type { Readable } from "node:stream";

const writer = new MessageWriter(process.stdout);
// A reader that closed stdout (`write … | head`) takes no more output, errors included: exit quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(1);
});
/** Set once the error TRACE of this run is written: there is only one. */
let errorReported = false;

/**
 * How long a write stopped by a signal may take to wind down (report its summary, alerts) before
 * the process reports the stop itself and exits: the platform expects an exit within seconds.
 */
const SIGNAL_GRACE_MS = 1000;

// stderr is for crashes only: the SDK's own warning about old Node versions becomes a LOG message.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const MIN_SUPPORTED_NODE_MAJOR = 22;

function warnAboutOldNode(): Promise<void> {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= MIN_SUPPORTED_NODE_MAJOR) return Promise.resolve();
  return writer.log(
    "WARN",
    `Node.js ${process.versions.node} is past its end of life and newer AWS SDK releases need Node.js ${MIN_SUPPORTED_NODE_MAJOR}+: run the container image or upgrade Node.js.`,
  );
}

async function check(configPath: string): Promise<number> {
  const connectionStatus = await checkConfigFile(configPath, (config) => writer.redactWith(new Redactor(secretValues(config))));
  await writer.emit({ type: "CONNECTION_STATUS", connectionStatus });
  return 0;
}

async function discover(configPath: string): Promise<number> {
  const config = loadConfig(configPath);
  writer.redactWith(new Redactor(secretValues(config)));
  const { sqs } = createAwsClients(config);
  try {
    const catalog = await discoverCatalog(config, sqs).catch((error: unknown) => {
      throw awsCallFailure(error, { permission: "sqs:ListQueues", config });
    });
    await writer.emit({ type: "DESTINATION_CATALOG", destination_catalog: catalog });
  } finally {
    sqs.destroy();
  }
  return 0;
}

/** With `large_messages.policy` "s3", the bodies of large messages go to S3 before their batch goes to SQS. */
function offloadLargeMessages(config: Config, clients: AwsClients, sender: BatchSender): BatchSender {
  const policy = LargeMessagePolicy.of(config);
  if (policy.s3 === undefined) return sender;
  // Delivery retries a failed upload with its batch, under the one retry budget SQS failures count against.
  return new OffloadingSender(sender, clients.s3(policy.s3, { retriedByCaller: true }), policy, {
    fifo: config.queue_type === "fifo",
    config,
  });
}

/** Test hooks, deliberately undocumented: a shorter progress interval, a local PagerDuty endpoint. */
function observationOptions(): ObservationOptions {
  const interval = Number(process.env.DESTINATION_SQS_PROGRESS_INTERVAL_MS);
  return {
    ...(interval > 0 ? { progressIntervalMs: interval } : {}),
    ...(process.env.DESTINATION_SQS_PAGERDUTY_URL ? { pagerDutyUrl: process.env.DESTINATION_SQS_PAGERDUTY_URL } : {}),
  };
}

/** Test hooks, deliberately undocumented: shorter snapshot commit and lock lease times. */
function snapshotTiming(): S3SnapshotTiming {
  const commitEveryMs = Number(process.env.DESTINATION_SQS_SNAPSHOT_COMMIT_MS);
  const leaseMs = Number(process.env.DESTINATION_SQS_SNAPSHOT_LEASE_MS);
  return {
    commitEveryMs: commitEveryMs > 0 ? commitEveryMs : DEFAULT_S3_SNAPSHOT_TIMING.commitEveryMs,
    leaseMs: leaseMs > 0 ? Math.min(leaseMs, MAX_LEASE_MS) : DEFAULT_S3_SNAPSHOT_TIMING.leaseMs,
  };
}

/** Opens the change detector (a snapshot store in S3 is locked and downloaded), runs `use`, and closes it. */
async function withChangeDetector<T>(
  config: Config,
  catalog: Map<string, ConfiguredStream>,
  clients: Pick<AwsClients, "s3">,
  dryRun: boolean,
  use: (detector: ChangeDetector) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const detector = await openChangeDetector(config, catalog.values(), {
    dryRun,
    ...(signal ? { signal } : {}),
    s3: clients.s3,
    timing: snapshotTiming(),
    log: (level, message) => writer.log(level, message),
  });
  try {
    return await use(detector);
  } finally {
    // Closing again only waits for the close `use` made; what it threw was reported there.
    await Promise.resolve()
      .then(() => detector.close(false))
      .catch(() => undefined);
  }
}

async function write(configPath: string, catalogPath: string): Promise<number> {
  const config = loadConfig(configPath);
  writer.redactWith(new Redactor(secretValues(config)));
  await warnAboutOldNode();
  const catalog = loadCatalog(catalogPath);
  await deliverRows(config, catalog, process.stdin);
  return 0;
}

/**
 * What write and redrive share: the run summary, progress and API call log, the AWS clients, the
 * queue checks, signals, the start-up checks, the change detector (the configured one, unless
 * redriving), the sync results (object_storage_config, under a new run id) and the sender
 * chain, around one runWrite over `input`. Returns the row counts.
 */
async function deliverRows(
  config: Config,
  catalog: Map<string, ConfiguredStream>,
  input: Readable,
  redriven?: { detector: ChangeDetector; syncId: string },
): Promise<Readonly<RowCounts>> {
  const detector = redriven?.detector;
  const observation = new SyncObservation(config, writer, observationOptions());
  const clients = createAwsClients(config, { onCall: observation.onCall });
  const { sqs } = clients;
  const checkQueueUrl = queueUrlCheck(config, sqs.config.endpointProvider);
  const urlProblem = configuredQueueUrlProblem(config, checkQueueUrl);
  if (urlProblem !== undefined) throw new UserFacingError(urlProblem);
  const resolver = new QueueResolver(sqs, config);
  const stop = new AbortController();
  const onSignal = (): void => {
    const stopped = stoppedBySignal();
    stop.abort(stopped);
    setTimeout(() => void exitStopped(stopped), SIGNAL_GRACE_MS).unref();
  };
  process.once("SIGTERM", onSignal).once("SIGINT", onSignal);
  let results: SyncResults | undefined;
  await observation.run(
    async () => {
      assertSyncCanStart(config, { streams: catalog.values(), checkQueueUrl });
      results = await openSyncResults(config, catalog, clients, { runId: newRunId(), syncId: redriven?.syncId });
      const run = (opened: ChangeDetector) =>
        runWrite({
          config,
          catalog,
          input,
          writer,
          sender: offloadLargeMessages(config, clients, observation.wrapSender(createBatchSender(config, sqs, process.env))),
          resolveQueue: (name) =>
            resolver.resolve(name).catch((error: unknown) => {
              throw awsCallFailure(error, { permission: "sqs:ListQueues", config });
            }),
          checkQueueUrl,
          signal: stop.signal,
          observer: observation.rows,
          detector: opened,
          concurrency: observation.concurrencyLimit(),
          results,
        });
      return detector === undefined ? withChangeDetector(config, catalog, clients, false, run, stop.signal) : run(detector);
    },
    clients,
    (summary) => finishSyncResults(results, summary),
  );
  return observation.rows.current;
}

/** Rewrites the run's summary in the results bucket; the sync's own outcome stands whatever happens to it. */
async function finishSyncResults(results: SyncResults | undefined, summary: SyncSummary): Promise<void> {
  await results
    ?.finish(summary)
    .catch((error: unknown) =>
      writer.log(
        "WARN",
        `The sync results summary of run ${results.runId} could not be written, so it still says "running": ${errorMessage(error)}`,
      ),
    );
}

/** Ends a write that did not wind down within the grace period after a signal. */
async function exitStopped(stopped: UserFacingError): Promise<never> {
  if (!errorReported) {
    errorReported = true;
    await writer.error(stopped.failureType, stopped.message);
  }
  process.exit(1);
}

async function preview(command: Extract<Command, { name: "preview" }>): Promise<number> {
  if (command.send) return sendPreview(command, command.send);
  const config = loadConfig(command.config);
  writer.redactWith(new Redactor(secretValues(config)));
  const catalog = loadCatalog(command.catalog);
  const clients = createAwsClients(config);
  const checkQueueUrl = queueUrlCheck(config, clients.sqs.config.endpointProvider);
  await withChangeDetector(config, catalog, clients, true, (detector) =>
    runPreview({ config, catalog, input: process.stdin, writer, limit: command.limit, detector, checkQueueUrl }),
  );
  return 0;
}

/** preview --send: sends the first rows that compose through write's sender chain and reports what SQS did. */
async function sendPreview(command: Extract<Command, { name: "preview" }>, send: SendOptions): Promise<number> {
  const config = loadConfig(command.config);
  writer.redactWith(new Redactor(secretValues(config)));
  const catalog = loadCatalog(command.catalog);
  // Each call is tried once, as each row is sent once: the report says what happened, at once.
  const clients = createAwsClients(config, { retryMaxMs: 0 });
  const { sqs } = clients;
  const checkQueueUrl = queueUrlCheck(config, sqs.config.endpointProvider);
  assertSyncCanStart(config, { streams: catalog.values(), checkQueueUrl });
  const urlProblem = configuredQueueUrlProblem(config, checkQueueUrl);
  if (urlProblem !== undefined) throw new UserFacingError(urlProblem);
  const resolver = new QueueResolver(sqs, config);
  try {
    const report = await runSendPreview({
      config,
      catalog,
      input: process.stdin,
      rows: send.rows,
      sqs,
      resolveQueue: (name) =>
        resolver.resolve(name).catch((error: unknown) => {
          throw awsCallFailure(error, { permission: "sqs:ListQueues", config });
        }),
      checkQueueUrl,
      sender: createBatchSender(config, sqs, process.env),
      chain: (sender) => offloadLargeMessages(config, clients, sender),
    });
    await writer.text(send.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return reportSucceeded(report) ? 0 : 1;
  } finally {
    sqs.destroy();
  }
}

/**
 * Sends a sync's rejected rows again through the current configuration, reading them with the
 * object_storage_config bucket's client.
 */
async function redrive(command: Extract<Command, { name: "redrive" }>): Promise<number> {
  const config = loadConfig(command.config);
  writer.redactWith(new Redactor(secretValues(config)));
  const catalog = loadCatalog(command.catalog);
  const storage = resultsStorage(config);
  const s3 = createAwsClients(config).resultsS3(storage);
  try {
    return await runRedrive({
      request: command,
      config,
      catalog,
      results: { s3, bucket: storage.s3_bucket_name, bucketPath: storage.bucket_path },
      writer,
      send: (rows, detector) =>
        command.dryRun ? previewRedrive(config, catalog, rows, detector) : sendRedrive(config, catalog, rows, detector, command.syncId),
    });
  } finally {
    s3.destroy();
  }
}

/** Redrive's --dry-run: each row shown as preview shows it. */
async function previewRedrive(
  config: Config,
  catalog: Map<string, ConfiguredStream>,
  rows: RedriveRows,
  detector: ChangeDetector,
): Promise<RedriveCounts> {
  const checkQueueUrl = queueUrlCheck(config, createAwsClients(config).sqs.config.endpointProvider);
  const input = redriveInput(rows);
  const counts = await runPreview({ config, catalog, input, writer, limit: Number.POSITIVE_INFINITY, detector, checkQueueUrl });
  return { sent: counts.messages, rejected: counts.rejected + counts.errors, skipped: counts.skipped };
}

/**
 * Redrive's rows go through write's wiring. A row still rejected is logged and counted whatever
 * rejected_rows says (neither dead-lettered again nor stopping the rest), and no alert is sent: the
 * caller reads the outcome. Every outcome is recorded under the redriven sync, published ones too,
 * so that a second redrive of the sync finds those rows done.
 */
async function sendRedrive(
  config: Config,
  catalog: Map<string, ConfiguredStream>,
  rows: RedriveRows,
  detector: ChangeDetector,
  syncId: string,
): Promise<RedriveCounts> {
  const { alerts: _noAlerts, ...settings } = config;
  const redriveConfig: Config = { ...settings, rejected_rows: { policy: "skip" }, sync_results: "all" };
  const counts = await deliverRows(redriveConfig, catalog, redriveInput(rows), { detector, syncId });
  return { sent: counts.published, rejected: counts.rejected, skipped: counts.skipped_by_events_filter };
}

async function execute(command: Command): Promise<number> {
  switch (command.name) {
    case "help":
      process.stderr.write(USAGE + "\n");
      return 0;
    case "spec":
      await writer.emit(specMessage());
      return 0;
    case "check":
      return check(command.config);
    case "discover":
      return discover(command.config);
    case "write":
      return write(command.config, command.catalog);
    case "preview":
      return preview(command);
    case "redrive":
      return redrive(command);
  }
}

async function main(argv: string[]): Promise<number> {
  let command: Command;
  try {
    command = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await execute(command);
  } catch (error) {
    if (errorReported) return 1;
    errorReported = true;
    if (error instanceof UserFacingError) {
      await writer.error(error.failureType, error.message, error.detail);
    } else {
      const cause = error instanceof Error ? error : new Error(String(error));
      await writer.error("system_error", `The connector failed unexpectedly: ${cause.message}`, cause.message, cause.stack);
    }
    return 1;
  }
}

const exitCode = await main(process.argv.slice(2));
await writer.flush();
process.exit(exitCode);
