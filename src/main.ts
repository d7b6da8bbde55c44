#!/usr/bin/env node
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createAwsClients } from "./aws/clients.js";
import { awsCallFailure } from "./aws/explain.js";
import { QueueResolver } from "./aws/queues.js";
import { runCheck } from "./check.js";
import { parseArgs, USAGE, UsageError, type Command } from "./cli-args.js";
import { loadConfig } from "./config/load.js";
import type { Config } from "./config/types.js";
import { secretValues } from "./config/secrets.js";
import { HttpBatchSender } from "./delivery/http-sender.js";
import { SdkBatchSender } from "./delivery/sdk-sender.js";
import type { BatchSender } from "./delivery/types.js";
import { UserFacingError } from "./errors.js";
import { loadCatalog } from "./protocol/catalog.js";
import { SyncObservation, type ObservationOptions } from "./observe/sync-observation.js";
import { runPreview } from "./preview.js";
import { MessageWriter } from "./protocol/output.js";
import { specMessage } from "./spec.js";
import { runWrite } from "./write.js";

const writer = new MessageWriter(process.stdout);

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
  let connectionStatus: { status: "SUCCEEDED" | "FAILED"; message: string };
  try {
    const config = loadConfig(configPath);
    writer.redact(secretValues(config));
    connectionStatus = await runCheck(config);
  } catch (error) {
    if (!(error instanceof UserFacingError)) throw error;
    connectionStatus = { status: "FAILED", message: error.message };
  }
  await writer.emit({ type: "CONNECTION_STATUS", connectionStatus });
  return 0;
}

/**
 * The lean HTTP sender by default; the SDK's when API calls are logged (its middleware sees each
 * call) or when DESTINATION_SQS_SENDER=sdk asks for it.
 */
function batchSender(config: Config, sqs: SQSClient): BatchSender {
  if (config.log_api_calls || process.env.DESTINATION_SQS_SENDER === "sdk") return new SdkBatchSender(sqs);
  return new HttpBatchSender(sqs, {
    region: config.region,
    endpoint: config.endpoint,
    maxSockets: Math.max(50, config.max_in_flight),
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

async function write(configPath: string, catalogPath: string): Promise<number> {
  const config = loadConfig(configPath);
  writer.redact(secretValues(config));
  await warnAboutOldNode();
  const catalog = loadCatalog(catalogPath);
  const observation = new SyncObservation(config, writer, observationOptions());
  const aws = createAwsClients(config, { onCall: observation.onCall });
  const { sqs } = aws;
  const resolver = new QueueResolver(sqs, config);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGTERM", onSignal).once("SIGINT", onSignal);
  await observation.run(() =>
    runWrite({
      config,
      catalog,
      input: process.stdin,
      writer,
      sender: observation.wrapSender(batchSender(config, sqs)),
      resolveQueue: (name) =>
        resolver.resolve(name).catch((error: unknown) => {
          throw awsCallFailure(error, { permission: "sqs:ListQueues", config });
        }),
      signal: stop.signal,
      observer: observation.rows,
    }),
    aws,
  );
  return 0;
}

async function preview(command: Extract<Command, { name: "preview" }>): Promise<number> {
  const config = loadConfig(command.config);
  writer.redact(secretValues(config));
  const catalog = loadCatalog(command.catalog);
  await runPreview({ config, catalog, input: process.stdin, writer, limit: command.limit });
  return 0;
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
    case "write":
      return write(command.config, command.catalog);
    case "preview":
      return preview(command);
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
