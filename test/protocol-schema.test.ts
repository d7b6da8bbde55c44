// The repository's trimmed protocol schema is the protocol's, and the tests' output check uses it.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import {
  FULL_PROTOCOL_SCHEMA,
  readProtocolSchema,
  TRIMMED_PROTOCOL_SCHEMA,
  trimProtocolSchema,
} from "../scripts/protocol-schema-source.js";
import { protocolViolation } from "./helpers/protocol-schema.js";

// CI has the protocol's schema beside the repository: there the comparison must not be skipped.
const fullSchemaAbsent = !existsSync(FULL_PROTOCOL_SCHEMA) && !process.env.CI;

test("the trimmed protocol schema agrees with the Airbyte protocol's schema", {
  skip: fullSchemaAbsent ? `the protocol's schema is not at ${FULL_PROTOCOL_SCHEMA}: nothing to compare with` : false,
}, () => {
  assert.deepEqual(
    readProtocolSchema(TRIMMED_PROTOCOL_SCHEMA),
    trimProtocolSchema(readProtocolSchema(FULL_PROTOCOL_SCHEMA)),
    "test/fixtures/airbyte-protocol.json differs from the protocol: run node --import tsx scripts/trim-protocol-schema.ts",
  );
});

test("output is checked against the trimmed schema: a payload that breaks it is refused", () => {
  const status = (value: unknown) => JSON.stringify({ type: "CONNECTION_STATUS", connectionStatus: { status: value } });
  assert.equal(protocolViolation(status("SUCCEEDED")), undefined);
  assert.match(protocolViolation(status("FINE")) ?? "", /not an AirbyteMessage: .*allowedValues/);
  const log = (level: unknown) => JSON.stringify({ type: "LOG", log: { level, message: "hello" } });
  assert.equal(protocolViolation(log("WARN")), undefined);
  assert.match(protocolViolation(log("LOUD")) ?? "", /not an AirbyteMessage/);
});

test("a message type the connector neither reads nor writes is refused", () => {
  assert.match(protocolViolation(JSON.stringify({ type: "CATALOG", catalog: { streams: [] } })) ?? "", /not an AirbyteMessage/);
});
