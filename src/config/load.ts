// Loading the config: read the file, check it against spec.json and the cross-field rules, complete it.

import type { ValidateFunction } from "ajv";
import { UserFacingError } from "../errors.js";
import { crossFieldIssues } from "./cross-field.js";
import { applyBranchDefaults } from "./defaults.js";
import { readConfigJson } from "./file.js";
import { connectionSpecification } from "./schema.js";
import { schemaIssues } from "./schema-errors.js";
import { validate } from "./spec-validator.generated.js";
import type { Config } from "./types.js";

/** spec.json as a validator that also fills in defaults, compiled at build time (scripts/generate-spec-validator.ts). */
const matchesSpec = validate as ValidateFunction<Config>;

/** Reads, validates and completes the config file passed with `--config`. */
export function loadConfig(path: string): Config {
  return validateConfig(readConfigJson(path), path);
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
