import type { S3Client } from "@aws-sdk/client-s3";
import type { Config, S3Settings } from "../config/types.js";
import type { ConfiguredStream, LogLevel } from "../protocol/messages.js";
import { createClassifier } from "./classify.js";
import { S3SnapshotHome, type S3SnapshotTiming } from "./snapshot/s3/home.js";
import { SnapshotDetector } from "./snapshot/detector.js";
import type { ChangeDetector } from "./types.js";
import { snapshotStoreSetting } from "./snapshot/location.js";
import { keyReaderFor } from "./snapshot/keys.js";

/** Change detection that looks at each record alone (modes none, field and cdc). */
function statelessDetector(config: Config): ChangeDetector {
  const classify = createClassifier(config.change_detection);
  return {
    detect: (record) => classify(record.data),
    completed: () => [],
    cleared: () => [],
    close: () => undefined,
  };
}

/**
 * Change detection that opens no snapshot store (preview --send, which must neither read nor write
 * it): snapshot mode takes every record for a row seen for the first time, `added`, as a first sync
 * sends it, once its primary key is read as a sync reads it (a stream without one is the same config
 * error, a row missing it the same rejection); the other modes classify each record as a sync does.
 */
export function storelessDetector(config: Config, catalog: Iterable<ConfiguredStream>): ChangeDetector {
  const detection = config.change_detection;
  if (detection.mode !== "snapshot") return statelessDetector(config);
  const readers = new Map([...catalog].map((stream) => [stream, keyReaderFor(stream, detection.primary_key)]));
  return {
    detect: (record, stream) => {
      const key = readers.get(stream)?.(record.data);
      if (key?.ok === false) return { kind: "reject", setting: "change_detection.primary_key", reason: key.reason };
      return { kind: "change", change: "added" };
    },
    completed: () => [],
    cleared: () => [],
    close: () => undefined,
  };
}

interface OpenDetectorOptions {
  dryRun?: boolean;
  /** Makes the S3 client of a snapshot store in S3. */
  s3(settings: S3Settings): S3Client;
  timing: S3SnapshotTiming;
  log(level: LogLevel, message: string): Promise<void>;
  /** Ends a wait for another sync's lock on a snapshot store in S3 (SIGTERM). */
  signal?: AbortSignal;
}

/**
 * Builds the detector for `change_detection`; snapshot mode opens (and locks) its store for the
 * catalog's streams, a store in S3 downloaded before this returns. A dry run (the preview command)
 * decides as a sync would but records nothing.
 */
export async function openChangeDetector(
  config: Config,
  catalog: Iterable<ConfiguredStream>,
  options: OpenDetectorOptions,
): Promise<ChangeDetector> {
  const detection = config.change_detection;
  if (detection.mode !== "snapshot") return statelessDetector(config);
  const store = snapshotStoreSetting(detection);
  if (store.type === "local") return SnapshotDetector.open(config, detection, catalog, options.dryRun === true);
  const dryRun = options.dryRun === true;
  return SnapshotDetector.openIn(detection, catalog, dryRun, () =>
    S3SnapshotHome.open({
      s3: options.s3(store),
      config,
      settings: store,
      dryRun,
      timing: options.timing,
      log: options.log,
      signal: options.signal,
    }),
  );
}
