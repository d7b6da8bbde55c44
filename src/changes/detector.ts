import type { ChangeType, Config } from "../config/types.js";
import type { ConfiguredStream, RecordMessage } from "../protocol/messages.js";
import { createClassifier } from "./classify.js";
// biome-ignore lint/suspicious/noImportCycles: snapshot-detector imports only types from here, so no cycle at run time
import { SnapshotDetector } from "./snapshot-detector.js";

/** What a record means for the queue. `onPublished` runs once SQS has stored the row's message. */
export type Detection =
  | { kind: "change"; change: ChangeType; previous?: Record<string, unknown>; onPublished?: () => void }
  | { kind: "unchanged" }
  | { kind: "reject"; setting: string; reason: string };

/** A row that disappeared from a stream that ended complete, to publish as `removed`. */
export interface RemovedRow {
  data: Record<string, unknown>;
  onPublished?: () => void;
}

/** Decides each record's change type; stateful detectors also find removed rows. */
export interface ChangeDetector {
  detect(record: RecordMessage, stream: ConfiguredStream): Detection;
  /** The stream ended complete this sync: the rows to publish as removed. */
  completed(stream: ConfiguredStream): Iterable<RemovedRow>;
  /** The sync is over; `succeeded` is false when it failed or was stopped. */
  close(succeeded: boolean): void;
}

/** Change detection that looks at each record alone (modes none, field and cdc). */
function statelessDetector(config: Config): ChangeDetector {
  const classify = createClassifier(config.change_detection);
  return {
    detect: (record) => classify(record.data),
    completed: () => [],
    close: () => undefined,
  };
}

/**
 * Builds the detector for `change_detection`; snapshot mode opens (and locks) its store for the
 * catalog's streams. A dry run (the preview command) decides as a sync would but records nothing.
 */
export function createChangeDetector(
  config: Config,
  catalog: Iterable<ConfiguredStream>,
  options: { dryRun?: boolean } = {},
): ChangeDetector {
  const detection = config.change_detection;
  if (detection.mode === "snapshot") return SnapshotDetector.open(config, detection, catalog, options.dryRun === true);
  return statelessDetector(config);
}
