import { readFileSync } from "node:fs";
import type { ErrorObject, ValidateFunction } from "ajv";
import { UserFacingError } from "../errors.js";
import { queueNameFromUrl } from "../aws/queues.js";
import { readPackageJson } from "../package-files.js";
import { queueTypeMismatch, queueTypeSettingIssues } from "../queue-type.js";
import { checkAttribute, checkDelaySeconds, checkFifoId, checkQueueValue } from "../compose/sqs-rules.js";
import { validate } from "./spec-validator.generated.js";
import { MAX_USER_ATTRIBUTES, RESERVED_ATTRIBUTES } from "../large-messages/extended-client-format.js";
import type { Alerts, ChangeDetection, Config, MessageAttributeSetting, ValueSource } from "./types.js";

/** A node of spec.json: the JSON Schema keywords this module reads, plus Airbyte's annotations. */
export interface SchemaNode {
  type?: string | string[];
  title?: string;
  description?: string;
  order?: number;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  oneOf?: SchemaNode[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  examples?: unknown[];
  airbyte_secret?: boolean;
  /** Airbyte's UI hint for a `pattern`, phrased to follow "must be". */
  pattern_descriptor?: string;
  [keyword: string]: unknown;
}

/** The connector's connectionSpecification (spec.json), as printed by the `spec` command. */
export const connectionSpecification = readPackageJson<SchemaNode>("spec.json");

/** spec.json as a validator that also fills in defaults, compiled at build time (scripts/generate-spec-validator.ts). */
const matchesSpec = validate as ValidateFunction<Config>;

/** Reads, validates and completes the config file passed with `--config`. */
export function loadConfig(path: string): Config {
  return validateConfig(parseJson(readConfigFile(path), path), path);
}

/**
 * Validates a parsed config against spec.json and the rules JSON Schema cannot express, and returns
 * it with every default applied. `source` names the config in error messages (usually its file name).
 */
export function validateConfig(raw: unknown, source: string): Config {
  const config = structuredClone(raw);
  if (!matchesSpec(config)) throw invalidConfig(source, schemaIssues(matchesSpec.errors ?? []));
  const issues = crossFieldIssues(config);
  if (issues.length > 0) throw invalidConfig(source, issues);
  applyBranchDefaults(connectionSpecification, config);
  // Bodies are only ever logged inside the API call log, so asking for them asks for the log.
  if (config.log_message_bodies) config.log_api_calls = true;
  return config;
}

function invalidConfig(source: string, issues: string[]): UserFacingError {
  const fix = issues.length === 1 ? "Correct this setting" : "Correct these settings";
  return new UserFacingError(`The configuration in ${source} is invalid: ${issues.join("; ")}. ${fix} and try again.`);
}

// ---------------------------------------------------------------------------------------------
// Reading the file

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "the file does not exist"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : String(code ?? error);
    throw new UserFacingError(
      `Cannot read the config file ${path}: ${reason}. Pass the path of a readable JSON config file with --config.`,
    );
  }
}

