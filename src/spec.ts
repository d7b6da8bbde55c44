import type { AirbyteMessage } from "./protocol/messages.js";
import { readPackageJson } from "./package-files.js";

export const DOCUMENTATION_URL = "https://www.npmjs.com/package/destination-sqs";

export function specMessage(): AirbyteMessage {
  return {
    type: "SPEC",
    spec: {
      documentationUrl: DOCUMENTATION_URL,
      connectionSpecification: readPackageJson<Record<string, unknown>>("spec.json"),
      supportsIncremental: true,
      supported_destination_sync_modes: ["append", "overwrite", "append_dedup"],
    },
  };
}
