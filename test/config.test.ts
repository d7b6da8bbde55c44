import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createComposer } from "../src/compose/composer.js";
import { isRejection } from "../src/compose/rejection.js";
import { loadConfig, validateConfig } from "../src/config/load.js";
import type { Config } from "../src/config/types.js";
import { secretPaths, secretValues } from "../src/config/secrets.js";
import { UserFacingError } from "../src/errors.js";
import { DOCUMENTED_DEFAULTS } from "./helpers/documented-defaults.js";
import { ANY_QUEUE_HOST } from "./helpers/in-process.js";
import { tempDirectory } from "./helpers/temp-directory.js";

const SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
const TOKEN = "FwoGZXIvYXdzEXAMPLE-session-token";

const minimal = {
  region: "us-east-1",
  credentials: { auth_type: "default_chain" },
  queue: { source: "static", value: "https://sqs.us-east-1.amazonaws.com/123456789012/orders" },
};

function configWith(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...minimal, ...overrides };
}

/** The message of the config error `validateConfig` throws for `raw`. */
function errorFor(raw: unknown): string {
  try {
    validateConfig(raw, "config.json");
  } catch (error) {
    assert.ok(error instanceof UserFacingError, `expected a UserFacingError, got ${String(error)}`);
    assert.equal(error.failureType, "config_error");
    return error.message;
  }
  assert.fail("expected the config to be rejected");
}

function assertRejected(raw: unknown, ...expected: string[]): string {
  const message = errorFor(raw);
  assert.match(message, /^The configuration in config\.json is invalid: /);
  for (const part of expected) assert.ok(message.includes(part), `expected "${part}" in: ${message}`);
  return message;
}

const tempDir = tempDirectory("config");
function writeTemp(name: string, text: string): string {
  const path = join(tempDir, name);
  writeFileSync(path, text);
  return path;
}

const staticValue = (value: string) => ({ source: "static", value });
const attribute = (name: string) => ({ name, data_type: "String", value: staticValue("x") });

test("a minimal config gets every documented default", () => {
  assert.deepEqual(validateConfig(minimal, "config.json"), { ...minimal, ...DOCUMENTED_DEFAULTS });
});

test("validating does not modify the caller's object", () => {
  const raw = structuredClone(minimal);
  validateConfig(raw, "config.json");
  assert.deepEqual(raw, minimal);
});

test("change_detection.store and its deprecated alias state_directory cannot both be set", () => {
  assertRejected(
    configWith({ change_detection: { mode: "snapshot", state_directory: "/data", store: { type: "local", directory: "/data" } } }),
    "change_detection.state_directory is a deprecated alias of change_detection.store: set only store",
  );
});

test("defaults inside the chosen option are applied too", () => {
  const snapshot = validateConfig(configWith({ change_detection: { mode: "snapshot" } }), "config.json");
  assert.deepEqual(snapshot.change_detection, { mode: "snapshot", initial_sync: "backfill" });
  const inS3 = validateConfig(
    configWith({ change_detection: { mode: "snapshot", store: { type: "s3", bucket: "snapshots" } } }),
    "config.json",
  );
  assert.deepEqual(inS3.change_detection, {
    mode: "snapshot",
    store: { type: "s3", bucket: "snapshots", force_path_style: false },
    initial_sync: "backfill",
  });

  const field = validateConfig(configWith({ change_detection: { mode: "field", field: "op", removed_values: ["D"] } }), "config.json");
  assert.deepEqual(field.change_detection, {
    mode: "field",
    field: "op",
    added_values: ["added", "insert", "create", "c", "i"],
    changed_values: ["changed", "update", "u"],
    removed_values: ["D"],
  });

  const alerts = validateConfig(configWith({ alerts: { webhook_url: "https://hooks.example.com/sync" } }), "config.json");
  assert.deepEqual(alerts.alerts, { webhook_url: "https://hooks.example.com/sync", on_failure: true, rejected_rows_threshold: 1 });
});

