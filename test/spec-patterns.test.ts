// spec.json's patterns, which Airbyte's form checks as the user types: each accepts real values
// (from AWS documentation) and refuses the usual mistakes, agrees with the connector's own rule for
// the same value where it has one, and behaves the same under Python's `re` (the platform's and the
// acceptance tests' validators are not ajv).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { createAwsClients } from "../src/aws/clients.js";
import { queueUrlCheck } from "../src/aws/queue-hosts.js";
import { isQueueUrl, queueNameFromUrl } from "../src/aws/queues.js";
import { parseTopicArn } from "../src/aws/sns-topic.js";
import { checkDelaySeconds, checkFifoId, checkQueueValue } from "../src/compose/sqs-rules.js";
import { validateConfig } from "../src/config/load.js";
import type { SchemaNode } from "../src/config/schema.js";
import { isFifoQueueName } from "../src/queue-type.js";
import { MAX_DELAY_SECONDS, MAX_FIFO_ID_CHARS } from "../src/sqs-limits.js";
import { spec, specField } from "./helpers/spec.js";
import { testSettings } from "./helpers/config.js";

interface PatternCase {
  field: string;
  node: SchemaNode;
  accepts: string[];
  refuses: string[];
}

/** Whether the field's own schema (pattern, lengths) takes `value`. */
function fieldAccepts(node: SchemaNode, value: string): boolean {
  const pattern = new RegExp(String(node.pattern), "u");
  const min = typeof node.minLength === "number" ? node.minLength : 0;
  const max = typeof node.maxLength === "number" ? node.maxLength : Number.POSITIVE_INFINITY;
  return pattern.test(value) && [...value].length >= min && [...value].length <= max;
}

const ROLE_ARNS = [
  "arn:aws:iam::123456789012:role/S3Access",
  "arn:aws:iam::123456789012:role/application_abc/component_xyz/RDSAccess",
  "arn:aws:iam::123456789012:role/service-role/QuickSightAction",
  "arn:aws-cn:iam::123456789012:role/destination-sqs",
  "arn:aws-us-gov:iam::123456789012:role/destination-sqs",
  "arn:aws:iam::123456789012:role/name+with=all,allowed.chars@-_",
];

const ROLE_ARN_MISTAKES = [
  "destination-sqs",
  "arn:aws:iam::123456789012:user/JohnDoe",
  "arn:aws:sts::123456789012:assumed-role/destination-sqs/session",
  "arn:aws:iam::123456789012:instance-profile/Webserver",
  "arn:aws:iam:::role/destination-sqs",
  "arn:aws:iam::12345678901:role/destination-sqs",
  "arn:aws:iam::123456789012:role/",
  "arn:aws:iam::123456789012:role/has space",
  ` arn:aws:iam::123456789012:role/destination-sqs`,
  `arn:aws:iam::123456789012:role/${"r".repeat(65)}`,
];

const REAL_REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "af-south-1",
  "ap-east-1",
  "ap-south-2",
  "ap-southeast-5",
  "ap-northeast-3",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "mx-central-1",
  "sa-east-1",
  "cn-north-1",
  "cn-northwest-1",
  "us-gov-west-1",
  "us-gov-east-1",
  "us-iso-east-1",
  "us-isob-east-1",
  "eu-isoe-west-1",
  "us-isof-south-1",
  "eusc-de-east-1",
];
const REGION_MISTAKES = [
  "",
  "US-EAST-1",
  "us-east-1a",
  "us_east_1",
  "useast1",
  "us-east",
  "us-east-1 ",
  " us-east-1",
  "N. Virginia",
  "https://sqs.us-east-1.amazonaws.com",
];

