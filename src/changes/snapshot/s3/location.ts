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

  /** s3://bucket/prefix, as error messages name it. */
  toString(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }
}
