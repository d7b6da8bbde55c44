import assert from "node:assert/strict";
import { describe, it } from "node:test";
import aws4 from "aws4";
import { BatchRequestSigner } from "../src/delivery/batch-signer.js";

const AMZ_DATE = "20261128T221500Z";

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The headers aws4 (a reference SigV4 implementation) makes for the same request. */
function aws4Headers(host: string, path: string, body: string, credentials: Keys, amzDate = AMZ_DATE): Record<string, unknown> {
  return aws4.sign(
    {
      method: "POST",
      host,
      path,
      service: "sqs",
      region: "eu-west-1",
      headers: {
        "X-Amz-Date": amzDate,
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS.SendMessageBatch",
        "X-Amzn-Query-Mode": "true",
      },
      body,
    },
    credentials,
  ).headers as Record<string, unknown>;
}

function asRecord(flat: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let at = 0; at < flat.length; at += 2) record[flat[at]!] = flat[at + 1]!;
  return record;
}

const KEYS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const BODY = JSON.stringify({
  QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
  Entries: [{ Id: "0", MessageBody: "é 中 \n" }],
});

describe("BatchRequestSigner", () => {
  const cases: { name: string; host: string; path: string; credentials: Keys }[] = [
    { name: "the regional endpoint", host: "sqs.eu-west-1.amazonaws.com", path: "/", credentials: KEYS },
    { name: "an endpoint with a port", host: "127.0.0.1:4566", path: "/", credentials: KEYS },
    { name: "an endpoint under a path", host: "vpce.example.com", path: "/sqs/a%20b/(x)/", credentials: KEYS },
    {
      name: "temporary credentials",
      host: "sqs.eu-west-1.amazonaws.com",
      path: "/",
      credentials: { ...KEYS, sessionToken: "FwoGZXIvYXdzEJr//token+/=" },
    },
  ];
  for (const { name, host, path, credentials } of cases) {
    it(`signs as the SigV4 reference does: ${name}`, () => {
      const signer = new BatchRequestSigner({ host, path, region: "eu-west-1" });
      const signed = asRecord(signer.headers(Buffer.from(BODY), AMZ_DATE, credentials));
      const reference = aws4Headers(host, path, BODY, credentials);
      assert.deepEqual(signed, {
        Host: reference.Host,
        "Content-Type": reference["Content-Type"],
        "Content-Length": String(reference["Content-Length"]),
        "X-Amz-Date": AMZ_DATE,
        "X-Amz-Target": reference["X-Amz-Target"],
        "X-Amzn-Query-Mode": "true",
        Authorization: reference.Authorization,
        ...(credentials.sessionToken ? { "X-Amz-Security-Token": credentials.sessionToken } : {}),
      });
    });
  }

  it("derives a new signing key when the day or the secret changes", () => {
    const signer = new BatchRequestSigner({ host: "sqs.eu-west-1.amazonaws.com", path: "/", region: "eu-west-1" });
    const body = Buffer.from(BODY);
    signer.headers(body, AMZ_DATE, KEYS);
    const rotated = { accessKeyId: "AKIDOTHER", secretAccessKey: "another-secret" };
    for (const [date, credentials] of [
      ["20261129T000001Z", KEYS],
      ["20261129T000002Z", rotated],
    ] as const) {
      const signed = asRecord(signer.headers(body, date, credentials));
      const reference = aws4Headers("sqs.eu-west-1.amazonaws.com", "/", BODY, credentials, date);
      assert.equal(signed.Authorization, reference.Authorization);
    }
  });
});
