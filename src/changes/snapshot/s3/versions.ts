import { isPreconditionFailed } from "../../../aws/error-code.js";
import { createReadStream, createWriteStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { constants, createGzip } from "node:zlib";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../../../config/types.js";
import { UserFacingError } from "../../../errors.js";
import { isMissingObject, snapshotStoreCall, snapshotStoreFailure } from "./errors.js";
import type { S3Location } from "./location.js";
import { SnapshotConflictError } from "./lock.js";
import { etagOfOwnWrite } from "./own-write.js";
import { gunzipBounded, readBoundedText, UntrustedObjectError } from "./read.js";
import { uploadFile } from "./upload.js";

export const MANIFEST_NAME = "manifest.json";
const VERSIONS_FOLDER = "snapshots/";
const MANIFEST_FORMAT = 1;
/** A manifest is a few hundred bytes; reading stops well beyond. */
const MAX_MANIFEST_BYTES = 64 * 1024;
/** A version's name, as commit() makes it: its number and the sync that wrote it. */
const VERSION_NAME = /^\d{10}-[^/]+\.sqlite\.gz$/;
/**
 * How many times its compressed size a version recorded without `sqlite_bytes` (by an older
 * connector version) may decompress to, with a floor for small ones: a compacted SQLite file of
 * rows compresses far less, a run of zeros a thousand times.
 */
const MAX_COMPRESSION_RATIO = 200;
const MIN_DECOMPRESSED_CEILING = 64 * 1024 * 1024;
/** Every SQLite database file begins with these 16 bytes. */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/** Which snapshot version is the committed one. */
interface Manifest {
  format: number;
  version: number;
  /** The key of the gzip-compressed SQLite file of this version. */
  object: string;
  bytes: number;
  /** The size of the SQLite file itself (written since this field was added): the download stops there. */
  sqlite_bytes?: number;
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
      const text = await readBoundedText(output, MAX_MANIFEST_BYTES).catch((error: unknown) => {
        if (error instanceof UntrustedObjectError) return "";
        throw error;
      });
      return new SnapshotVersions(s3, location, config, parseManifest(text, location), output.ETag);
    } catch (error) {
      if (isMissingObject(error)) return new SnapshotVersions(s3, location, config, undefined, undefined);
      throw snapshotStoreFailure(error, location, "s3:GetObject", config);
    }
  }

  /**
   * Writes the committed version, uncompressed, to `path`: no more than the manifest records, and a
   * SQLite file, or an error saying the stored snapshot is corrupt or not this connector's.
   */
  async download(path: string): Promise<void> {
    const manifest = this.manifest;
    if (!manifest) return;
    try {
      const output = await this.s3.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: manifest.object }));
      await gunzipBounded(output, createWriteStream(path), {
        maxCompressedBytes: manifest.bytes,
        maxBytes: manifest.sqlite_bytes ?? Math.max(manifest.bytes * MAX_COMPRESSION_RATIO, MIN_DECOMPRESSED_CEILING),
      });
      if (!(await startsWithSqliteHeader(path))) throw new UntrustedObjectError("it does not decompress to a SQLite database");
    } catch (error) {
      if (error instanceof UntrustedObjectError) throw this.corruptVersion(error.problem);
      if (isMissingObject(error)) {
        throw new UserFacingError(
          `The snapshot store ${this.location} names version ${manifest.object} in ${MANIFEST_NAME}, but that object is gone. ` +
            `Restore it, or delete ${this.location.key(MANIFEST_NAME)} to start over (the next sync then counts as the first).`,
          "config_error",
        );
      }
      throw snapshotStoreFailure(error, this.location, "s3:GetObject", this.config);
    }
  }

  private corruptVersion(problem: string): UserFacingError {
    return new UserFacingError(
      `The committed snapshot ${this.manifest?.object} in bucket "${this.location.bucket}" was downloaded, but it is corrupt or was not written by this connector: ${problem}. ` +
        `Nothing was published or changed. Restore the version ${this.location.key(MANIFEST_NAME)} names (from S3 versioning or a backup), ` +
        `or delete ${this.location.key(MANIFEST_NAME)} to start over (the next sync then counts as the first); and find out who else writes to the bucket.`,
      "config_error",
    );
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
      sqlite_bytes: (await stat(file)).size,
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

  /**
   * Deletes version objects the manifest does not name: left by a sync that died between upload and
   * commit. Only objects named as this connector names versions, directly in this prefix's folder.
   */
  async removeUnreferenced(): Promise<void> {
    const listed = await this.send("s3:ListBucket", () =>
      this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.location.bucket,
          Prefix: this.location.key(VERSIONS_FOLDER),
          Delimiter: "/",
          MaxKeys: 100,
        }),
      ),
    );
    for (const { Key } of listed.Contents ?? []) {
      if (Key !== undefined && Key !== this.manifest?.object && isVersionKey(this.location, Key)) await this.deleteObject(Key);
    }
  }

  private deleteObject(key: string): Promise<unknown> {
    return this.send("s3:DeleteObject", () => this.s3.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: key })));
  }

  private send<T>(permission: "s3:PutObject" | "s3:DeleteObject" | "s3:ListBucket", call: () => Promise<T>): Promise<T> {
    return snapshotStoreCall(this.location, this.config, permission, call);
  }
}

/** Whether `key` names a snapshot version of this store (see VERSION_NAME). */
function isVersionKey(location: S3Location, key: string): boolean {
  const name = location.childOf(VERSIONS_FOLDER, key);
  return name !== undefined && VERSION_NAME.test(name);
}

function isSize(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function parseManifest(text: string, location: S3Location): Manifest {
  let manifest: Partial<Manifest> | undefined;
  try {
    manifest = JSON.parse(text) as Partial<Manifest>;
  } catch {
    manifest = undefined;
  }
  const key = location.key(MANIFEST_NAME);
  if (
    manifest?.format !== MANIFEST_FORMAT ||
    typeof manifest.object !== "string" ||
    typeof manifest.version !== "number" ||
    !isSize(manifest.bytes) ||
    (manifest.sqlite_bytes !== undefined && !isSize(manifest.sqlite_bytes))
  ) {
    throw new UserFacingError(
      `${key} in bucket "${location.bucket}" is not a snapshot manifest this connector reads (format ${MANIFEST_FORMAT}). ` +
        "Use the connector version that wrote it, or delete it to start over (the next sync then counts as the first).",
      "config_error",
    );
  }
  // Anything outside the prefix belongs to someone else: reading it would diff against it, committing would delete it.
  if (!isVersionKey(location, manifest.object)) {
    throw new UserFacingError(
      `${key} in bucket "${location.bucket}" names the snapshot object ${JSON.stringify(manifest.object.slice(0, 200))}, which is not a version under this store's prefix ` +
        `(${location.key(VERSIONS_FOLDER)}<version>-<sync>.sqlite.gz), so this connector did not write it; it neither reads nor deletes that object. ` +
        `Restore the manifest this connector wrote, or delete ${key} to start over (the next sync then counts as the first); and find out who else writes to the bucket.`,
      "config_error",
    );
  }
  return manifest as Manifest;
}

async function startsWithSqliteHeader(path: string): Promise<boolean> {
  const file = await open(path);
  try {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await file.read(header, 0, header.length, 0);
    return bytesRead === header.length && header.equals(SQLITE_HEADER);
  } finally {
    await file.close();
  }
}
