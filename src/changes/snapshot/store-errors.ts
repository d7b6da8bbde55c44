// What the local snapshot store's failures mean to the user, and what to do about them.

import { accessSync, constants, existsSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage, UserFacingError } from "../../errors.js";

/** Why the store's directory could not be made, and what to do. */
export function directoryNotCreated(directory: string, error: unknown): UserFacingError {
  return new UserFacingError(
    `The snapshot directory "${directory}" (change_detection.store) cannot be created (${whyNotCreated(directory, error)}). ` +
      'Mount a writable volume there, or keep the snapshot in S3 with change_detection.store {"type": "s3", "bucket": …}.',
    "config_error",
    String(error),
  );
}

/**
 * Why `directory` could not be created, naming the nearest existing ancestor when that is what
 * refuses: a recursive mkdir names the deepest directory in its error, and can report ENOENT.
 */
function whyNotCreated(directory: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  let ancestor = dirname(directory);
  while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  try {
    accessSync(ancestor, constants.W_OK);
  } catch (accessError) {
    return `${ancestor} is not writable: ${(accessError as NodeJS.ErrnoException).code ?? code}`;
  }
  return code;
}

/** A write the store could not make, as the error that stops the sync: a full disk says so. */
export function explainWriteError(error: unknown, path: string): Error {
  if (error instanceof UserFacingError || !(error instanceof Error)) return error as Error;
  const code = (error as { code?: unknown }).code;
  if (code === "SQLITE_FULL") {
    return new UserFacingError(
      `The local snapshot store ${path} cannot be written: the disk holding it is full. Free space on that volume or ` +
        "point change_detection.store at a larger one, then run the sync again (rows after its last STATE are sent again).",
      "system_error",
      error.message,
    );
  }
  if (typeof code === "string" && (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_READONLY"))) {
    return new UserFacingError(
      `The local snapshot store ${path} cannot be written (${code}: ${error.message}). ` +
        "Check that change_detection.store names a directory on a writable local disk with free space.",
      "system_error",
      error.message,
    );
  }
  return error;
}

export function explainOpenError(error: unknown, path: string): Error {
  if (error instanceof UserFacingError) return error;
  const code = (error as { code?: unknown }).code;
  const detail = errorMessage(error);
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new UserFacingError(
      `Another sync is using the snapshot store ${path} right now (its lock is held). ` +
        "Wait for that sync to finish; two syncs sharing one store would publish wrong changes. " +
        "If two connections share this store, give each its own change_detection.store.",
      "transient_error",
      detail,
    );
  }
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new UserFacingError(
      `${path} is not a readable snapshot store (${detail}). Delete it to start over (the next sync then counts as the first) or set change_detection.store elsewhere.`,
      "config_error",
      detail,
    );
  }
  return new UserFacingError(
    `The snapshot store ${path} cannot be opened: ${detail}. Check that the change_detection.store directory is on a writable local disk.`,
    "system_error",
    detail,
  );
}
