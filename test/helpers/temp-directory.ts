// Temporary directories for tests, removed when the test file's process exits, after a failure too.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const created: string[] = [];
process.once("exit", () => {
  for (const directory of created) rmSync(directory, { recursive: true, force: true });
});

/** A new directory `destination-sqs-<purpose>-…` in the temp directory. */
export function tempDirectory(purpose: string): string {
  const directory = mkdtempSync(join(tmpdir(), `destination-sqs-${purpose}-`));
  created.push(directory);
  return directory;
}
