// Airbyte's spec acceptance rules (see connector-acceptance-test TestSpec), checked on spec.json, plus
// the configuration contract: every documented key is in the spec with its documented default.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { DOCUMENTED_DEFAULTS } from "./helpers/documented-defaults.js";

interface Node {
  [keyword: string]: unknown;
  type?: string | string[];
  properties?: Record<string, Node>;
  items?: Node;
  oneOf?: Node[];
  required?: string[];
}

const spec = JSON.parse(readFileSync(new URL("../spec.json", import.meta.url), "utf8")) as Node;

interface Visited {
  node: Node;
  path: string;
  /** Set when the node is the value of a `properties` entry: a field the UI renders. */
  property?: string;
}

function* walk(node: Node, path = "#"): Generator<Visited> {
  yield { node, path };
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    for (const visited of walk(child, `${path}/properties/${name}`)) {
      yield visited.node === child ? { ...visited, property: name } : visited;
    }
  }
  for (const [index, branch] of (node.oneOf ?? []).entries()) yield* walk(branch, `${path}/oneOf/${index}`);
  if (node.items !== undefined) yield* walk(node.items, `${path}/items`);
}

const nodes = [...walk(spec)];
const fields = nodes.filter((visited) => visited.property !== undefined);

/** Every key anywhere in the spec except inside `properties` maps (where keys are field names). */
function keywordsIn(node: unknown, path = "#"): { keyword: string; path: string }[] {
  if (typeof node !== "object" || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((item, index) => keywordsIn(item, `${path}/${index}`));
  return Object.entries(node).flatMap(([key, value]) =>
    key === "properties"
      ? Object.entries(value as Record<string, unknown>).flatMap(([name, child]) => keywordsIn(child, `${path}/properties/${name}`))
      : key === "examples" || key === "default" || key === "enum" || key === "const"
        ? [{ keyword: key, path }]
        : [{ keyword: key, path }, ...keywordsIn(value, `${path}/${key}`)],
  );
}

test("spec.json is a draft-07 object schema that ajv compiles", () => {
  assert.equal(spec.$schema, "http://json-schema.org/draft-07/schema#");
  assert.equal(spec.type, "object");
  assert.doesNotThrow(() => new Ajv({ strict: false }).compile(spec));
});

test("no forbidden schema keywords ($ref, anyOf, allOf, not, patternProperties, if/then/else, ...)", () => {
  const forbidden = new Set([
    "$ref",
    "anyOf",
    "allOf",
    "not",
    "patternProperties",
    "prefixItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
  ]);
  const found = keywordsIn(spec).filter(({ keyword }) => forbidden.has(keyword));
  assert.deepEqual(found, []);
});

test("additionalProperties is absent or true everywhere", () => {
  const wrong = nodes.filter(({ node }) => "additionalProperties" in node && node.additionalProperties !== true);
  assert.deepEqual(
    wrong.map(({ path }) => path),
    [],
  );
});

test("every oneOf sits on an object and its branches share exactly one const discriminator without default or enum", () => {
  const oneOfs = nodes.filter(({ node }) => node.oneOf !== undefined);
  assert.ok(oneOfs.length > 0);
  for (const { node, path } of oneOfs) {
    const branches = node.oneOf ?? [];
    assert.equal(node.type, "object", `${path} holds a oneOf so must have type object`);
    assert.ok(branches.length > 1, `${path} oneOf needs at least two branches`);
    for (const branch of branches) {
      assert.equal(branch.type, "object", `${path}: every branch is an object`);
      assert.ok(branch.properties !== undefined, `${path}: every branch has properties`);
      assert.equal(typeof branch.title, "string", `${path}: every branch has a title for the UI`);
    }
    const common = Object.keys(branches[0]?.properties ?? {}).filter((key) =>
      branches.every((branch) => branch.properties?.[key] !== undefined),
    );
    const discriminators = common.filter((key) => branches.every((branch) => branch.properties?.[key]?.const !== undefined));
    assert.equal(discriminators.length, 1, `${path}: exactly one shared const property, found ${discriminators.join(", ")}`);
    const discriminator = discriminators[0] ?? "";
    const values = branches.map((branch) => branch.properties?.[discriminator]?.const);
    assert.equal(new Set(values).size, values.length, `${path}: discriminator values are distinct`);
    for (const branch of branches) {
      const property = branch.properties?.[discriminator] ?? {};
      assert.ok(!("default" in property) && !("enum" in property), `${path}.${discriminator}: no default or enum beside const`);
      assert.ok(branch.required?.includes(discriminator), `${path}: every branch requires ${discriminator}`);
    }
  }
});

test('each field\'s type is one type or [type, "null"]', () => {
  for (const { node, path } of fields) {
    const type = node.type;
    assert.ok(
      typeof type === "string" || (Array.isArray(type) && type.length === 2 && type[1] === "null" && typeof type[0] === "string"),
      `${path} type ${JSON.stringify(type)}`,
    );
  }
});

test("every field has a title, a description and an order unique among its siblings", () => {
  for (const { node, path } of fields) {
    assert.ok(typeof node.title === "string" && node.title.trim() !== "", `${path} needs a title`);
    assert.ok(typeof node.description === "string" && node.description.trim() !== "", `${path} needs a description`);
    assert.ok(Number.isInteger(node.order), `${path} needs an integer order`);
    if (node.pattern !== undefined) assert.equal(typeof node.pattern_descriptor, "string", `${path} needs a pattern_descriptor`);
  }
  for (const { node, path } of nodes) {
    const orders = Object.values(node.properties ?? {}).map((child) => child.order);
    assert.equal(new Set(orders).size, orders.length, `${path}: duplicate order among properties`);
  }
});

test("objects are not empty and arrays hold objects, strings, numbers or an enum (no arrays of arrays)", () => {
  for (const { node, path } of nodes.slice(1)) {
    if (node.type === "object")
      assert.ok(node.oneOf !== undefined || Object.keys(node.properties ?? {}).length > 0, `${path} is an empty object`);
    if (node.type === "array" && node.items !== undefined) {
      const items = node.items;
      assert.ok(["object", "string", "number", "integer"].includes(String(items.type)) || items.enum !== undefined, `${path} items`);
    }
  }
});

test("enums have distinct values", () => {
  for (const { node, path } of nodes) {
    if (Array.isArray(node.enum)) assert.equal(new Set(node.enum).size, node.enum.length, path);
  }
});

test("secrets are marked airbyte_secret, and fields Airbyte treats as secret by name are marked too", () => {
  const secretNames = new Set(["secret_access_key", "session_token", "slack_webhook_url", "pagerduty_routing_key", "webhook_url"]);
  // connector-acceptance-test's list of names that must be marked when they can hold a string or number.
  const airbyteSecretNames = new Set([
    "client_token",
    "access_token",
    "api_token",
    "token",
    "secret",
    "client_secret",
    "password",
    "key",
    "service_account_info",
    "service_account",
    "tenant_id",
    "certificate",
    "jwt",
    "credentials",
    "app_id",
    "appid",
    "refresh_token",
  ]);
  const marked = fields.filter(({ node }) => node.airbyte_secret === true).map(({ property }) => property);
  assert.deepEqual(new Set(marked), secretNames);
  for (const { node, path, property } of fields) {
    if (!airbyteSecretNames.has(String(property).toLowerCase())) continue;
    const canHoldSecret = ["string", "integer", "number"].some((type) => [node.type].flat().includes(type)) && !node.const;
    assert.equal(node.airbyte_secret === true, canHoldSecret, path);
  }
});

test("every key of the configuration contract is in the spec, with its documented default", () => {
  const top = spec.properties ?? {};
  const contract = [
    "region",
    "endpoint",
    "credentials",
    "role_arn",
    "external_id",
    "role_session_name",
    "queue_type",
    "queue",
    "message_body",
    "message_id",
    "message_group_id",
    "message_deduplication_id",
    "delay_seconds",
    "message_attributes",
    "events",
    "change_detection",
    "rejected_rows",
    "max_in_flight",
    "concurrency",
    "max_message_bytes",
    "log_api_calls",
    "log_message_bodies",
    "alerts",
    "retry_max_seconds",
    "request_timeout_seconds",
    "large_messages",
  ];
  assert.deepEqual(
    contract.filter((key) => top[key] === undefined),
    [],
  );
  assert.deepEqual(new Set(spec.required), new Set(["region", "credentials", "queue"]));

  const defaults = Object.fromEntries(
    Object.entries(top)
      .filter(([, node]) => "default" in node)
      .map(([key, node]) => [key, node.default]),
  );
  assert.deepEqual(defaults, DOCUMENTED_DEFAULTS);
  assert.deepEqual(top.queue_type?.enum, ["standard", "fifo"]);
  assert.deepEqual([top.max_in_flight?.minimum, top.max_in_flight?.maximum], [1, 512]);
  assert.deepEqual(top.concurrency?.enum, ["adaptive", "fixed"]);
  assert.deepEqual([top.max_message_bytes?.minimum, top.max_message_bytes?.maximum], [1024, 1048576]);
  assert.deepEqual([top.request_timeout_seconds?.minimum, top.request_timeout_seconds?.maximum], [1, 300]);
  assert.equal(top.retry_max_seconds?.minimum, 1);

  const branchFields = (key: string, discriminator: string): Record<string, string[]> =>
    Object.fromEntries(
      (top[key]?.oneOf ?? []).map((branch) => [
        String(branch.properties?.[discriminator]?.const),
        Object.keys(branch.properties ?? {}).filter((name) => name !== discriminator),
      ]),
    );
  const valueSource = { static: ["value"], column: ["column"], template: ["template"] };
  for (const key of ["queue", "message_id", "message_group_id", "message_deduplication_id", "delay_seconds"]) {
    assert.deepEqual(branchFields(key, "source"), valueSource, key);
  }
  assert.deepEqual(branchFields("credentials", "auth_type"), {
    access_key: ["access_key_id", "secret_access_key", "session_token"],
    default_chain: [],
  });
  assert.deepEqual(branchFields("message_body", "format"), {
    record: [],
    column: ["column"],
    columns: ["columns"],
    template: ["template"],
  });
  assert.deepEqual(branchFields("change_detection", "mode"), {
    none: [],
    field: ["field", "added_values", "changed_values", "removed_values"],
    cdc: [],
    snapshot: ["state_directory", "primary_key", "compare_columns", "initial_sync", "reset", "store", "publish_removals_on_clear"],
  });
  const snapshotBranch = top.change_detection?.oneOf?.find((branch) => branch.properties?.mode?.const === "snapshot");
  const stores = Object.fromEntries(
    (snapshotBranch?.properties?.store?.oneOf ?? []).map((branch) => [
      branch.properties?.type?.const,
      Object.keys(branch.properties ?? {}),
    ]),
  );
  assert.deepEqual(stores, { s3: ["type", "bucket", "prefix", "region", "endpoint", "force_path_style"], local: ["type", "directory"] });
  assert.deepEqual(branchFields("rejected_rows", "policy"), { fail: [], skip: ["max_rejected_rows"], dead_letter: ["queue_url"] });
  assert.deepEqual(branchFields("large_messages", "policy"), {
    reject: [],
    s3: ["bucket", "prefix", "threshold_bytes", "always", "region", "endpoint", "force_path_style", "size_attribute"],
  });

  const attribute = top.message_attributes?.items?.properties ?? {};
  assert.deepEqual(Object.keys(attribute), ["name", "data_type", "value"]);
  assert.deepEqual(attribute.data_type?.enum, ["String", "Number", "Binary"]);
  assert.equal(top.message_attributes?.maxItems, 10);
  assert.deepEqual(top.events?.items?.enum, ["added", "changed", "removed"]);
  const alerts = top.alerts?.properties ?? {};
  assert.deepEqual(Object.keys(alerts), [
    "slack_webhook_url",
    "pagerduty_routing_key",
    "webhook_url",
    "sns_topic_arn",
    "sns_endpoint",
    "on_failure",
    "rejected_rows_threshold",
  ]);
  assert.deepEqual([alerts.on_failure?.default, alerts.rejected_rows_threshold?.default], [true, 1]);
});

test("every default and example is valid for its own field", () => {
  const ajv = new Ajv({ strict: false });
  ajv.addFormat("uri", true);
  for (const { node, path } of fields) {
    const check = ajv.compile(node);
    if ("default" in node) assert.ok(check(structuredClone(node.default)), `${path} default`);
    for (const example of (node.examples as unknown[] | undefined) ?? []) {
      assert.ok(check(structuredClone(example)), `${path} example ${JSON.stringify(example)}`);
    }
  }
});

test("the form reads in groups: connection, message, routing, change detection, delivery, observability, advanced", () => {
  const groups = (spec.groups as { id: string; title: string }[]).map(({ id }) => id);
  assert.deepEqual(groups, ["connection", "message", "routing", "change_detection", "delivery", "observability", "advanced"]);
  const ordered = Object.entries(spec.properties ?? {}).sort(([, a], [, b]) => Number(a.order) - Number(b.order));
  const grouped = Object.fromEntries(
    groups.map((group) => [group, ordered.filter(([, node]) => node.group === group).map(([key]) => key)]),
  );
  assert.deepEqual(grouped, {
    connection: ["region", "credentials", "role_arn", "external_id", "role_session_name"],
    message: ["message_body", "message_id", "message_attributes"],
    routing: ["queue_type", "queue", "message_group_id", "message_deduplication_id", "delay_seconds"],
    change_detection: ["events", "change_detection"],
    delivery: ["rejected_rows", "max_in_flight", "concurrency", "retry_max_seconds"],
    observability: ["log_api_calls", "log_message_bodies", "alerts", "object_storage_config", "sync_results"],
    advanced: ["endpoint", "request_timeout_seconds", "max_message_bytes", "large_messages"],
  });
  // A form that ignores groups still shows them in this order.
  assert.deepEqual(
    ordered.map(([, node]) => groups.indexOf(String(node.group))),
    ordered.map(([, node]) => groups.indexOf(String(node.group))).sort((a, b) => a - b),
  );
});
