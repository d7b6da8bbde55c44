// SigV4 (AWS Signature Version 4) for SendMessageBatch over AWS JSON 1.0. Every request goes to the
// same host and path with the same headers: only the body, the time and the credentials change, so
// the canonical request is written out directly and the signing key is derived once a day.

import { createHmac, hash } from "node:crypto";
import type { AwsCredentialIdentity } from "@smithy/types";

const CONTENT_TYPE = "application/x-amz-json-1.0";
const TARGET = "AmazonSQS.SendMessageBatch";
const SERVICE = "sqs";
const SIGNED_HEADERS = "content-length;content-type;host;x-amz-date;x-amz-target;x-amzn-query-mode";
const SIGNED_HEADERS_WITH_TOKEN = "content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target;x-amzn-query-mode";

/** RFC 3986 percent-encoding of a path segment: encodeURIComponent leaves !'()* as they are. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI of a URL's (already percent-encoded) path: empty segments collapsed, each segment
 * encoded once more, as SigV4 asks of every service but S3.
 */
function canonicalPath(path: string): string {
  if (path === "/") return path;
  const segments: string[] = [];
  for (const segment of path.replace(/\/{2,}/g, "/").split("/")) {
    if (segment === "..") segments.pop();
    else if (segment !== ".") segments.push(encodeSegment(segment));
  }
  const joined = segments.join("/");
  return joined.startsWith("/") ? joined : `/${joined}`;
}

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac("sha256", key).update(text, "utf8").digest();
}

export class BatchRequestSigner {
  private readonly host: string;
  private readonly canonicalPath: string;
  private readonly region: string;
  /** The last signing key, for one secret on one day. */
  private signingKey: { secret: string; day: string; key: Buffer } = { secret: "", day: "", key: Buffer.alloc(0) };

  /** `host` as the Host header carries it (`name[:port]`); `path` as the URL has it. */
  constructor(options: { host: string; path: string; region: string }) {
    this.host = options.host;
    this.canonicalPath = canonicalPath(options.path);
    this.region = options.region;
  }

  /**
   * The request's headers, Authorization included, as the flat [name, value, …] list node:http
   * takes. `amzDate` is the request time in SigV4's basic ISO 8601 form (20261128T221500Z).
   */
  headers(body: Buffer, amzDate: string, credentials: AwsCredentialIdentity): string[] {
    const token = credentials.sessionToken;
    const length = String(body.length);
    const day = amzDate.slice(0, 8);
    const scope = `${day}/${this.region}/${SERVICE}/aws4_request`;
    const signedHeaders = token ? SIGNED_HEADERS_WITH_TOKEN : SIGNED_HEADERS;
    const canonicalRequest =
      `POST\n${this.canonicalPath}\n\n` +
      `content-length:${length}\ncontent-type:${CONTENT_TYPE}\nhost:${this.host}\nx-amz-date:${amzDate}\n` +
      (token ? `x-amz-security-token:${token}\n` : "") +
      `x-amz-target:${TARGET}\nx-amzn-query-mode:true\n\n` +
      `${signedHeaders}\n${hash("sha256", body, "hex")}`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${hash("sha256", canonicalRequest, "hex")}`;
    const signature = createHmac("sha256", this.keyFor(credentials.secretAccessKey, day)).update(stringToSign).digest("hex");
    const authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    const headers = [
      "Host",
      this.host,
      "Content-Type",
      CONTENT_TYPE,
      "Content-Length",
      length,
      "X-Amz-Date",
      amzDate,
      "X-Amz-Target",
      TARGET,
      "X-Amzn-Query-Mode",
      "true",
      "Authorization",
      authorization,
    ];
    if (token) headers.push("X-Amz-Security-Token", token);
    return headers;
  }

  private keyFor(secret: string, day: string): Buffer {
    if (this.signingKey.secret !== secret || this.signingKey.day !== day) {
      const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), this.region), SERVICE), "aws4_request");
      this.signingKey = { secret, day, key };
    }
    return this.signingKey.key;
  }
}