function parseJson(text: string, path: string): unknown {
  const json = text.replace(/^\uFEFF/, "");
  try {
    return JSON.parse(json);
  } catch (error) {
    // V8's message may quote the file's text (secrets included), so only its reason is kept.
    const reason = String((error as Error).message)
      .replace(/^Unexpected token .*/s, "unexpected character")
      .replace(/ in JSON at position \d+$/, "");
    const { line, column } = lineAndColumn(json, syntaxErrorOffset(json));
    throw new UserFacingError(
      `The config file ${path} is not valid JSON: ${reason.charAt(0).toLowerCase()}${reason.slice(1)} at line ${line}, column ${column}. ` +
        "Fix the JSON syntax there (often a missing comma, quote or brace) and try again.",
    );
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: a JSON string forbids unescaped control characters
const JSON_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const JSON_SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** Where JSON.parse gave up: V8 leaves the position out of some messages (e.g. an unquoted value). */
function syntaxErrorOffset(text: string): number {
  let at = 0;
  const skipSpace = (): void => {
    while (at < text.length && " \t\n\r".includes(text.charAt(at))) at++;
  };
  const match = (pattern: RegExp): boolean => {
    skipSpace();
    pattern.lastIndex = at;
    const found = pattern.exec(text);
    if (found) at += found[0].length;
    return found !== null;
  };
  const expect = (char: string): boolean => {
    skipSpace();
    if (text.charAt(at) !== char) return false;
    at++;
    return true;
  };
  const sequence = (close: string, member: () => boolean): boolean => {
    at++;
    if (expect(close)) return true;
    do {
      if (!member()) return false;
    } while (expect(","));
    return expect(close);
  };
  const value = (): boolean => {
    skipSpace();
    if (text.charAt(at) === "{") return sequence("}", () => match(JSON_STRING) && expect(":") && value());
    if (text.charAt(at) === "[") return sequence("]", value);
    return match(JSON_STRING) || match(JSON_SCALAR);
  };
  if (value()) skipSpace();
  return at;
}

// ---------------------------------------------------------------------------------------------
// Schema errors, in the user's terms

/** The property every branch of a oneOf fixes with `const` (spec rule: exactly one). */
function discriminatorOf(branches: SchemaNode[]): string {
  const first = branches[0]?.properties ?? {};
  const name = Object.keys(first).find((key) => branches.every((branch) => branch.properties?.[key]?.const !== undefined));
  if (name === undefined) throw new Error("spec.json: a oneOf has no shared const discriminator");
  return name;
}

function branchIndex(branches: SchemaNode[], data: Record<string, unknown>): number {
  const discriminator = discriminatorOf(branches);
  return branches.findIndex((branch) => branch.properties?.[discriminator]?.const === data[discriminator]);
}

/** How one oneOf failure was resolved: the branch the user picked, or the issue with the pick. */
interface OneOfChoice {
  schemaPath: string;
  instancePath: string;
  branch: number;
  issue?: string;
}

function resolveOneOf(error: ErrorObject): OneOfChoice {
  const branches = error.schema as SchemaNode[];
  const choice = { schemaPath: error.schemaPath, instancePath: error.instancePath, branch: -1 };
  // A non-object is already reported by the `type: object` beside the oneOf.
  if (!isRecord(error.data)) return choice;
  const discriminator = discriminatorOf(branches);
  const allowed = branches.map((branch) => String(branch.properties?.[discriminator]?.const)).join(", ");
  const field = joinPath(fieldPath(error.instancePath), discriminator);
  if (error.data[discriminator] === undefined) return { ...choice, issue: `${field} is required (one of: ${allowed})` };
  const branch = branchIndex(branches, error.data);
  return branch < 0 ? { ...choice, issue: `${field} must be one of: ${allowed}` } : { ...choice, branch };
}

/** False for errors raised inside a oneOf branch other than the one the discriminator selects. */
function inChosenBranch(error: ErrorObject, choices: OneOfChoice[]): boolean {
  return choices.every((choice) => {
    const inside =
      error.schemaPath.startsWith(`${choice.schemaPath}/`) &&
      (error.instancePath === choice.instancePath || error.instancePath.startsWith(`${choice.instancePath}/`));
    if (!inside) return true;
    const branch = Number(error.schemaPath.slice(choice.schemaPath.length + 1).split("/")[0]);
    return branch === choice.branch;
  });
}

function schemaIssues(errors: ErrorObject[]): string[] {
  const choices = new Map(errors.filter((error) => error.keyword === "oneOf").map((error) => [error, resolveOneOf(error)]));
  const issues = errors.flatMap((error) => {
    const choice = choices.get(error);
    if (choice !== undefined) return choice.issue === undefined ? [] : [choice.issue];
    return inChosenBranch(error, [...choices.values()]) ? [describeError(error)] : [];
  });
  return [...new Set(issues)];
}

const ARTICLE_TYPES: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  null: "null",
};

// Messages name the field and what it expects, never the value it holds (which may be a secret).
function describeError(error: ErrorObject): string {
  const field = fieldPath(error.instancePath) || "the configuration";
  const params = error.params as Record<string, unknown>;
  const schema = error.parentSchema as SchemaNode | undefined;
  const count = (n: unknown, noun: string): string => `${String(n)} ${noun}${n === 1 ? "" : "s"}`;
  switch (error.keyword) {
    case "required":
      return `${joinPath(fieldPath(error.instancePath), String(params.missingProperty))} is required`;
    case "type":
      return `${field} must be ${String(params.type)
        .split(",")
        .map((type) => ARTICLE_TYPES[type] ?? type)
        .join(" or ")}`;
    case "enum":
      return `${field} must be one of: ${(params.allowedValues as unknown[]).map(String).join(", ")}`;
    case "const":
      return `${field} must be ${JSON.stringify(params.allowedValue)}`;
    case "minimum":
    case "maximum":
      return `${field} must be ${error.keyword === "minimum" ? "at least" : "at most"} ${String(params.limit)}`;
    case "minLength":
      return params.limit === 1 ? `${field} must not be empty` : `${field} must be at least ${count(params.limit, "character")} long`;
    case "maxLength":
      return `${field} must be at most ${count(params.limit, "character")} long`;
    case "minItems":
      return `${field} must list at least ${count(params.limit, "item")}`;
    case "maxItems":
      return `${field} must list at most ${count(params.limit, "item")}`;
    case "uniqueItems":
      return `${field} lists the same value twice (items ${String(params.j)} and ${String(params.i)})`;
    case "format":
      return `${field} must be an http:// or https:// URL`;
    case "pattern":
      return `${field} must be ${String(schema?.pattern_descriptor ?? `text matching ${String(params.pattern)}`)}`;
    default:
      return `${field} ${error.message ?? "is invalid"}`;
  }
}

/** `/message_attributes/2/data_type` → `message_attributes[2].data_type` */
function fieldPath(instancePath: string): string {
  return instancePath
    .split("/")
    .slice(1)
    .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : joinPath(path, segment)), "");
}

