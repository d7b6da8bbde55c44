// metadata.yaml, what Airbyte's registry lists the connector from: valid against Airbyte's schema,
// and true to the repository: the version, the image name, the icon, the docs page, the hosts a
// sync reaches, the memory rule of the image's entrypoint, and the commands the connector has.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import { entrypointNodeArgs } from "../scripts/entrypoint-command.js";
import { parseArgs } from "../src/cli-args.js";
import { PAGERDUTY_EVENTS_URL } from "../src/observe/alerts.js";
import {
  METADATA_SCHEMA_FOLDER,
  exampleMetadataFiles,
  hostAllowed,
  metadata,
  metadataValidator,
  readYaml,
  resolveAllowedHosts,
} from "./helpers/airbyte-metadata.js";
import { REPO_ROOT } from "./helpers/cli.js";
import { specKeys } from "./helpers/spec.js";

const data = metadata.data;
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string; homepage: string };
const validate = metadataValidator();
const NO_SCHEMA = validate === undefined ? `no copy of Airbyte's metadata schema at ${METADATA_SCHEMA_FOLDER}` : false;

test("metadata.yaml is valid against Airbyte's metadata schema", { skip: NO_SCHEMA }, () => {
  assert.deepEqual(validate?.(metadata), []);
});

test("the schema check refuses what Airbyte refuses, and passes Airbyte's own destinations", { skip: NO_SCHEMA }, () => {
  const examples = exampleMetadataFiles().map((path) => ({ path, errors: validate?.(readYaml(path)) ?? [] }));
  // destination-amazon-sqs's 2024 file still uses the `registries` key the schema has since dropped.
  assert.deepEqual(
    examples.filter(({ errors }) => errors.length > 0).map(({ path }) => path.split("/").at(-1)),
    examples.some(({ path }) => path.endsWith("destination-amazon-sqs.metadata.yaml")) ? ["destination-amazon-sqs.metadata.yaml"] : [],
  );
  const broken = structuredClone(metadata) as { data: Record<string, unknown> };
  broken.data.connectorSubtype = "queue";
  broken.data.unknownKey = true;
  assert.ok((validate?.(broken) ?? []).length >= 2);
});

test("dockerImageTag is package.json's version and dockerRepository the image's io.airbyte.name label", () => {
  assert.equal(data.dockerImageTag, packageJson.version);
  const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
  const label = /io\.airbyte\.name="([^"]+)"/.exec(dockerfile)?.[1];
  assert.equal(data.dockerRepository, label);
});

test("a destination for message queues, listed with an icon drawn for it and the docs page of this repository", () => {
  assert.equal(data.connectorType, "destination");
  assert.equal(data.connectorSubtype, "message_queue");
  assert.deepEqual(data.tags, ["language:typescript"]);
  assert.equal(data.license, "MIT");
  const icon = readFileSync(join(REPO_ROOT, data.icon), "utf8");
  assert.match(icon, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* viewBox="0 0 250 250"/);
  assert.match(icon, /<\/svg>\s*$/);
  const repository = packageJson.homepage.replace(/#.*$/, "");
  assert.ok(data.documentationUrl.startsWith(`${repository}/blob/main/`), data.documentationUrl);
  assert.ok(existsSync(join(REPO_ROOT, data.documentationUrl.slice(`${repository}/blob/main/`.length))), data.documentationUrl);
});

test("allowedHosts names only settings the spec has", () => {
  const keys = new Set(specKeys().map((key) => key.name));
  const variables = data.allowedHosts.hosts.flatMap((host) => [...host.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1]!));
  assert.deepEqual(
    variables.filter((name) => !keys.has(name)),
    [],
  );
});

/** A config with every setting that makes the connector reach another host. */
const fullConfig = {
  region: "eu-west-1",
  credentials: { auth_type: "default_chain" },
  queue: { source: "static", value: "orders" },
  change_detection: {
    mode: "snapshot",
    store: { type: "s3", bucket: "snapshots", region: "eu-central-1", endpoint: "https://minio.example.com:9000" },
  },
  large_messages: { policy: "s3", bucket: "payloads", region: "us-west-2", endpoint: "https://s3-compatible.example.net" },
  endpoint: "https://vpce-0123.sqs.eu-west-1.vpce.amazonaws.com",
  alerts: {
    slack_webhook_url: "https://hooks.slack.com/services/T0/B0/X",
    webhook_url: "https://alerts.example.com/hook?token=x",
    pagerduty_routing_key: "R0",
    sns_topic_arn: "arn:aws:sns:eu-west-1:123456789012:alerts",
    sns_endpoint: "http://sns.internal.example.org:4566",
  },
};

