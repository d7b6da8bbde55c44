import { createHash } from "node:crypto";
import { join } from "node:path";
import { canonicalJson } from "../../compose/ids.js";
import type { ChangeDetection, SnapshotStoreSetting, ValueSource } from "../../config/types.js";

const DEFAULT_STATE_DIRECTORY = "/local/destination-sqs";

/** `store` as set, else the deprecated `state_directory`, else the default local directory. */
export function snapshotStoreSetting(settings: Extract<ChangeDetection, { mode: "snapshot" }>): SnapshotStoreSetting {
  return settings.store ?? { type: "local", directory: settings.state_directory ?? DEFAULT_STATE_DIRECTORY };
}

/**
 * The store file of a connection: named after its `queue` setting, so that a connection keeps its
 * snapshot when streams are added or other settings change, and gets a fresh one (first sync
 * again) when it publishes to a different queue. Connections that share a queue setting need
 * their own directory.
 */
export function snapshotStorePath(directory: string, queue: ValueSource): string {
  const name = createHash("sha256").update(canonicalJson(queue)).digest("hex").slice(0, 16);
  return join(directory, `snapshot-${name}.sqlite`);
}
