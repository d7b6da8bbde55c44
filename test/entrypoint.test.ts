// The image's entrypoint (docker/entrypoint.sh) sizes the V8 heap from the container's memory
// limit. Run here with a fake cgroup tree and a fake `node` that prints the arguments it got.
import assert from "node:assert/strict";
import { test } from "node:test";
import { entrypointNodeArgs } from "../scripts/entrypoint-command.js";

/** The node command line the entrypoint runs, given cgroup files (path under the cgroup root → content). */
function nodeArgs(files: Record<string, string>, nodeOptions = ""): string {
  return entrypointNodeArgs(["write", "--config", "c.json"], files, nodeOptions);
}

const MAIN = "/airbyte/integration_code/dist/main.js write --config c.json";

test("cgroup v2: the heap is half of memory.max", () => {
  assert.equal(nodeArgs({ "memory.max": String(300 * 1024 * 1024) }), `--max-old-space-size=150 ${MAIN}`);
});

test("cgroup v1: the heap is half of memory.limit_in_bytes", () => {
  assert.equal(nodeArgs({ "memory/memory.limit_in_bytes": String(2 * 1024 ** 3) }), `--max-old-space-size=1024 ${MAIN}`);
});

test("no limit (v2 'max', v1's huge number, no cgroup files): a 1536 MiB heap, not V8's size from the machine's memory", () => {
  assert.equal(nodeArgs({ "memory.max": "max" }), `--max-old-space-size=1536 ${MAIN}`);
  assert.equal(nodeArgs({ "memory/memory.limit_in_bytes": "9223372036854771712" }), `--max-old-space-size=1536 ${MAIN}`);
  assert.equal(nodeArgs({}), `--max-old-space-size=1536 ${MAIN}`);
});

test("a --max-old-space-size in NODE_OPTIONS wins", () => {
  assert.equal(nodeArgs({ "memory.max": String(300 * 1024 * 1024) }, "--max-old-space-size=100 --max-semi-space-size=16"), MAIN);
});
