import type { QueueUrlCheck } from "../aws/queue-hosts.js";
import { createClassifier } from "../changes/classify.js";
import { createComposer } from "../compose/composer.js";
import type { Config } from "../config/types.js";
import type { ConfiguredStream } from "../protocol/messages.js";

/** What a sync knows at start besides its config (check has neither: it gets no catalog). */
interface SyncInputs {
  /** The catalog's streams: each destination_object_name must name a usable queue. */
  streams: Iterable<ConfiguredStream>;
  /** The queue-host rule for destination objects given as URLs. */
  checkQueueUrl: QueueUrlCheck;
}

/**
 * Builds what a sync builds from a loaded config before it reads a row (every template of every
 * setting compiled, the change value lists, with a catalog its streams' destination objects) and
 * throws the UserFacingError the sync would stop with. `check` and `write` both run it, so a
 * configuration `check` passes does not fail at the start of the first sync; the loader's rules and
 * the snapshot store's directory are the other start-up checks both share.
 */
export function assertSyncCanStart(config: Config, inputs?: SyncInputs): void {
  // The queue-host rule is applied to the queue setting's values row by row and in check; here only to destination objects.
  createComposer(config, { checkQueueUrl: inputs?.checkQueueUrl ?? (() => undefined), streams: inputs?.streams });
  if (config.change_detection.mode !== "snapshot") createClassifier(config.change_detection);
}