test("a full FIFO config with every option is accepted as written", () => {
  const full = {
    region: "eu-west-1",
    endpoint: "http://127.0.0.1:4566",
    credentials: { auth_type: "access_key", access_key_id: "AKIAEXAMPLE", secret_access_key: SECRET, session_token: TOKEN },
    role_arn: "arn:aws:iam::123456789012:role/destination-sqs",
    external_id: "hightouch-123",
    role_session_name: "sync-42",
    queue_type: "fifo",
    queue: { source: "template", template: "https://sqs.eu-west-1.amazonaws.com/123456789012/{{ row.region }}.fifo" },
    message_body: { format: "columns", columns: [{ column: "first_name", field: "customer_first_name" }, { column: "id" }] },
    message_id: { source: "column", column: "id" },
    message_group_id: { source: "column", column: "customer.id" },
    message_deduplication_id: { source: "template", template: "{{ row.id }}-{{ row.updated_at }}" },
    message_attributes: [{ name: "event.type", data_type: "String", value: { source: "column", column: "kind" } }],
    events: ["added", "removed"],
    change_detection: {
      mode: "snapshot",
      state_directory: "/tmp/snap",
      primary_key: [["customer", "id"]],
      compare_columns: ["status"],
      initial_sync: "changes_only",
    },
    rejected_rows: { policy: "dead_letter", queue_url: "https://sqs.eu-west-1.amazonaws.com/123456789012/rejected" },
    max_in_flight: 8,
    concurrency: "fixed",
    max_message_bytes: 262144,
    large_messages: {
      policy: "s3",
      bucket: "my-payloads",
      prefix: "destination-sqs/",
      threshold_bytes: 200000,
      always: false,
      region: "us-east-1",
      endpoint: "http://127.0.0.1:4566",
      force_path_style: true,
      size_attribute: "ExtendedPayloadSize",
    },
    retry_max_seconds: 60,
    request_timeout_seconds: 10,
    log_api_calls: true,
    log_message_bodies: true,
    alerts: {
      slack_webhook_url: "https://hooks.slack.com/services/T/B/X",
      pagerduty_routing_key: "R0UT1NGKEY",
      on_failure: false,
      rejected_rows_threshold: 5,
    },
    object_storage_config: {
      storage_type: "S3",
      s3_bucket_name: "my-sync-results",
      s3_bucket_region: "eu-west-1",
      bucket_path: "destination-sqs/results",
      s3_endpoint: "http://127.0.0.1:4566",
      force_path_style: true,
      role_arn: "arn:aws:iam::123456789012:role/sync-results",
      access_key_id: "AKIARESULTS",
      secret_access_key: SECRET,
    },
    sync_results: "all",
  };
  assert.deepEqual(validateConfig(full, "config.json"), full);
});

test("missing required settings are each named", () => {
  assertRejected({}, "region is required", "credentials is required", "queue is required");
});

test("a wrong enum value says what is allowed", () => {
  assertRejected(configWith({ queue_type: "priority" }), "queue_type must be one of: standard, fifo");
});

test("an option's own missing field is reported, not every other option's mismatch", () => {
  const message = assertRejected(
    configWith({ credentials: { auth_type: "access_key", access_key_id: "AKIAEXAMPLE" } }),
    "credentials.secret_access_key is required",
  );
  assert.equal(
    message,
    "The configuration in config.json is invalid: credentials.secret_access_key is required. Correct this setting and try again.",
  );
});

test("an unknown or missing option name lists the options", () => {
  assertRejected(configWith({ queue: { source: "columns", column: "q" } }), "queue.source must be one of: static, column, template");
  assertRejected(
    configWith({ rejected_rows: { queue_url: "https://x" } }),
    "rejected_rows.policy is required (one of: fail, skip, dead_letter)",
  );
  assertRejected(configWith({ queue: "orders" }), "queue must be an object");
});

test("errors inside list items name the item", () => {
  const attributes = [attribute("a"), attribute("b"), { name: "c", data_type: "Text", value: { source: "column" } }];
  assertRejected(
    configWith({ message_attributes: attributes }),
    "message_attributes[2].data_type must be one of: String, Number, Binary",
    "message_attributes[2].value.column is required",
  );
});

test("numbers out of range and wrong types name the field and the limit", () => {
  assertRejected(
    configWith({ max_in_flight: 513, max_message_bytes: 10, request_timeout_seconds: 0, retry_max_seconds: "5", log_api_calls: "yes" }),
    "max_in_flight must be at most 512",
    "max_message_bytes must be at least 1024",
    "request_timeout_seconds must be at least 1",
    "retry_max_seconds must be a whole number",
    "log_api_calls must be true or false",
  );
});

test("a FIFO queue needs a message group ID", () => {
  assertRejected(
    configWith({ queue_type: "fifo", queue: staticValue("orders.fifo") }),
    "message_group_id is required when queue_type is fifo",
  );
});

test("delay_seconds only on standard queues, deduplication ID only on FIFO queues", () => {
  assertRejected(
    configWith({
      queue_type: "fifo",
      queue: staticValue("orders.fifo"),
      message_group_id: staticValue("g"),
      delay_seconds: staticValue("5"),
    }),
    "delay_seconds is only allowed with queue_type standard",
  );
  assertRejected(
    configWith({ message_deduplication_id: staticValue("d") }),
    "message_deduplication_id is only allowed with queue_type fifo",
  );
});

