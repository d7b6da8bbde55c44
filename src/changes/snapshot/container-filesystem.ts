import { existsSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** What the process can see of where it runs. */
interface HostFacts {
  /** /proc/self/mountinfo, if readable. */
  mountinfo: string | undefined;
  /** Whether a container runtime left its marks (/.dockerenv, /run/.containerenv, Kubernetes' environment). */
  containerMarkers: boolean;
}

/** Filesystems of a container's own layer, or of memory: nothing on them outlives the container. */
const EPHEMERAL_FILESYSTEMS = new Set(["overlay", "aufs", "fuse-overlayfs", "fuse.fuse-overlayfs", "tmpfs"]);

export function readHostFacts(): HostFacts {
  let mountinfo: string | undefined;
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    mountinfo = undefined;
  }
  const containerMarkers =
    existsSync("/.dockerenv") || existsSync("/run/.containerenv") || process.env.KUBERNETES_SERVICE_HOST !== undefined;
  return { mountinfo, containerMarkers };
}

/**
 * Why a snapshot in `directory` would vanish with the container, or undefined when it can
 * survive: in a container, a directory on the root overlay (the container's own layer) or on a
 * tmpfs is lost when the container goes. Outside containers every directory is accepted.
 */
export function ephemeralDirectoryProblem(directory: string, facts: HostFacts): string | undefined {
  if (!facts.containerMarkers || facts.mountinfo === undefined) return undefined;
  const mount = mountOf(existingPath(directory), parseMountinfo(facts.mountinfo));
  if (!mount || !EPHEMERAL_FILESYSTEMS.has(mount.filesystem)) return undefined;
  const where = mount.point === "/" ? "the container's own filesystem" : `a ${mount.filesystem} mount at ${mount.point}`;
  return (
    `The snapshot directory ${directory} is on ${where} (${mount.filesystem}), which is lost when the container ends: ` +
    "every sync would start from an empty snapshot, republishing every row and never finding removals. " +
    'Keep the snapshot in S3 with change_detection.store {"type": "s3", "bucket": …, "prefix": …} (the setup for Airbyte on Kubernetes), ' +
    "or mount a volume at that directory (docker run -v …)."
  );
}

interface Mount {
  point: string;
  filesystem: string;
}

/** mountinfo lines: `id parent major:minor root mount-point options [optional…] - fstype source super-options`. */
function parseMountinfo(text: string): Mount[] {
  return text.split("\n").flatMap((line) => {
    const [before, after] = line.split(" - ");
    const point = before?.split(" ")[4];
    const filesystem = after?.split(" ")[0];
    return point && filesystem ? [{ point: unescapeOctal(point), filesystem }] : [];
  });
}

function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, code: string) => String.fromCharCode(parseInt(code, 8)));
}

/** The mount holding `path`: the last-mounted one with the longest mount point that contains it. */
function mountOf(path: string, mounts: Mount[]): Mount | undefined {
  let found: Mount | undefined;
  for (const mount of mounts) {
    const contains = mount.point === "/" || path === mount.point || path.startsWith(`${mount.point}/`);
    if (contains && (!found || mount.point.length >= found.point.length)) found = mount;
  }
  return found;
}

/** `directory` with its existing part resolved through symbolic links (the rest may not exist yet). */
function existingPath(directory: string): string {
  let path = resolve(directory);
  const missing: string[] = [];
  while (!existsSync(path) && dirname(path) !== path) {
    missing.unshift(basename(path));
    path = dirname(path);
  }
  try {
    return join(realpathSync(path), ...missing);
  } catch {
    return resolve(directory);
  }
}