function joinPath(parent: string, child: string): string {
  return parent === "" ? child : `${parent}.${child}`;
}

// ---------------------------------------------------------------------------------------------
// Rules JSON Schema cannot express (Airbyte's spec rules forbid if/then/else)

function crossFieldIssues(config: Config): string[] {
  return [
    ...queueTypeIssues(config),
    ...staticValueIssues(config),
    ...(config.external_id !== undefined && config.role_arn === undefined
      ? ["external_id is only used when assuming a role: set role_arn too, or remove external_id"]
      : []),
    ...attributeIssues(config.message_attributes),
    ...primaryKeyIssues(config.change_detection),
    ...(config.change_detection.mode === "snapshot" &&
    config.change_detection.store &&
    config.change_detection.state_directory !== undefined
      ? [
          'change_detection.state_directory is a deprecated alias of change_detection.store: set only store (for a directory, {"type": "local", "directory": …})',
        ]
      : []),
    ...alertIssues(config.alerts),
    ...largeMessageIssues(config),
  ];
}

function queueTypeIssues(config: Config): string[] {
  const issues = queueTypeSettingIssues(config);
  if (config.queue.source === "static") {
    const mismatch = queueTypeMismatch(queueNameFromUrl(config.queue.value), config.queue_type);
    if (mismatch !== undefined) issues.push(mismatch);
  }
  return issues;
}

/**
 * A static value gets the rule every row's value gets (src/compose/sqs-rules.ts), so a value the
 * config accepts is one each row can send. A queue whose type is wrong is queueTypeIssues' to report.
 */
function staticValueIssues(config: Config): string[] {
  const queueType = config.queue_type;
  const rules: [string, ValueSource | undefined, (value: string) => string | undefined][] = [
    [
      "queue",
      config.queue,
      (value) => (queueTypeMismatch(queueNameFromUrl(value), queueType) ? undefined : checkQueueValue(value, queueType)),
    ],
    ["message_group_id", config.message_group_id, checkFifoId],
    ["message_deduplication_id", config.message_deduplication_id, checkFifoId],
    ["delay_seconds", config.delay_seconds, checkDelaySeconds],
    ...config.message_attributes.map((attribute, index): [string, ValueSource, (value: string) => string | undefined] => [
      `message_attributes[${index}].value`,
      attribute.value,
      (value) => checkAttribute(attribute.data_type, value),
    ]),
  ];
  return rules.flatMap(([setting, source, check]) => {
    if (source?.source !== "static") return [];
    const problem = check(source.value);
    // Like every config error, this names the field, not the value (which may be a secret).
    return problem === undefined ? [] : [`${setting}.value ${problem}`];
  });
}

