// Checks that every line the connector prints is an Airbyte message the platform would accept:
// valid JSON, valid against the protocol's JSON schema, and carrying the payload its type names.
// Used by the CLI helpers, so every CLI test checks its output. The schema is the repository's own
// trimmed copy (see scripts/protocol-schema-source.ts).
import Ajv, { type ValidateFunction } from "ajv";
import { PAYLOAD_FIELD, readProtocolSchema, TRIMMED_PROTOCOL_SCHEMA } from "../../scripts/protocol-schema-source.js";

let validator: ValidateFunction | undefined;

/** The AirbyteMessage validator of the repository's trimmed schema. */
export function protocolValidator(): ValidateFunction {
  if (validator) return validator;
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  ajv.addSchema(readProtocolSchema(TRIMMED_PROTOCOL_SCHEMA), "airbyte");
  const compiled = ajv.getSchema("airbyte#/definitions/AirbyteMessage");
  if (!compiled) throw new Error(`${TRIMMED_PROTOCOL_SCHEMA} has no definitions/AirbyteMessage`);
  validator = compiled;
  return validator;
}

/** Why `line` is not a valid protocol message, or undefined when it is. */
export function protocolViolation(line: string): string | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  const validate = protocolValidator();
  if (!validate(withoutNullStreamState(message))) return `not an AirbyteMessage: ${JSON.stringify(validate.errors)}`;
  const type = (message as { type?: unknown }).type;
  const field = typeof type === "string" ? PAYLOAD_FIELD[type] : undefined;
  if (field === undefined || typeof (message as Record<string, unknown>)[field] !== "object") {
    return `a ${String(type)} message without its "${field ?? "?"}" object`;
  }
  return undefined;
}

/**
 * The message as the schema should judge it. A STATE echoes the platform's own: a Clear job's STREAM
 * state may carry `"stream_state": null`, which the platform's models allow and the schema (an
 * object) does not, so only that null is left out of the check.
 */
function withoutNullStreamState(message: unknown): unknown {
  const stream = (message as { state?: { stream?: Record<string, unknown> } }).state?.stream;
  if (stream?.stream_state !== null) return message;
  const { stream_state: _null, ...rest } = stream;
  const state = (message as { state: object }).state;
  return { ...(message as object), state: { ...state, stream: rest } };
}

/** Throws naming the first stdout line that is not a valid protocol message. Blank lines are allowed. */
export function assertProtocolOutput(stdout: string, what: string): void {
  const lines = stdout.split("\n");
  // A last line without a newline was cut off by a kill: only complete lines are checked.
  lines.pop();
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const violation = protocolViolation(line);
    if (violation !== undefined) {
      throw new Error(`${what}: stdout line ${index + 1} is ${violation}\n${line.slice(0, 2000)}`);
    }
  });
}
