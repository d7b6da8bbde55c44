import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Compiled code runs from dist/, sources from src/ under tsx: both sit one level below the package root.
const packageRoot = fileURLToPath(new URL("../", import.meta.url));

/** Parses a JSON file shipped at the package root (spec.json, package.json). */
export function readPackageJson<T>(name: string): T {
  return JSON.parse(readFileSync(packageRoot + name, "utf8")) as T;
}