/** Names are checked one by one by spec.json's pattern; their uniqueness needs the whole list. */
function attributeIssues(attributes: MessageAttributeSetting[]): string[] {
  const firstIndex = new Map<string, number>();
  return attributes.flatMap((attribute, index) => {
    const previous = firstIndex.get(attribute.name);
    if (previous !== undefined) {
      return [`message_attributes[${index}].name repeats message_attributes[${previous}].name: attribute names must be unique`];
    }
    firstIndex.set(attribute.name, index);
    return [];
  });
}

// spec.json cannot declare items for primary_key: Airbyte's UI rejects arrays of arrays.
function primaryKeyIssues(detection: ChangeDetection): string[] {
  if (detection.mode !== "snapshot" || detection.primary_key === undefined) return [];
  const keys: unknown[] = detection.primary_key;
  return keys.flatMap((path, index) =>
    Array.isArray(path) && path.length > 0 && path.every((segment) => typeof segment === "string" && segment !== "")
      ? []
      : [`change_detection.primary_key[${index}] must be a column path: a non-empty list of names like ["customer", "id"]`],
  );
}

function alertIssues(alerts: Alerts | undefined): string[] {
  if (alerts === undefined) return [];
  const destinations = [alerts.slack_webhook_url, alerts.pagerduty_routing_key, alerts.webhook_url, alerts.sns_topic_arn];
  return [
    ...(destinations.some((destination) => destination !== undefined)
      ? []
      : ["alerts needs at least one of slack_webhook_url, pagerduty_routing_key, webhook_url or sns_topic_arn"]),
    ...(alerts.sns_endpoint !== undefined && alerts.sns_topic_arn === undefined
      ? ["alerts.sns_endpoint is only used with alerts.sns_topic_arn: set sns_topic_arn too, or remove sns_endpoint"]
      : []),
  ];
}

function largeMessageIssues(config: Config): string[] {
  const settings = config.large_messages;
  if (settings.policy !== "s3") return [];
  const issues: string[] = [];
  if (settings.threshold_bytes !== undefined && settings.threshold_bytes > config.max_message_bytes) {
    issues.push(
      `large_messages.threshold_bytes (${settings.threshold_bytes}) is over max_message_bytes (${config.max_message_bytes}): ` +
        "messages between the two could neither be sent nor go through S3; lower threshold_bytes or leave it out",
    );
  }
  config.message_attributes.forEach((attribute, index) => {
    if (RESERVED_ATTRIBUTES.includes(attribute.name)) {
      issues.push(
        `message_attributes[${index}].name "${attribute.name}" is reserved when large_messages.policy is "s3": ` +
          "the SQS Extended Client format uses it to mark messages whose body is in S3; rename the attribute",
      );
    }
  });
  if (settings.always === true && config.message_attributes.length > MAX_USER_ATTRIBUTES) {
    issues.push(
      `large_messages.always sends every message through S3, whose pointer takes one of SQS's 10 message attributes: ` +
        `use at most ${MAX_USER_ATTRIBUTES} message_attributes`,
    );
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Defaults ajv leaves out: it does not apply defaults inside oneOf branches.

function applyBranchDefaults(node: SchemaNode, data: unknown): void {
  if (Array.isArray(data)) {
    if (node.items !== undefined) for (const item of data) applyBranchDefaults(node.items, item);
    return;
  }
  if (!isRecord(data)) return;
  const branch = node.oneOf === undefined ? undefined : node.oneOf[branchIndex(node.oneOf, data)];
  for (const [key, child] of Object.entries(branch?.properties ?? {})) {
    if (data[key] === undefined && child.default !== undefined) data[key] = structuredClone(child.default);
  }
  for (const [key, child] of Object.entries({ ...node.properties, ...branch?.properties })) {
    applyBranchDefaults(child, data[key]);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
