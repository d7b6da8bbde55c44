import assert from "node:assert/strict";
import { test } from "node:test";
import { Cancellation, requestCancelled } from "../src/delivery/cancellation.js";

test("a cancellation calls its listener once, with the first reason", () => {
  const cancellation = new Cancellation();
  const reasons: string[] = [];
  cancellation.onCancel((reason) => reasons.push(reason.message));
  assert.equal(cancellation.cancelled, false);
  cancellation.cancel(requestCancelled("first"));
  cancellation.cancel(requestCancelled("second"));
  assert.deepEqual(reasons, ["Request cancelled: first"]);
  assert.equal(cancellation.cancelled, true);
  assert.throws(() => cancellation.throwIfCancelled(), { name: "AbortError", message: "Request cancelled: first" });
});

test("a listener set after the cancellation is called at once", () => {
  const cancellation = new Cancellation();
  cancellation.cancel(requestCancelled("early"));
  let called = 0;
  cancellation.onCancel(() => called++);
  assert.equal(called, 1);
});

test("a cancellation's AbortSignal aborts with it, for the SDK", () => {
  const cancellation = new Cancellation();
  const signal = cancellation.toSignal();
  assert.equal(signal.aborted, false);
  const reason = requestCancelled("stopped");
  cancellation.cancel(reason);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, reason);
});
