// The image's entrypoint (docker/entrypoint.sh) sizes the V8 heap from the container's memory
// limit. Run here with a fake cgroup tree and a fake `node` that prints the arguments it got.
import assert from "node:assert/strict";
import { test } from "node:test";
import { entrypointNodeArgs, runEntrypoint } from "../scripts/entrypoint-command.js";

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

const MiB = 1024 * 1024;

test("a memory limit below 128 MiB: one TRACE line saying so and what to do, exit 1, node never started with a heap of 0", () => {
  for (const limit of [1, MiB - 1, 2 * MiB, 31 * MiB, 127 * MiB]) {
    const run = runEntrypoint(["write", "--config", "c.json"], { "memory.max": String(limit) });
    assert.equal(run.status, 1, `limit ${limit}: ${run.stdout}${run.stderr}`);
    assert.equal(run.stderr, "");
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines.length, 1, run.stdout);
    const message = JSON.parse(lines[0]!) as {
      type: string;
      trace: { type: string; emitted_at: number; error: { message: string; failure_type: string } };
    };
    assert.equal(message.type, "TRACE");
    assert.equal(message.trace.type, "ERROR");
    assert.ok(Math.abs(message.trace.emitted_at - Date.now()) < 60_000, String(message.trace.emitted_at));
    assert.equal(message.trace.error.failure_type, "config_error");
    assert.match(
      message.trace.error.message,
      new RegExp(`memory limit is ${Math.floor(limit / MiB)} MiB \\(${limit} bytes\\).* at least 128 MiB`),
    );
  }
  assert.equal(nodeArgs({ "memory.max": String(128 * MiB) }), `--max-old-space-size=64 ${MAIN}`, "the floor itself is enough");
});

test("a limit too large for the shell's arithmetic counts as none, without a shell error", () => {
  for (const limit of ["99999999999999999999999", "18446744073709551615", "9223372036854775808"]) {
    assert.equal(nodeArgs({ "memory.max": limit }), `--max-old-space-size=1536 ${MAIN}`);
  }
});
