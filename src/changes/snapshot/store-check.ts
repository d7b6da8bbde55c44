import { randomUUID } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { probeS3Write, unansweredProbeNote } from "../../aws/s3-probe.js";
import type { Config, S3Settings } from "../../config/types.js";
import { ephemeralDirectoryProblem, readHostFacts } from "./container-filesystem.js";
import { snapshotStoreCall, snapshotStoreFailure } from "./s3/errors.js";
import { S3Location } from "./s3/location.js";
import { SnapshotVersions } from "./s3/versions.js";
import { snapshotStoreSetting } from "./location.js";
import { createSnapshotDirectory } from "./store.js";

type StoreCheck = { ok: true; description: string } | { ok: false; message: string } | undefined;

/**
 * Proves the snapshot store works as a sync will use it: in S3, lists the prefix, reads the
 * manifest, writes and deletes a probe object; locally, creates and deletes a probe file in the
 * directory (refused in a container when the directory would vanish with it). Undefined when
 * change detection keeps no snapshot.
 */
export async function checkSnapshotStore(config: Config, s3: (settings: S3Settings) => S3Client): Promise<StoreCheck> {
  const detection = config.change_detection;
  if (detection.mode !== "snapshot") return undefined;
  const store = snapshotStoreSetting(detection);
  if (store.type === "local") return checkDirectory(store.directory);
  const client = s3(store);
  try {
    return await checkBucket(client, new S3Location(store.bucket, store.prefix), config);
  } finally {
    client.destroy();
  }
}

function checkDirectory(directory: string): StoreCheck {
  const problem = ephemeralDirectoryProblem(directory, readHostFacts());
  if (problem) return { ok: false, message: problem };
  try {
    createSnapshotDirectory(directory);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const probe = join(directory, `.check-${randomUUID()}`);
  try {
    writeFileSync(probe, "destination-sqs check\n");
    rmSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return {
      ok: false,
      message: `The snapshot directory ${directory} (change_detection.store.directory) is not writable (${code}): mount a writable volume there, or keep the snapshot in S3.`,
    };
  }
  return { ok: true, description: `the snapshot directory ${directory}` };
}

async function checkBucket(s3: S3Client, location: S3Location, config: Config): Promise<StoreCheck> {
  const { bucket } = location;
  try {
    await snapshotStoreCall(location, config, "s3:ListBucket", () =>
      s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: location.prefix, MaxKeys: 1 })),
    );
    // Reads the manifest as a sync would: bounded, and checked.
    await SnapshotVersions.read(s3, location, config);
    const probe = await probeS3Write(s3, { setting: "change_detection.store", bucket, prefix: location.prefix });
    if (!probe.ok) {
      const failure = snapshotStoreFailure(probe.error, location, probe.permission, config);
      return { ok: false, message: failure.message + unansweredProbeNote(probe) };
    }
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  return { ok: true, description: `the snapshot store ${location}` };
}
