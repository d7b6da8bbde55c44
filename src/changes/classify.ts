import type { ChangeDetection, ChangeType } from "../config/types.js";
import { UserFacingError } from "../errors.js";
import { compileColumnPath } from "../compose/paths.js";
import { describeEmpty, isEmptyValue, quoteValue } from "../compose/rejection.js";

export type Classification = { kind: "change"; change: ChangeType } | { kind: "reject"; setting: string; reason: string };

type Classifier = (data: Record<string, unknown>) => Classification;

/** The spellings `field` mode accepts when the config lists none for a change type. */
const DEFAULT_CHANGE_VALUES: Readonly<Record<ChangeType, readonly string[]>> = {
  added: ["added", "insert", "create", "c", "i"],
  changed: ["changed", "update", "u"],
  removed: ["removed", "delete", "d"],
};

const CDC_DELETED_AT = "_ab_cdc_deleted_at";

const ADDED: Classification = Object.freeze({ kind: "change", change: "added" });
const CHANGED: Classification = Object.freeze({ kind: "change", change: "changed" });
const REMOVED: Classification = Object.freeze({ kind: "change", change: "removed" });
const BY_CHANGE: Record<ChangeType, Classification> = { added: ADDED, changed: CHANGED, removed: REMOVED };

function normalise(value: string): string {
  return value.trim().toLowerCase();
}

function fieldClassifier(detection: Extract<ChangeDetection, { mode: "field" }>): Classifier {
  const setting = "change_detection.field";
  const lists: Record<ChangeType, readonly string[]> = {
    added: detection.added_values ?? DEFAULT_CHANGE_VALUES.added,
    changed: detection.changed_values ?? DEFAULT_CHANGE_VALUES.changed,
    removed: detection.removed_values ?? DEFAULT_CHANGE_VALUES.removed,
  };
  const byValue = new Map<string, ChangeType>();
  for (const change of Object.keys(lists) as ChangeType[]) {
    for (const value of lists[change]) {
      const key = normalise(value);
      const earlier = byValue.get(key);
      if (earlier !== undefined && earlier !== change) {
        throw new UserFacingError(
          `change_detection lists the value ${JSON.stringify(key)} (compared case-insensitively) under both ${earlier}_values and ${change}_values ` +
            "(a list left out uses the default spellings); keep it in one list so each value means one change.",
        );
      }
      byValue.set(key, change);
    }
  }
  const accepted = (Object.keys(lists) as ChangeType[])
    .map((change) => `${change}: ${lists[change].map((value) => JSON.stringify(value)).join(", ")}`)
    .join("; ");
  const field = JSON.stringify(detection.field);
  const read = compileColumnPath(detection.field);

  return (data) => {
    const value = read(data);
    if (isEmptyValue(value)) {
      return {
        kind: "reject",
        setting,
        reason: `The change field ${field} is ${describeEmpty(value)}, so the row's change cannot be decided; accepted values (case-insensitive) are ${accepted}.`,
      };
    }
    const text = typeof value === "string" ? value : JSON.stringify(value);
    const change = byValue.get(normalise(text));
    if (change !== undefined) return BY_CHANGE[change];
    return {
      kind: "reject",
      setting,
      reason: `The change field ${field} holds ${quoteValue(text)}, which is not an accepted value; accepted values (case-insensitive) are ${accepted}. Add it to change_detection's added_values, changed_values or removed_values.`,
    };
  };
}

/** Decides each record's change from the record alone (every mode except snapshot). */
export function createClassifier(detection: ChangeDetection): Classifier {
  switch (detection.mode) {
    case "none":
      return () => ADDED;
    case "field":
      return fieldClassifier(detection);
    case "cdc":
      return (data) => {
        const deletedAt = Object.hasOwn(data, CDC_DELETED_AT) ? data[CDC_DELETED_AT] : undefined;
        return isEmptyValue(deletedAt) ? CHANGED : REMOVED;
      };
    case "snapshot":
      throw new Error("snapshot classification is stateful: use the snapshot store");
  }
}