function sdkHost(endpoint: { url: URL }): string {
  return endpoint.url.hostname;
}

for (const region of ["us-east-1", "eu-west-1", "ap-southeast-2"]) {
  test(`allowedHosts resolve to the SQS, STS, SNS and S3 hosts the AWS SDK calls in ${region}`, () => {
    const allowed = resolveAllowedHosts(data.allowedHosts.hosts, { ...fullConfig, region });
    const plain = { Region: region, UseFIPS: false, UseDualStack: false };
    const hosts = [
      sdkHost(new SQSClient({ region }).config.endpointProvider(plain)),
      sdkHost(new STSClient({ region }).config.endpointProvider({ ...plain, UseGlobalEndpoint: false })),
      sdkHost(new SNSClient({ region }).config.endpointProvider(plain)),
      ...["snapshots", "my.dotted.bucket"].map((Bucket) =>
        sdkHost(new S3Client({ region }).config.endpointProvider({ ...plain, Bucket, ForcePathStyle: false, Accelerate: false })),
      ),
      sdkHost(new S3Client({ region }).config.endpointProvider({ ...plain, ForcePathStyle: true, Accelerate: false })),
    ];
    for (const host of hosts) assert.ok(hostAllowed(host, allowed), `${host} is not allowed: ${allowed.join(", ")}`);
  });
}

test("allowedHosts let through the configured endpoints, the S3 regions of the snapshot store and large messages, and the alert webhooks", () => {
  const allowed = resolveAllowedHosts(data.allowedHosts.hosts, fullConfig);
  for (const host of [
    "vpce-0123.sqs.eu-west-1.vpce.amazonaws.com",
    "minio.example.com",
    "s3-compatible.example.net",
    "sns.internal.example.org",
    "s3.eu-central-1.amazonaws.com",
    "snapshots.s3.eu-central-1.amazonaws.com",
    "s3.us-west-2.amazonaws.com",
    "payloads.s3.us-west-2.amazonaws.com",
    "hooks.slack.com",
    "alerts.example.com",
    new URL(PAGERDUTY_EVENTS_URL).hostname,
  ]) {
    assert.ok(hostAllowed(host, allowed), `${host} is not allowed: ${allowed.join(", ")}`);
  }
  assert.ok(!hostAllowed("example.org", allowed));
  // Settings left out leave no half-filled entry behind.
  const minimal = resolveAllowedHosts(data.allowedHosts.hosts, { region: "eu-west-1", credentials: {}, queue: {} });
  assert.ok(minimal.every((host) => !host.includes("${")));
  assert.ok(!minimal.includes("hooks.slack.com") && minimal.includes("sqs.eu-west-1.amazonaws.com"));
});

test("the sync's memory limit is what docker/entrypoint.sh sizes the heap from: the same heap as with no limit", () => {
  const sync = data.resourceRequirements.jobSpecific.find(({ jobType }) => jobType === "sync")?.resourceRequirements;
  assert.ok(sync);
  const bytes = (quantity: string): number => {
    const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
    assert.ok(match, `${quantity} is not in Mi or Gi`);
    return Number(match[1]) * 1024 ** (match[2] === "Gi" ? 3 : 2);
  };
  assert.ok(bytes(String(sync.memory_request)) <= bytes(String(sync.memory_limit)));
  const withLimit = entrypointNodeArgs(["write"], { "memory.max": String(bytes(String(sync.memory_limit))) });
  const withoutLimit = entrypointNodeArgs(["write"], { "memory.max": "max" });
  assert.equal(withLimit, withoutLimit);
  assert.match(withLimit, /^--max-old-space-size=\d+ /);
});

test("supportsDataActivation says whether the connector has a discover command; supportsRefreshes is true", () => {
  let hasDiscover: boolean;
  try {
    const command: string = parseArgs(["discover", "--config", "config.json"]).name;
    hasDiscover = command === "discover";
  } catch {
    hasDiscover = false;
  }
  assert.equal(data.supportsDataActivation, hasDiscover);
  // A refresh is a sync with a new generation_id, diffed like any sync; a Clear is recognised (clear-job.test.ts).
  assert.equal(data.supportsRefreshes, true);
});
