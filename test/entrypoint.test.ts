// The image's entrypoint (docker/entrypoint.sh) sizes the V8 heap from the container's memory
// limit. Run here with a fake cgroup tree and a fake `node` that prints the arguments it got.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { REPO_ROOT } from "./helpers/cli.js";

const root = mkdtempSync(join(tmpdir(), "destination-sqs-entrypoint-"));
after(() => rmSync(root, { recursive: true, force: true }));
const bin = join(root, "bin");
mkdirSync(bin);
writeFileSync(join(bin, "node"), '#!/bin/sh\necho "$@"\n');
chmodSync(join(bin, "node"), 0o755);

/** The node command line the entrypoint runs, given cgroup files (path under the cgroup root → content). */
function nodeArgs(files: Record<string, string>, nodeOptions = ""): string {
  const cgroup = mkdtempSync(join(root, "cgroup-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(cgroup, path, ".."), { recursive: true });
    writeFileSync(join(cgroup, path), content + "\n");
  }
  return execFileSync("sh", [join(REPO_ROOT, "docker", "entrypoint.sh"), "write", "--config", "c.json"], {
    env: { PATH: `${bin}:/usr/bin:/bin`, DESTINATION_SQS_CGROUP_ROOT: cgroup, NODE_OPTIONS: nodeOptions },
    encoding: "utf8",
  }).trim();
}

const MAIN = "/airbyte/integration_code/dist/main.js write --config c.json";

test("cgroup v2: the heap is half of memory.max", () => {
  assert.equal(nodeArgs({ "memory.max": String(300 * 1024 * 1024) }), `--max-old-space-size=150 ${MAIN}`);
});

test("cgroup v1: the heap is half of memory.limit_in_bytes", () => {
  assert.equal(nodeArgs({ "memory/memory.limit_in_bytes": String(2 * 1024 ** 3) }), `--max-old-space-size=1024 ${MAIN}`);
});

test("no limit (v2 'max', v1's huge number, no cgroup files): V8 sizes the heap itself", () => {
  assert.equal(nodeArgs({ "memory.max": "max" }), MAIN);
  assert.equal(nodeArgs({ "memory/memory.limit_in_bytes": "9223372036854771712" }), MAIN);
  assert.equal(nodeArgs({}), MAIN);
});

test("a --max-old-space-size in NODE_OPTIONS wins", () => {
  assert.equal(nodeArgs({ "memory.max": String(300 * 1024 * 1024) }, "--max-old-space-size=100 --max-semi-space-size=16"), MAIN);
});
