// What docker/entrypoint.sh would run, without a container: the script runs with a fake cgroup tree
// and a fake `node` that prints the arguments it got.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ENTRYPOINT = fileURLToPath(new URL("../docker/entrypoint.sh", import.meta.url));

/** What the entrypoint did: its exit status and output (the fake `node` prints its arguments to stdout). */
export interface EntrypointRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the entrypoint for `args`, given cgroup files (path under the cgroup root → content; none
 * for a host without a memory limit) and NODE_OPTIONS.
 */
export function runEntrypoint(args: string[], cgroupFiles: Record<string, string> = {}, nodeOptions = ""): EntrypointRun {
  const root = mkdtempSync(join(tmpdir(), "destination-sqs-entrypoint-"));
  try {
    const bin = join(root, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "node"), '#!/bin/sh\necho "$@"\n');
    chmodSync(join(bin, "node"), 0o755);
    const cgroup = join(root, "cgroup");
    mkdirSync(cgroup);
    for (const [path, content] of Object.entries(cgroupFiles)) {
      mkdirSync(join(cgroup, path, ".."), { recursive: true });
      writeFileSync(join(cgroup, path), `${content}\n`);
    }
    const run = spawnSync("sh", [ENTRYPOINT, ...args], {
      env: { PATH: `${bin}:/usr/bin:/bin`, DESTINATION_SQS_CGROUP_ROOT: cgroup, NODE_OPTIONS: nodeOptions },
      encoding: "utf8",
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The arguments the entrypoint passes to `node` for `args` (see runEntrypoint); throws when it does not start node. */
export function entrypointNodeArgs(args: string[], cgroupFiles: Record<string, string> = {}, nodeOptions = ""): string {
  const run = runEntrypoint(args, cgroupFiles, nodeOptions);
  if (run.status !== 0 || run.stderr !== "") throw new Error(`the entrypoint exited ${run.status}: ${run.stdout}${run.stderr}`);
  return run.stdout.trim();
}
