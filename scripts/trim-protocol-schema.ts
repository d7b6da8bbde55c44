// Writes test/fixtures/airbyte-protocol.json from the Airbyte protocol's schema (by default the
// shared copy beside the repository; or the path given). Run it when the protocol is updated.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { FULL_PROTOCOL_SCHEMA, readProtocolSchema, TRIMMED_PROTOCOL_SCHEMA, trimProtocolSchema } from "./protocol-schema-source.js";

const trimmed = trimProtocolSchema(readProtocolSchema(process.argv[2] ?? FULL_PROTOCOL_SCHEMA));
mkdirSync(dirname(TRIMMED_PROTOCOL_SCHEMA), { recursive: true });
writeFileSync(TRIMMED_PROTOCOL_SCHEMA, `${JSON.stringify(trimmed, null, 2)}\n`);
