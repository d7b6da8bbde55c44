import { createHash } from "node:crypto";
import { join } from "node:path";
import { canonicalJson } from "../compose/ids.js";
import type { ValueSource } from "../config/types.js";

export const DEFAULT_STATE_DIRECTORY = "/local/destination-sqs";

/**
 * The store file of a connection: named after its `queue` setting, so that a connection keeps its
 * snapshot when streams are added or other settings change, and gets a fresh one (first sync
 * again) when it publishes to a different queue. Connections that share a queue setting need
 * their own state_directory.
 */
export function snapshotStorePath(stateDirectory: string | undefined, queue: ValueSource): string {
  const name = createHash("sha256").update(canonicalJson(queue)).digest("hex").slice(0, 16);
  return join(stateDirectory ?? DEFAULT_STATE_DIRECTORY, `snapshot-${name}.sqlite`);
}
