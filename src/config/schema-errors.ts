// Schema errors in the user's terms: the field and what it expects, only for the oneOf branch chosen.

import type { ErrorObject } from "ajv";
import { branchIndex, discriminatorOf, isRecord, type SchemaNode } from "./schema.js";

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

export function schemaIssues(errors: ErrorObject[]): string[] {
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
