// What docker/entrypoint.sh would run, without a container: the script runs with a fake cgroup tree
// and a fake `node` that prints the arguments it got.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ENTRYPOINT = fileURLToPath(new URL("../docker/entrypoint.sh", import.meta.url));

/**
 * The arguments the entrypoint passes to `node` for `args`, given cgroup files (path under the
 * cgroup root → content; none for a host without a memory limit) and NODE_OPTIONS.
 */
export function entrypointNodeArgs(args: string[], cgroupFiles: Record<string, string> = {}, nodeOptions = ""): string {
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
    return execFileSync("sh", [ENTRYPOINT, ...args], {
      env: { PATH: `${bin}:/usr/bin:/bin`, DESTINATION_SQS_CGROUP_ROOT: cgroup, NODE_OPTIONS: nodeOptions },
      encoding: "utf8",
    }).trim();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
