// One explanation of failed S3 calls for both buckets: each names the place, the setting, the
// permission and what to do.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AssumeRoleError } from "../src/aws/credentials.js";
import { describeS3Failure, type S3Setting, s3Failure } from "../src/aws/s3-explain.js";
import { emulatorConfig } from "./helpers/emulators.js";
import { sdkServiceError } from "./helpers/delivery-fakes.js";

const config = emulatorConfig({ endpoint: "http://127.0.0.1:1" });
const SETTINGS: S3Setting[] = ["change_detection.store", "large_messages"];

for (const setting of SETTINGS) {
  const place = { setting, bucket: "payloads", prefix: "dsqs/" };

  test(`${setting}: a missing bucket, a bucket in another region and a denied call each say what to change`, () => {
    const missing = describeS3Failure(sdkServiceError("NoSuchBucket", "gone", 404), place, "s3:PutObject", config);
    assert.match(missing, new RegExp(`s3://payloads/dsqs/ \\(${setting}\\.bucket\\): s3:PutObject failed with NoSuchBucket`));
    assert.match(missing, new RegExp(`the bucket "payloads" does not exist: create it, or correct ${setting}\\.bucket`));

    const elsewhere = describeS3Failure(sdkServiceError("PermanentRedirect", "moved", 301), place, "s3:PutObject", config);
    assert.match(elsewhere, new RegExp(`set ${setting}\\.region to the bucket's region`));

    const denied = describeS3Failure(sdkServiceError("AccessDenied", "no", 403), place, "s3:GetObject", config);
    assert.match(
      denied,
      /s3:GetObject failed with AccessDenied; grant s3:GetObject on arn:aws:s3:::payloads\/dsqs\/\* to the connector's credentials/,
    );
  });

  test(`${setting}: rejected credentials and unknown failures are explained, with the failure type to report`, () => {
    const rejected = s3Failure(sdkServiceError("InvalidAccessKeyId", "unknown key", 403), place, "s3:PutObject", config);
    assert.equal(rejected.failureType, "config_error");
    assert.match(rejected.message, /AWS rejected the credentials \(InvalidAccessKeyId\): check credentials\.access_key_id/);

    const unknown = s3Failure(sdkServiceError("InvalidRequest", "bad request", 400), place, "s3:PutObject", config);
    assert.equal(unknown.failureType, "system_error");
    assert.match(unknown.message, new RegExp(`InvalidRequest \\(bad request\\); check ${setting} \\(bucket, region, endpoint\\)`));

    const role = new AssumeRoleError("arn:aws:iam::123456789012:role/etl", true, sdkServiceError("AccessDenied", "not trusted", 403));
    const refusedRole = s3Failure(role, place, "s3:PutObject", config);
    assert.equal(refusedRole.failureType, "config_error");
    assert.match(
      refusedRole.message,
      /Could not assume role arn:aws:iam::123456789012:role\/etl \(AccessDenied\): the role's trust policy/,
    );
    assert.doesNotMatch(refusedRole.message, /grant s3:PutObject/);

    const unreachable = s3Failure(
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      place,
      "s3:ListBucket",
      config,
    );
    assert.equal(unreachable.failureType, "transient_error");
  });
}