const QUEUE_NAMES = ["MyQueue", "orders", "orders.fifo", "order_events-v2", "a".repeat(80), `${"a".repeat(75)}.fifo`];
const QUEUE_URLS = [
  "https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue",
  "https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo",
  "https://us-east-2.queue.amazonaws.com/123456789012/MyQueue",
  "https://queue.amazonaws.com/123456789012/MyQueue",
  "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/MyQueue",
  "https://vpce-0123456789abcdef0-abcdefgh.sqs.us-east-1.vpce.amazonaws.com/123456789012/MyQueue",
  // Emulators: LocalStack's path and domain styles, fauxqs and ElasticMQ.
  "http://localhost:4566/000000000000/orders",
  "http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/orders",
  "http://sqs.us-east-1.localhost:4566/000000000000/orders",
  "http://sqs.us-east-1.127.0.0.1:4566/000000000000/orders",
  "http://localhost:9324/queue/orders",
  // A trailing slash: the connector reads the name before it.
  "https://sqs.us-east-1.amazonaws.com/123456789012/orders/",
];
const QUEUE_URL_MISTAKES = [
  "arn:aws:sqs:us-east-1:123456789012:orders",
  "sqs.us-east-1.amazonaws.com/123456789012/orders",
  "https://sqs.us-east-1.amazonaws.com/",
  "https://sqs.us-east-1.amazonaws.com/123456789012/orders//",
  "https://sqs.us-east-1.amazonaws.com/123456789012/orders queue",
  "https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo.fifo",
  "https://sqs.us-east-1.amazonaws.com/123456789012/orders?Action=SendMessage",
  "ftp://sqs.us-east-1.amazonaws.com/123456789012/orders",
  "https:///123456789012/orders",
  `https://sqs.us-east-1.amazonaws.com/123456789012/${"a".repeat(81)}`,
];
const QUEUE_NAME_MISTAKES = ["", "orders queue", "orders.FIFO", "orders.fifo.fifo", "orders.v2", "a".repeat(81), `${"a".repeat(76)}.fifo`];

const BUCKETS = ["docexamplebucket1", "log-delivery-march-2020", "my-hosted-content", "www.example.com", "abc", "a".repeat(63)];
const BUCKET_MISTAKES = [
  "",
  "ab",
  "a".repeat(64),
  "My-Bucket",
  "my_bucket",
  "s3://my-bucket",
  "my-bucket/",
  "arn:aws:s3:::my-bucket",
  "-bucket",
  "bucket-",
  "my..bucket",
  "192.168.5.4",
  "xn--bucket",
  "sthree-bucket",
  "amzn-s3-demo-bucket",
  "my-bucket-s3alias",
  "my-bucket--ol-s3",
  "my-bucket.mrap",
  "my-bucket--x-s3",
  "my-bucket--table-s3",
];
const PREFIXES = ["", "destination-sqs/", "destination-sqs/orders-connection/", "2025/01/exports", "a.b_c-d/"];
const PREFIX_MISTAKES = ["/destination-sqs/", "destination-sqs//orders/", "s3://bucket/prefix/", "my prefix/", "prefix?x=1", "préfixe/"];

const FIFO_IDS = ["all", "customer-42", "tenant:acme/orders#7", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "x".repeat(MAX_FIFO_ID_CHARS)];
const FIFO_ID_MISTAKES = ["", "has space", "tab\there", "é", "emoji🙂", "line\nbreak", "x".repeat(MAX_FIFO_ID_CHARS + 1)];

