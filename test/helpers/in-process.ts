// What main.ts hands the write and preview pipelines, for tests that run them in process.
import assert from "node:assert/strict";
import { createAwsClients } from "../../src/aws/clients.js";
import { queueUrlCheck, type QueueUrlCheck } from "../../src/aws/queue-hosts.js";
import { openChangeDetector } from "../../src/changes/detector.js";
import { DEFAULT_S3_SNAPSHOT_TIMING } from "../../src/changes/snapshot/s3/home.js";
import type { ChangeDetector } from "../../src/changes/types.js";
import type { Config } from "../../src/config/types.js";
import type { ConfiguredStream } from "../../src/protocol/messages.js";

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
