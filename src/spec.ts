import type { AirbyteMessage } from "./protocol/messages.js";
import { readPackageJson } from "./package-files.js";

/**
 * Messages on a queue cannot be taken back or replaced, so the connector only appends. The
 * platform still sends a Clear with `overwrite` whatever a destination declares (it forces
 * full_refresh + overwrite on the streams it clears); the connector treats every
 * destination_sync_mode as append.
 */
const SUPPORTED_DESTINATION_SYNC_MODES = ["append"] as const;

/** The ConnectorSpecification the `spec` command answers. */
export function connectorSpecification(): Record<string, unknown> {
  return {
    documentationUrl: readPackageJson<{ homepage: string }>("package.json").homepage,
    connectionSpecification: readPackageJson<Record<string, unknown>>("spec.json"),
    supportsIncremental: true,
    supported_destination_sync_modes: [...SUPPORTED_DESTINATION_SYNC_MODES],
  };
}

export function specMessage(): AirbyteMessage {
  return { type: "SPEC", spec: connectorSpecification() };
}
