import { createReadStream, createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGunzip, createGzip } from "node:zlib";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../../../config/types.js";
import { UserFacingError } from "../../../errors.js";
import { isMissingObject, isPreconditionFailed, snapshotStoreCall, snapshotStoreFailure } from "./errors.js";
import type { S3Location } from "./location.js";
import { SnapshotConflictError } from "./lock.js";
import { etagOfOwnWrite } from "./own-write.js";
import { uploadFile } from "./upload.js";

export const MANIFEST_NAME = "manifest.json";
const VERSIONS_FOLDER = "snapshots/";
const MANIFEST_FORMAT = 1;

/** Which snapshot version is the committed one. */
interface Manifest {
  format: number;
  version: number;
  /** The key of the gzip-compressed SQLite file of this version. */
  object: string;
  bytes: number;
  committed_at: string;
  committed_by: string;
}

/**
 * The committed snapshot versions under a prefix. Each commit uploads a new, never overwritten
 * object (`snapshots/<version>-<sync>.sqlite.gz`), then points `manifest.json` at it with
 * `If-Match: <the manifest's ETag when this sync read it>` (or `If-None-Match: *` for the first
 * version): a writer whose view is stale cannot replace a newer version. A crash between the two
 * leaves the previous version committed and an unreferenced object, deleted at the next start.
 */
export class SnapshotVersions {
  private constructor(
    private readonly s3: S3Client,
    private readonly location: S3Location,
    private readonly config: Config,
    private manifest: Manifest | undefined,
    private manifestEtag: string | undefined,
  ) {}

  static async read(s3: S3Client, location: S3Location, config: Config): Promise<SnapshotVersions> {
    try {
      const output = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key(MANIFEST_NAME) }));
      const manifest = parseManifest((await output.Body?.transformToString()) ?? "", location);
      return new SnapshotVersions(s3, location, config, manifest, output.ETag);
    } catch (error) {
      if (isMissingObject(error)) return new SnapshotVersions(s3, location, config, undefined, undefined);
      throw snapshotStoreFailure(error, location, "s3:GetObject", config);
    }
  }

  /** Writes the committed version, uncompressed, to `path`. */
  async download(path: string): Promise<void> {
    if (!this.manifest) return;
    try {
      const output = await this.s3.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.manifest.object }));
      await pipeline(output.Body as Readable, createGunzip(), createWriteStream(path));
    } catch (error) {
      if (isMissingObject(error)) {
        throw new UserFacingError(
          `The snapshot store ${this.location} names version ${this.manifest.object} in ${MANIFEST_NAME}, but that object is gone. ` +
            `Restore it, or delete ${this.location.key(MANIFEST_NAME)} to start over (the next sync then counts as the first).`,
          "config_error",
        );
      }
      throw snapshotStoreFailure(error, this.location, "s3:GetObject", this.config);
    }
  }

  /** Compresses `file` into `compressedPath`, uploads it as the next version and makes it the committed one. */
  async commit(file: string, compressedPath: string, committedBy: string, syncId: string): Promise<void> {
    await pipeline(createReadStream(file), createGzip({ level: constants.Z_BEST_SPEED }), createWriteStream(compressedPath));
    const version = (this.manifest?.version ?? 0) + 1;
    const object = this.location.key(`${VERSIONS_FOLDER}${String(version).padStart(10, "0")}-${syncId}.sqlite.gz`);
    const bytes = await this.send("s3:PutObject", () =>
      uploadFile(this.s3, this.location.bucket, object, compressedPath, "application/gzip"),
    );
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version,
      object,
      bytes,
      committed_at: new Date().toISOString(),
      committed_by: committedBy,
    };
    const body = JSON.stringify(manifest);
    const key = this.location.key(MANIFEST_NAME);
    const etag = await this.s3
      .send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: key,
          Body: body,
          ContentType: "application/json",
          ...(this.manifestEtag ? { IfMatch: this.manifestEtag } : { IfNoneMatch: "*" }),
        }),
      )
      .then(
        (written) => written.ETag,
        async (error: unknown) => {
          if (!isPreconditionFailed(error)) throw snapshotStoreFailure(error, this.location, "s3:PutObject", this.config);
          const own = await etagOfOwnWrite(this.s3, this.location, this.config, key, body);
          if (own !== undefined) return own;
          throw new SnapshotConflictError(
            `Another sync committed a snapshot to ${this.location} while this one held its lock, so this sync's snapshot is not committed. ` +
              "Run one sync at a time per prefix; the rows this sync published since its last commit are published again by the next sync.",
          );
        },
      );
    const previous = this.manifest?.object;
    this.manifest = manifest;
    this.manifestEtag = etag;
    if (previous !== undefined) await this.deleteObject(previous);
  }

  /** Deletes version objects the manifest does not name: left by a sync that died between upload and commit. */
  async removeUnreferenced(): Promise<void> {
    const listed = await this.send("s3:ListBucket", () =>
      this.s3.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: this.location.key(VERSIONS_FOLDER), MaxKeys: 100 })),
    );
    for (const { Key } of listed.Contents ?? []) {
      if (Key !== undefined && Key !== this.manifest?.object) await this.deleteObject(Key);
    }
  }

  private deleteObject(key: string): Promise<unknown> {
    return this.send("s3:DeleteObject", () => this.s3.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: key })));
  }

  private send<T>(permission: "s3:PutObject" | "s3:DeleteObject" | "s3:ListBucket", call: () => Promise<T>): Promise<T> {
    return snapshotStoreCall(this.location, this.config, permission, call);
  }
}

function parseManifest(text: string, location: S3Location): Manifest {
  let manifest: Partial<Manifest> | undefined;
  try {
    manifest = JSON.parse(text) as Partial<Manifest>;
  } catch {
    manifest = undefined;
  }
  if (manifest?.format !== MANIFEST_FORMAT || typeof manifest.object !== "string" || typeof manifest.version !== "number") {
    throw new UserFacingError(
      `${location.key(MANIFEST_NAME)} in bucket "${location.bucket}" is not a snapshot manifest this connector reads (format ${MANIFEST_FORMAT}). ` +
        "Use the connector version that wrote it, or delete it to start over (the next sync then counts as the first).",
      "config_error",
    );
  }
  return manifest as Manifest;
}