test("a static delay must be a whole number of seconds from 0 to 900, written as rows must write it", () => {
  for (const value of ["901", "1.5", " 5 ", "+5", "-0"]) {
    assertRejected(
      configWith({ delay_seconds: staticValue(value) }),
      "delay_seconds.value must be a whole number of seconds from 0 to 900",
    );
  }
  assert.equal(validateConfig(configWith({ delay_seconds: staticValue("900") }), "config.json").delay_seconds?.source, "static");
});

test("a static value the config accepts is one every row can send: the config and rows share one rule", () => {
  const candidates = [
    "",
    " 5 ",
    "5",
    "05",
    "+5",
    "901",
    "1e2",
    "g",
    "g h",
    "x".repeat(129),
    "QUJD",
    "QUJD=",
    "\u0001",
    "1".repeat(39),
    "orders",
    "orders.fifo",
    "orders x",
    "http://127.0.0.1:4566/000000000000/",
    "http://127.0.0.1:4566/000000000000/orders",
  ];
  const fifo = { queue_type: "fifo", queue: staticValue("orders.fifo"), message_group_id: staticValue("g") };
  const settingsFor: Record<string, (value: string) => Record<string, unknown>> = {
    queue: (value) => ({ queue: staticValue(value) }),
    "queue (fifo)": (value) => ({ ...fifo, queue: staticValue(value) }),
    delay_seconds: (value) => ({ delay_seconds: staticValue(value) }),
    message_group_id: (value) => ({ ...fifo, message_group_id: staticValue(value) }),
    message_deduplication_id: (value) => ({ ...fifo, message_deduplication_id: staticValue(value) }),
    ...Object.fromEntries(
      (["String", "Number", "Binary"] as const).map((dataType) => [
        `a ${dataType} attribute`,
        (value: string) => ({ message_attributes: [{ name: "a", data_type: dataType, value: staticValue(value) }] }),
      ]),
    ),
  };
  let refused = 0;
  for (const [setting, settings] of Object.entries(settingsFor)) {
    for (const value of candidates) {
      let config: Config;
      try {
        config = validateConfig(configWith(settings(value)), "config.json");
      } catch {
        refused++;
        continue;
      }
      const composed = createComposer(config, { checkQueueUrl: ANY_QUEUE_HOST }).compose({
        data: { id: 1 },
        change: "added",
        stream: "orders",
        emittedAt: 0,
      });
      assert.ok(
        !isRejection(composed),
        `${setting} ${JSON.stringify(value)}: the config took it, every row is rejected: ${isRejection(composed) ? composed.reason : ""}`,
      );
    }
  }
  assert.ok(refused > 0);
});

test("a static queue's .fifo suffix must agree with queue_type", () => {
  assertRejected(
    configWith({ queue: staticValue("https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo") }),
    'queue_type is "standard" but queue "orders.fifo" is a FIFO queue (its name ends in .fifo)',
  );
  assertRejected(
    configWith({ queue_type: "fifo", queue: staticValue("orders"), message_group_id: staticValue("g") }),
    'queue_type is "fifo" but queue "orders" is a standard queue',
  );
});

test("external_id needs role_arn, and role_arn must be a role ARN", () => {
  assertRejected(configWith({ external_id: "abc" }), "external_id is only used when assuming a role: set role_arn too");
  assertRejected(
    configWith({ role_arn: "destination-sqs" }),
    "role_arn must be an IAM role ARN like arn:aws:iam::<12-digit account id>:role/<role name>",
  );
  assertRejected(configWith({ role_session_name: "my session" }), "role_session_name must be 2 to 64 letters, digits and _ + = , . @ -");
});

test("message attributes: at most 10, unique names, names valid for SQS", () => {
  const eleven = Array.from({ length: 11 }, (_, index) => attribute(`a${index}`));
  assertRejected(configWith({ message_attributes: eleven }), "message_attributes must list at most 10 items");
  assertRejected(
    configWith({ message_attributes: [attribute("kind"), attribute("id"), attribute("kind")] }),
    "message_attributes[2].name repeats message_attributes[0].name",
  );
  assertRejected(
    configWith({
      message_attributes: [attribute("has space"), attribute(".lead"), attribute("a..b"), attribute("aws.thing"), attribute("Amazon.x")],
    }),
    "message_attributes[0].name must be up to 256 letters, digits, _ - and ., not starting or ending with a period",
    "message_attributes[1].name must be up to 256 letters, digits, _ - and ., not starting or ending with a period",
    "message_attributes[2].name must be up to 256 letters, digits, _ - and ., not starting or ending with a period",
    "message_attributes[3].name must be up to 256 letters, digits, _ - and ., not starting or ending with a period",
    "message_attributes[4].name must be up to 256 letters, digits, _ - and ., not starting or ending with a period",
  );
});

