// Airbyte's connector metadata: our metadata.yaml, its validation against Airbyte's schema (when a
// copy of the schema folder is at hand), and the allowed hosts as the platform resolves them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { REPO_ROOT } from "./cli.js";

/** Where a copy of Airbyte's metadata schema folder (`schema/` and `examples/`) is looked for. */
export const METADATA_SCHEMA_FOLDER = process.env.AIRBYTE_METADATA_SCHEMA_DIR ?? join(REPO_ROOT, "..", "shared", "airbyte-metadata");

export interface ConnectorMetadata {
  metadataSpecVersion: string;
  data: {
    dockerRepository: string;
    dockerImageTag: string;
    documentationUrl: string;
    icon: string;
    allowedHosts: { hosts: string[] };
    resourceRequirements: { jobSpecific: { jobType: string; resourceRequirements: Record<string, string> }[] };
    supportsDataActivation: boolean;
    supportsRefreshes: boolean;
    releases?: { breakingChanges?: Record<string, { message: string; upgradeDeadline: string }> };
    [key: string]: unknown;
  };
}

export function readYaml<T>(path: string): T {
  return parse(readFileSync(path, "utf8")) as T;
}

export const metadata = readYaml<ConnectorMetadata>(join(REPO_ROOT, "metadata.yaml"));

const SCHEMA_BASE = "https://airbyte-metadata.schema/";

/**
 * A validator for ConnectorMetadataDefinitionV0, or undefined when the schema folder is absent.
 * The files' `$id`s point at several unrelated URLs, so each file gets an `$id` under one base and
 * a `$ref` by file name finds its file. ConnectorMetrics.yaml's `type: ConnectorMetric` is not a
 * JSON Schema type; it is read as the reference to its definition it means.
 */
export function metadataValidator(): ((value: unknown) => ErrorObject[]) | undefined {
  const folder = join(METADATA_SCHEMA_FOLDER, "schema");
  if (!existsSync(folder)) return undefined;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  for (const file of readdirSync(folder).filter((name) => name.endsWith(".yaml"))) {
    const text = readFileSync(join(folder, file), "utf8").replace(/type: ConnectorMetric$/gm, '$ref: "#/definitions/ConnectorMetric"');
    ajv.addSchema({ ...(parse(text) as object), $id: SCHEMA_BASE + file });
  }
  const validate = ajv.getSchema(`${SCHEMA_BASE}ConnectorMetadataDefinitionV0.yaml`);
  if (!validate) throw new Error(`${folder} has no ConnectorMetadataDefinitionV0.yaml`);
  return (value) => (validate(value) ? [] : (validate.errors ?? []));
}

/** The metadata.yaml of Airbyte's own connectors in the schema folder's `examples/`. */
export function exampleMetadataFiles(): string[] {
  const folder = join(METADATA_SCHEMA_FOLDER, "examples");
  return existsSync(folder) ? readdirSync(folder).map((name) => join(folder, name)) : [];
}

/** A URL setting as the platform puts it in an allowed host: its host name only. */
function hostOf(value: string): string {
  try {
    return new URL(value.includes("://") ? value : `x://${value}`).hostname;
  } catch {
    return value.split("://").at(-1)!.split("/")[0]!.split("@").at(-1)!;
  }
}

/** The config's string and number values by dotted path (`alerts.webhook_url`), as the platform reads them. */
function configValues(config: Record<string, unknown>, prefix = ""): Map<string, string> {
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "string" || typeof value === "number") values.set(prefix + key, hostOf(String(value)));
    else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [path, text] of configValues(value as Record<string, unknown>, `${prefix}${key}.`)) values.set(path, text);
    }
  }
  return values;
}

/**
 * The hosts a sync of `config` may reach: each `${setting}` replaced by the setting's host, and an
 * entry naming a setting the config leaves out dropped (the platform's ConfigReplacer).
 */
export function resolveAllowedHosts(hosts: string[], config: Record<string, unknown>): string[] {
  const values = configValues(config);
  return hosts
    .map((host) => host.replace(/\$\{([^}]+)\}/g, (variable, name: string) => values.get(name) ?? variable))
    .filter((host) => !host.includes("${"));
}

/** Whether `host` is one of `allowed`, where `*.example.com` allows any name under example.com. */
export function hostAllowed(host: string, allowed: string[]): boolean {
  return allowed.some((entry) => entry === host || (entry.startsWith("*.") && host.endsWith(entry.slice(1))));
}