const cases: PatternCase[] = [
  { field: "region", node: specField("region"), accepts: REAL_REGIONS, refuses: REGION_MISTAKES },
  {
    field: "change_detection.store.region",
    node: specField("change_detection", "snapshot", "store", "s3", "region"),
    accepts: REAL_REGIONS,
    refuses: REGION_MISTAKES,
  },
  { field: "large_messages.region", node: specField("large_messages", "s3", "region"), accepts: REAL_REGIONS, refuses: REGION_MISTAKES },
  { field: "role_arn", node: specField("role_arn"), accepts: ROLE_ARNS, refuses: ROLE_ARN_MISTAKES },
  {
    field: "external_id",
    node: specField("external_id"),
    accepts: ["a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "12345", "Unique_ID+=,.@:/-", "x".repeat(1224)],
    refuses: ["", "a", "has space", "id#1", "x".repeat(1225)],
  },
  {
    field: "role_session_name",
    node: specField("role_session_name"),
    accepts: ["destination-sqs", "Bob", "john.doe@example.com", "x".repeat(64)],
    refuses: ["", "a", "my session", "x".repeat(65), "session/1"],
  },
  {
    field: "queue.value",
    node: specField("queue", "static", "value"),
    accepts: [...QUEUE_NAMES, ...QUEUE_URLS],
    refuses: [...QUEUE_NAME_MISTAKES, ...QUEUE_URL_MISTAKES],
  },
  {
    field: "rejected_rows.queue_url",
    node: specField("rejected_rows", "dead_letter", "queue_url"),
    accepts: QUEUE_URLS,
    refuses: [...QUEUE_URL_MISTAKES, "orders-rejected"],
  },
  { field: "message_group_id.value", node: specField("message_group_id", "static", "value"), accepts: FIFO_IDS, refuses: FIFO_ID_MISTAKES },
  {
    field: "message_deduplication_id.value",
    node: specField("message_deduplication_id", "static", "value"),
    accepts: FIFO_IDS,
    refuses: FIFO_ID_MISTAKES,
  },
  {
    field: "delay_seconds.value",
    node: specField("delay_seconds", "static", "value"),
    accepts: ["0", "30", "90", "899", "900", "007"],
    refuses: ["", "901", "1000", "-1", "1.5", "30s", " 30", "1e2", "thirty"],
  },
  {
    field: "message_attributes[].name",
    node: specField("message_attributes", "name"),
    accepts: ["event_type", "tenant.id", "My-Attribute_2", "awsome", "x".repeat(256)],
    refuses: ["", "has space", ".lead", "trail.", "a..b", "AWS.trace", "aws.x", "Amazon.x", "amazon.x", "é", "x".repeat(257)],
  },
  {
    field: "change_detection.store.bucket",
    node: specField("change_detection", "snapshot", "store", "s3", "bucket"),
    accepts: BUCKETS,
    refuses: BUCKET_MISTAKES,
  },
  { field: "large_messages.bucket", node: specField("large_messages", "s3", "bucket"), accepts: BUCKETS, refuses: BUCKET_MISTAKES },
  {
    field: "change_detection.store.prefix",
    node: specField("change_detection", "snapshot", "store", "s3", "prefix"),
    accepts: PREFIXES,
    refuses: [...PREFIX_MISTAKES, "p".repeat(701)],
  },
  { field: "large_messages.prefix", node: specField("large_messages", "s3", "prefix"), accepts: PREFIXES, refuses: PREFIX_MISTAKES },
  {
    field: "object_storage_config.s3_bucket_name",
    node: specField("object_storage_config", "S3", "s3_bucket_name"),
    accepts: BUCKETS,
    refuses: BUCKET_MISTAKES,
  },
  {
    field: "object_storage_config.s3_bucket_region",
    node: specField("object_storage_config", "S3", "s3_bucket_region"),
    accepts: REAL_REGIONS,
    refuses: REGION_MISTAKES,
  },
  {
    field: "object_storage_config.bucket_path",
    node: specField("object_storage_config", "S3", "bucket_path"),
    accepts: PREFIXES,
    refuses: [...PREFIX_MISTAKES, "p".repeat(701)],
  },
  {
    field: "object_storage_config.role_arn",
    node: specField("object_storage_config", "S3", "role_arn"),
    accepts: ROLE_ARNS,
    refuses: ROLE_ARN_MISTAKES,
  },
  {
    field: "alerts.sns_topic_arn",
    node: specField("alerts", "sns_topic_arn"),
    accepts: [
      "arn:aws:sns:us-east-2:123456789012:MyTopic",
      "arn:aws:sns:us-east-1:123456789012:destination-sqs-alerts",
      "arn:aws:sns:eu-west-1:123456789012:alerts.fifo",
      "arn:aws-cn:sns:cn-north-1:123456789012:alerts",
      "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts",
      `arn:aws:sns:us-east-1:123456789012:${"t".repeat(256)}`,
    ],
    refuses: [
      "MyTopic",
      "arn:aws:sqs:us-east-1:123456789012:MyTopic",
      "arn:aws:sns:us-east-1:123456789012:MyTopic:6b0e71bd-7e97-4d97-80ce-4a0994e55286",
      "arn:aws:sns:us-east-1::MyTopic",
      "arn:aws:sns:US-EAST-1:123456789012:MyTopic",
      "arn:aws:sns:us-east-1:123456789012:my.topic",
      "https://sns.us-east-1.amazonaws.com/123456789012/MyTopic",
      `arn:aws:sns:us-east-1:123456789012:${"t".repeat(257)}`,
    ],
  },
];

/** Every string in spec.json that carries a pattern, by its place in the schema. */
function patternedNodes(node: SchemaNode = spec, path = "#"): { node: SchemaNode; path: string }[] {
  const here = typeof node.pattern === "string" ? [{ node, path }] : [];
  const children = [
    ...Object.entries(node.properties ?? {}).map(([name, child]) => [child, `${path}/properties/${name}`] as const),
    ...(node.oneOf ?? []).map((branch, index) => [branch, `${path}/oneOf/${index}`] as const),
    ...(node.items ? [[node.items, `${path}/items`] as const] : []),
  ];
  return [...here, ...children.flatMap(([child, childPath]) => patternedNodes(child, childPath))];
}

test("every pattern in spec.json has a descriptor and is tested here; the constrained strings all carry one", () => {
  const patterned = patternedNodes();
  const tested = new Set(cases.map(({ node }) => node));
  assert.deepEqual(
    patterned.filter(({ node }) => !tested.has(node)).map(({ path }) => path),
    [],
  );
  for (const { node, path } of patterned) {
    assert.equal(typeof node.pattern_descriptor, "string", `${path} needs a pattern_descriptor`);
    assert.doesNotThrow(() => new RegExp(String(node.pattern), "u"), path);
  }
  for (const { field, node } of cases) assert.equal(typeof node.pattern, "string", `${field} has no pattern`);
});

for (const { field, node, accepts, refuses } of cases) {
  test(`${field}: accepts real values and refuses typical mistakes`, () => {
    for (const value of accepts) assert.ok(fieldAccepts(node, value), `${field} should accept ${JSON.stringify(value)}`);
    for (const value of refuses) assert.ok(!fieldAccepts(node, value), `${field} should refuse ${JSON.stringify(value)}`);
    for (const example of (node.examples as string[] | undefined) ?? []) assert.ok(fieldAccepts(node, example), `example ${example}`);
  });
}

test("the patterns mean the same under Python's re, as Airbyte's Python validators read them", (t) => {
  const python = spawnSync("python3", ["--version"]);
  if (python.error) {
    t.skip("python3 not found");
    return;
  }
  const input = cases.map(({ node, accepts, refuses }) => ({ pattern: node.pattern, values: [...accepts, ...refuses] }));
  const script = [
    "import json, re, sys",
    "cases = json.load(sys.stdin)",
    "print(json.dumps([[re.search(c['pattern'], v) is not None for v in c['values']] for c in cases]))",
  ].join("\n");
  const run = spawnSync("python3", ["-W", "error", "-c", script], { input: JSON.stringify(input), encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const results = JSON.parse(run.stdout) as boolean[][];
  cases.forEach(({ field, node, accepts, refuses }, index) => {
    const expected = [...accepts, ...refuses].map((value) => new RegExp(String(node.pattern), "u").test(value));
    assert.deepEqual(results[index], expected, field);
  });
});

test("queue names: the pattern and the composer's queue rule (checkQueueValue) agree", () => {
  const node = specField("queue", "static", "value");
  for (const value of [...QUEUE_NAMES, ...QUEUE_NAME_MISTAKES, "orders-", "_x", "q.fifo", ".fifo"]) {
    if (isQueueUrl(value)) continue;
    const queueType = isFifoQueueName(value) ? "fifo" : "standard";
    assert.equal(fieldAccepts(node, value), checkQueueValue(value, queueType) === undefined, JSON.stringify(value));
  }
});

test("queue URLs the pattern accepts are ones the connector takes: a bounded http(s) URL whose last segment is a queue name", () => {
  for (const node of [specField("queue", "static", "value"), specField("rejected_rows", "dead_letter", "queue_url")]) {
    for (const value of [...QUEUE_URLS, ...QUEUE_URL_MISTAKES]) {
      if (!fieldAccepts(node, value)) continue;
      assert.ok(isQueueUrl(value), value);
      const queueType = isFifoQueueName(queueNameFromUrl(value)) ? "fifo" : "standard";
      assert.equal(checkQueueValue(value, queueType), undefined, value);
      assert.equal(checkQueueValue(queueNameFromUrl(value), queueType), undefined, value);
    }
  }
});

test("AWS queue URLs the pattern accepts pass the connector's host check for their region", () => {
  const awsUrls: [string, string][] = [
    ["us-east-2", "https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue"],
    ["us-east-2", "https://us-east-2.queue.amazonaws.com/123456789012/MyQueue"],
    ["us-east-1", "https://queue.amazonaws.com/123456789012/MyQueue"],
    ["cn-north-1", "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/MyQueue"],
  ];
  for (const [region, url] of awsUrls) {
    assert.ok(fieldAccepts(specField("queue", "static", "value"), url), url);
    const config = validateConfig(testSettings({ region }), "the test config");
    const check = queueUrlCheck(config, createAwsClients(config).sqs.config.endpointProvider);
    assert.equal(check(url), undefined, url);
  }
});

test("FIFO ids: the pattern and the composer's rule (checkFifoId) agree", () => {
  const node = specField("message_group_id", "static", "value");
  const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));
  for (const value of [...FIFO_IDS, ...FIFO_ID_MISTAKES, ...ascii, "\u00a0", "\u2028"]) {
    assert.equal(fieldAccepts(node, value), value !== "" && checkFifoId(value) === undefined, JSON.stringify(value));
  }
});

test("a static delay: the pattern and the composer's rule (checkDelaySeconds) agree", () => {
  const node = specField("delay_seconds", "static", "value");
  const numbers = Array.from({ length: MAX_DELAY_SECONDS + 200 }, (_, seconds) => String(seconds));
  for (const value of [...numbers, "007", "0900", "0901", " 5", "5 ", "+5", "-0", "5.0", "1e2", "0x10", "", "٣"]) {
    assert.equal(fieldAccepts(node, value), checkDelaySeconds(value) === undefined, JSON.stringify(value));
  }
});

test("SNS topic ARNs the pattern accepts parse into the region and topic name the alert is sent with", () => {
  const node = specField("alerts", "sns_topic_arn");
  const region = specField("region");
  for (const arn of cases.find(({ field }) => field === "alerts.sns_topic_arn")?.accepts ?? []) {
    const topic = parseTopicArn(arn);
    assert.ok(fieldAccepts(node, arn));
    assert.ok(fieldAccepts(region, topic.region), `${arn}: region ${topic.region}`);
    assert.equal(topic.fifo, topic.name.endsWith(".fifo"));
    assert.ok(arn.endsWith(`:${topic.name}`));
  }
});

test("a value the form refuses is refused by the connector too, naming the field and what it must be", () => {
  assert.throws(
    () => validateConfig(testSettings({ region: "us-east-1a" }), "config.json"),
    /region must be an AWS region code in lower case, like us-east-1/,
  );
  assert.throws(
    () => validateConfig(testSettings({ queue: { source: "static", value: "arn:aws:sqs:us-east-1:123456789012:orders" } }), "config.json"),
    /queue\.value must be a queue name \(up to 80 letters/,
  );
});
