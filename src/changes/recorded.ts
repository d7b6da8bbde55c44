// Redrive's change detection: a row is sent again as the change it was recorded with, whatever the
// snapshot says now (redrive neither reads nor writes the snapshot store).
import type { ChangeType, Config } from "../config/types.js";
import { createClassifier } from "./classify.js";
import type { ChangeDetector, Detection } from "./types.js";

/**
 * A detector for input whose line `n` is the record recorded with change `changes[n - 1]`. A row
 * recorded without a change (rejected before it was decided) is classified as the configuration
 * classifies it now; in snapshot mode, which would need the store, it stays rejected.
 */
export function recordedChangeDetector(changes: readonly (ChangeType | null)[], config: Config): ChangeDetector {
  const detection = config.change_detection;
  const classify = detection.mode === "snapshot" ? undefined : createClassifier(detection);
  return {
    detect(record, _stream, lineNumber): Detection {
      const change = changes[lineNumber - 1];
      if (change === undefined) throw new Error(`redrive has no recorded change for input line ${lineNumber}`);
      if (change !== null) return { kind: "change", change };
      if (classify !== undefined) return classify(record.data);
      return {
        kind: "reject",
        setting: "change_detection",
        reason:
          "its change was never decided (it was rejected before that), and redrive does not read the snapshot store: the next sync decides it.",
      };
    },
    completed: () => [],
    cleared: () => [],
    close: () => undefined,
  };
}
