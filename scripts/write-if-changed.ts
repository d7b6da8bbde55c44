// Writes a generated file only when its content changes, so that a build running beside the tests
// (the slow tier runs `npm run demo`) never leaves a file they import half written.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export function writeIfChanged(path: string | URL, content: string): void {
  if (existsSync(path) && readFileSync(path, "utf8") === content) return;
  writeFileSync(path, content);
}
