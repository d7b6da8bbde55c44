// One table of AWS error codes (src/aws/error-codes.ts) and one code extractor (src/aws/error-code.ts):
// explaining a failed call and classifying a failed SendMessageBatch read the same codes the same way.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { awsErrorCode, awsErrorCodes } from "../src/aws/error-code.js";
import { AWS_ERROR_CODES, type AwsErrorMeaning } from "../src/aws/error-codes.js";
import { awsCallFailure } from "../src/aws/explain.js";
import { fatalSendError } from "../src/delivery/errors.js";
import { classifySendError, sendFailureOf } from "../src/aws/send-failure.js";
import { sdkServiceError } from "./helpers/delivery-fakes.js";

const QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
const CONTEXT = {
  permission: "sqs:SendMessage",
  config: { region: "us-east-1", credentials: { auth_type: "access_key" as const, access_key_id: "x", secret_access_key: "y" } },
};

function socketError(code: string): Error {
  return Object.assign(new Error(`${code} on the socket`), { code });
}

describe("awsErrorCodes", () => {
  it("reads Node's code, the SDK's name, the query-compatible Code and the causes, most specific first", () => {
    assert.deepEqual(awsErrorCodes(socketError("ECONNRESET")), ["ECONNRESET"]);
    const queryCompatible = Object.assign(sdkServiceError("QueueDoesNotExist", "gone"), {
      Code: "AWS.SimpleQueueService.NonExistentQueue",
    });
    assert.deepEqual(awsErrorCodes(queryCompatible), ["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"]);
    const timeout = Object.assign(new Error("timed out"), { name: "TimeoutError", code: "ETIMEDOUT" });
    assert.deepEqual(awsErrorCodes(timeout), ["ETIMEDOUT", "TimeoutError"]);
    assert.deepEqual(awsErrorCodes(new TypeError("fetch failed", { cause: socketError("UND_ERR_SOCKET") })), [
      "TypeError",
      "UND_ERR_SOCKET",
    ]);
    assert.deepEqual(awsErrorCodes(new Error("request failed", { cause: socketError("ECONNRESET") })), ["ECONNRESET"]);
    assert.deepEqual(awsErrorCodes(new AggregateError([socketError("ECONNREFUSED"), socketError("EHOSTUNREACH")])), [
      "ECONNREFUSED",
      "AggregateError",
    ]);
  });

  it("reads the code from an error body the SDK could not parse (XML or JSON)", () => {
    const xml = Object.assign(new Error("unknown"), {
      name: "UnknownError",
      $response: { body: new TextEncoder().encode("<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>") },
    });
    assert.equal(awsErrorCode(xml), "AccessDenied");
    const json = Object.assign(new Error("unknown"), {
      $response: { body: new TextEncoder().encode('{"__type":"com.amazonaws.sqs#QueueDoesNotExist"}') },
    });
    assert.deepEqual(awsErrorCodes(json), ["QueueDoesNotExist"]);
  });

  it("falls back to the error's name, or Error for what is not an error", () => {
    assert.equal(awsErrorCode(new Error("plain")), "Error");
    assert.equal(awsErrorCode("a string"), "Error");
    assert.deepEqual(awsErrorCodes(undefined), []);
  });
});

describe("the error code table", () => {
  const meanings = Object.entries(AWS_ERROR_CODES) as [AwsErrorMeaning, readonly string[]][];

  it("gives each code one meaning", () => {
    const all = meanings.flatMap(([, codes]) => codes);
    assert.equal(new Set(all).size, all.length);
  });

  for (const [meaning, codes] of meanings) {
    it(`${meaning}: delivery and the explanation of a failed call agree`, () => {
      for (const code of codes) {
        const error = sdkServiceError(code, "no");
        const classified = classifySendError(sendFailureOf(error));
        const failure = awsCallFailure(error, CONTEXT);
        if (meaning === "throttled" || meaning === "service_failed" || meaning === "unreachable") {
          assert.equal(classified.kind, "retry", code);
          assert.equal(failure.failureType, "transient_error", code);
        } else if (meaning === "missing_queue") {
          assert.equal(classified.kind, "reject", code);
        } else {
          assert.equal(classified.kind, "fatal", code);
          assert.equal(fatalSendError(classified, QUEUE).failureType, "config_error", code);
          assert.equal(failure.failureType, "config_error", code);
        }
      }
    });
  }
});
