import assert from "node:assert/strict";
import { test } from "node:test";
import { ephemeralDirectoryProblem } from "../src/changes/snapshot/container-filesystem.js";

// /proc/self/mountinfo of a Docker container with a volume at /local and a tmpfs at /run/scratch.
const DOCKER_MOUNTINFO = [
  "622 545 0:52 / / rw,relatime master:312 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/A,upperdir=/var/lib/docker/overlay2/x/diff",
  "623 622 0:55 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
  "640 622 254:1 /var/lib/docker/volumes/snap/_data /local rw,relatime - ext4 /dev/vda1 rw",
  "641 622 254:1 /var/lib/docker/containers/abc/hosts /etc/hosts rw,relatime - ext4 /dev/vda1 rw",
  "642 622 0:60 / /run/scratch rw,relatime - tmpfs tmpfs rw",
  "643 622 254:1 /home/me/My\\040Snapshots /data/my\\040snapshots rw,relatime - ext4 /dev/vda1 rw",
].join("\n");

const inContainer = { mountinfo: DOCKER_MOUNTINFO, containerMarkers: true };

test("in a container, a directory on the root overlay or a tmpfs is refused, naming the S3 store as the fix", () => {
  const problem = ephemeralDirectoryProblem("/var/snapshots/destination-sqs", inContainer);
  assert.match(problem ?? "", /\/var\/snapshots\/destination-sqs is on the container's own filesystem \(overlay\)/);
  assert.match(problem ?? "", /change_detection\.store \{"type": "s3"/);
  assert.match(ephemeralDirectoryProblem("/run/scratch/snapshot", inContainer) ?? "", /a tmpfs mount at \/run\/scratch/);
});

test("in a container, a directory on a mounted volume is accepted, also below the mount point and with escaped names", () => {
  assert.equal(ephemeralDirectoryProblem("/local/destination-sqs", inContainer), undefined);
  assert.equal(ephemeralDirectoryProblem("/local", inContainer), undefined);
  assert.equal(ephemeralDirectoryProblem("/data/my snapshots/orders", inContainer), undefined);
  // A mount point that is only a prefix of the name is not the directory's mount.
  assert.notEqual(ephemeralDirectoryProblem("/localdata", inContainer), undefined);
});

test("outside containers, or when mountinfo cannot be read, every directory is accepted", () => {
  assert.equal(ephemeralDirectoryProblem("/var/snapshots", { mountinfo: DOCKER_MOUNTINFO, containerMarkers: false }), undefined);
  assert.equal(ephemeralDirectoryProblem("/var/snapshots", { mountinfo: undefined, containerMarkers: true }), undefined);
  // A container whose root is a plain disk (e.g. a VM-backed sandbox) keeps what is written to it.
  const plainRoot = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw";
  assert.equal(ephemeralDirectoryProblem("/var/snapshots", { mountinfo: plainRoot, containerMarkers: true }), undefined);
});
