/** A connection's place in a bucket: every object of its snapshot has a key under `prefix`. */
export class S3Location {
  readonly prefix: string;

  constructor(
    readonly bucket: string,
    prefix: string | undefined,
  ) {
    // "a/b" and "a/b/" name the same place; an empty prefix is the bucket's top level.
    this.prefix = prefix === undefined || prefix === "" || prefix.endsWith("/") ? (prefix ?? "") : `${prefix}/`;
  }

  key(name: string): string {
    return this.prefix + name;
  }

  /**
   * The name of `key` when it is an object directly in `folder` (a name ending in "/") of this
   * prefix, with no further "/" in it; undefined for any other key, which this store neither reads
   * as its own nor deletes.
   */
  childOf(folder: string, key: string): string | undefined {
    const start = this.key(folder);
    if (!key.startsWith(start)) return undefined;
    const name = key.slice(start.length);
    return name === "" || name.includes("/") ? undefined : name;
  }

  /** s3://bucket/prefix, as error messages name it. */
  toString(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }
}