test("events must be a non-empty list without repeats", () => {
  assertRejected(configWith({ events: [] }), "events must list at least 1 item");
  assertRejected(configWith({ events: ["added", "added"] }), "events lists the same value twice");
  assertRejected(configWith({ events: ["upserted"] }), "events[0] must be one of: added, changed, removed");
});

test("URLs must be http(s): endpoint, dead-letter queue, webhooks", () => {
  assertRejected(
    configWith({ endpoint: "localhost:4566", rejected_rows: { policy: "dead_letter", queue_url: "orders-dlq" } }),
    "endpoint must be an http:// or https:// URL",
    "rejected_rows.queue_url must be an http:// or https:// URL",
  );
  assertRejected(configWith({ alerts: { webhook_url: "not a url" } }), "alerts.webhook_url must be an http:// or https:// URL");
});

test("alerts need somewhere to go", () => {
  assertRejected(
    configWith({ alerts: { on_failure: true } }),
    "alerts needs at least one of slack_webhook_url, pagerduty_routing_key, webhook_url or sns_topic_arn",
  );
});

test("alerts through SNS: a topic ARN, and an endpoint only with a topic", () => {
  const topic = "arn:aws:sns:eu-west-1:123456789012:sqs-sync-alerts";
  const config = validateConfig(configWith({ alerts: { sns_topic_arn: topic, sns_endpoint: "http://localhost:4566" } }), "config.json");
  assert.equal(config.alerts?.sns_topic_arn, topic);
  validateConfig(configWith({ alerts: { sns_topic_arn: "arn:aws-cn:sns:cn-north-1:123456789012:alerts.fifo" } }), "config.json");
  for (const wrong of [
    "sqs-sync-alerts",
    "arn:aws:sqs:us-east-1:123456789012:alerts",
    "arn:aws:sns:us-east-1:123:alerts",
    "arn:aws:sns:us-east-1:123456789012:",
  ]) {
    assertRejected(
      configWith({ alerts: { sns_topic_arn: wrong } }),
      "alerts.sns_topic_arn must be an SNS topic ARN like arn:aws:sns:<region>:<12-digit account id>:<topic name>",
    );
  }
  assertRejected(
    configWith({ alerts: { sns_topic_arn: topic, sns_endpoint: "localhost:4566" } }),
    "alerts.sns_endpoint must be an http:// or https:// URL",
  );
  assertRejected(
    configWith({ alerts: { webhook_url: "https://example.com/hook", sns_endpoint: "http://localhost:4566" } }),
    "alerts.sns_endpoint is only used with alerts.sns_topic_arn: set sns_topic_arn too, or remove sns_endpoint",
  );
});

test("snapshot primary key entries must be column paths", () => {
  assertRejected(
    configWith({ change_detection: { mode: "snapshot", primary_key: [["id"], "id", [], ["a", 1]] } }),
    "change_detection.primary_key[1] must be a column path",
    "change_detection.primary_key[2] must be a column path",
    "change_detection.primary_key[3] must be a column path",
  );
});

test("log_message_bodies turns on log_api_calls", () => {
  const config = validateConfig(configWith({ log_message_bodies: true }), "config.json");
  assert.equal(config.log_api_calls, true);
});

test("one error lists every offending field", () => {
  const message = assertRejected(
    { region: "", credentials: { auth_type: "magic" }, queue: { source: "static", value: "" }, max_in_flight: 0 },
    "region must be an AWS region code in lower case",
    "credentials.auth_type must be one of: access_key, default_chain",
    "queue.value must be a queue name",
    "max_in_flight must be at least 1",
  );
  assert.equal(message.split("; ").length, 4);
});

test("secret values never appear in error messages", () => {
  const withSecrets = {
    region: "nowhere",
    credentials: { auth_type: "access_key", access_key_id: 7, secret_access_key: SECRET, session_token: TOKEN },
    queue: { source: "static", value: SECRET },
    alerts: { slack_webhook_url: SECRET, pagerduty_routing_key: TOKEN, webhook_url: TOKEN },
    events: [SECRET],
    queue_type: SECRET,
    message_attributes: [{ name: SECRET, data_type: TOKEN, value: { source: TOKEN } }],
  };
  const message = errorFor(withSecrets);
  assert.ok(!message.includes(SECRET) && !message.includes(TOKEN), message);
  assert.ok(!message.includes("EXAMPLE"), message);
});

