import { createClassifier } from "../changes/classify.js";
import { createComposer } from "../compose/composer.js";
import type { Config } from "../config/types.js";

/**
 * Builds what a sync builds from a loaded config before it reads a row (every template of every
 * setting compiled, the change value lists) and throws the UserFacingError the sync would stop
 * with. `check` and `write` both run it, so a configuration `check` passes does not fail at the
 * start of the first sync; the loader's rules and the snapshot store's directory are the other
 * start-up checks both share.
 */
export function assertSyncCanStart(config: Config): void {
  // Only compiling is wanted here: the queue-host rule is applied to values, row by row and in check.
  createComposer(config, { checkQueueUrl: () => undefined });
  if (config.change_detection.mode !== "snapshot") createClassifier(config.change_detection);
}
