// The repository's copy of the Airbyte protocol schema, trimmed to the messages the connector reads
// and writes and the configured catalog, so that every checkout's tests validate the CLI's output.
// scripts/trim-protocol-schema.ts makes it from the protocol's schema, and
// test/protocol-schema.test.ts proves the two agree wherever the protocol's schema is at hand.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const TRIMMED_PROTOCOL_SCHEMA = fileURLToPath(new URL("../test/fixtures/airbyte-protocol.json", import.meta.url));
/** The whole protocol schema, in the project's shared documents beside the repository. */
export const FULL_PROTOCOL_SCHEMA = fileURLToPath(new URL("../../shared/airbyte-protocol/airbyte_protocol.json", import.meta.url));

/** The field holding each message type's payload, for the types the connector reads or writes. */
export const PAYLOAD_FIELD: Readonly<Record<string, string>> = {
  RECORD: "record",
  STATE: "state",
  LOG: "log",
  SPEC: "spec",
  CONNECTION_STATUS: "connectionStatus",
  TRACE: "trace",
  CONTROL: "control",
  DESTINATION_CATALOG: "destination_catalog",
};

export interface ProtocolSchema {
  properties: Record<string, unknown>;
  definitions: Record<string, { properties?: Record<string, Record<string, unknown>> }>;
  [key: string]: unknown;
}

export function readProtocolSchema(path: string): ProtocolSchema {
  return JSON.parse(readFileSync(path, "utf8")) as ProtocolSchema;
}

/**
 * AirbyteMessage with only the message types in PAYLOAD_FIELD, ConfiguredAirbyteCatalog, and every
 * definition they refer to, unchanged.
 */
export function trimProtocolSchema(full: ProtocolSchema): ProtocolSchema {
  const message = full.definitions.AirbyteMessage;
  const fields = message?.properties;
  if (!message || !fields?.type) throw new Error("the protocol schema has no definitions/AirbyteMessage with a type");
  const payloads = Object.fromEntries(Object.values(PAYLOAD_FIELD).map((field) => [field, fields[field]]));
  const trimmedMessage = { ...message, properties: { type: { ...fields.type, enum: Object.keys(PAYLOAD_FIELD) }, ...payloads } };
  const definitions: ProtocolSchema["definitions"] = { AirbyteMessage: trimmedMessage };
  const pending = [...referencedDefinitions(trimmedMessage), "ConfiguredAirbyteCatalog"];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (definitions[name]) continue;
    const definition = full.definitions[name];
    if (!definition) throw new Error(`the protocol schema refers to #/definitions/${name}, which it does not define`);
    definitions[name] = definition;
    pending.push(...referencedDefinitions(definition));
  }
  const { airbyte_message, configured_airbyte_catalog } = full.properties;
  return {
    $schema: full.$schema,
    title: full.title,
    description: `The Airbyte protocol (version ${String(full.version)}) trimmed to the messages destination-sqs reads and writes, by scripts/trim-protocol-schema.ts.`,
    type: full.type,
    properties: { airbyte_message, configured_airbyte_catalog },
    definitions: Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b))),
  };
}

function referencedDefinitions(schema: unknown): string[] {
  return [...JSON.stringify(schema).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)].map((match) => match[1]!);
}