test("secretPaths comes from the airbyte_secret fields of spec.json", () => {
  assert.deepEqual(
    new Set(secretPaths()),
    new Set([
      "credentials.secret_access_key",
      "credentials.session_token",
      "alerts.slack_webhook_url",
      "alerts.pagerduty_routing_key",
      "alerts.webhook_url",
      "object_storage_config.secret_access_key",
    ]),
  );
});

test("secretValues finds every secret in a config, and only secrets", () => {
  const config = validateConfig(
    configWith({
      credentials: { auth_type: "access_key", access_key_id: "AKIAEXAMPLE", secret_access_key: SECRET, session_token: TOKEN },
      alerts: { slack_webhook_url: "https://hooks.slack.com/services/T0/B0/abc", pagerduty_routing_key: "routing-key-1" },
    }),
    "config.json",
  );
  assert.deepEqual(new Set(secretValues(config)), new Set([SECRET, TOKEN, "https://hooks.slack.com/services/T0/B0/abc", "routing-key-1"]));
  assert.deepEqual(secretValues(validateConfig(minimal, "config.json")), []);
});

test("loadConfig reads and validates a file", () => {
  const path = writeTemp("good.json", JSON.stringify(minimal, null, 2));
  assert.equal(loadConfig(path).queue_type, "standard");
});

test("a config file with a byte order mark is accepted", () => {
  const path = writeTemp("bom.json", `\uFEFF${JSON.stringify(minimal)}`);
  assert.equal(loadConfig(path).region, "us-east-1");
});

test("loadConfig names the file when it is missing", () => {
  const path = join(tempDir, "missing.json");
  assert.throws(
    () => loadConfig(path),
    (error: unknown) => {
      assert.ok(error instanceof UserFacingError);
      assert.equal(error.failureType, "config_error");
      assert.equal(
        error.message,
        `Cannot read the config file ${path}: the file does not exist. Pass the path of a readable JSON config file with --config.`,
      );
      return true;
    },
  );
});

test("invalid JSON names the file, line and column, without quoting the file", () => {
  const cases: { text: string; line: number; column: number }[] = [
    { text: `{\n  "region": "us-east-1",\n  "secret_access_key": ${SECRET}\n}`, line: 3, column: 24 },
    { text: `{\n  "region": "us-east-1"\n  "queue": "${SECRET}"\n}`, line: 3, column: 3 },
    { text: `{"events": ["added",]}`, line: 1, column: 21 },
    { text: `{"region": "us-east-1", "key": "${SECRET}"`, line: 1, column: 74 },
  ];
  for (const [index, { text, line, column }] of cases.entries()) {
    const path = writeTemp(`broken-${index}.json`, text);
    assert.throws(
      () => loadConfig(path),
      (error: unknown) => {
        assert.ok(error instanceof UserFacingError);
        assert.equal(error.failureType, "config_error");
        assert.ok(error.message.startsWith(`The config file ${path} is not valid JSON: `), error.message);
        assert.ok(error.message.includes(`at line ${line}, column ${column}.`), error.message);
        assert.ok(!error.message.includes(SECRET.slice(0, 8)), error.message);
        return true;
      },
    );
  }
});

test("concurrency is adaptive or fixed, and says so when it is neither", () => {
  assert.equal(validateConfig({ ...minimal, concurrency: "fixed" }, "config.json").concurrency, "fixed");
  assertRejected(configWith({ concurrency: "turbo" }), "concurrency must be one of: adaptive, fixed");
});

test("object_storage_config: a key pair goes together, and sync_results all needs S3 storage", () => {
  const s3 = { storage_type: "S3", s3_bucket_name: "results", s3_bucket_region: "us-east-1", bucket_path: "sync" };
  assertRejected(
    configWith({ object_storage_config: { ...s3, access_key_id: "AKIARESULTS" } }),
    "object_storage_config.access_key_id and object_storage_config.secret_access_key go together",
  );
  assertRejected(configWith({ sync_results: "all" }), 'sync_results "all" writes every row\'s outcome to object_storage_config');
  assertRejected(configWith({ object_storage_config: { ...s3, s3_bucket_name: "s3://results" } }), "object_storage_config.s3_bucket_name");
  assert.equal(validateConfig(configWith({ object_storage_config: s3 }), "config.json").sync_results, "rejected");
});
