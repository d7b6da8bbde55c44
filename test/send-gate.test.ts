import assert from "node:assert/strict";
import { test } from "node:test";
import { SendGate } from "../src/write/send-gate.js";

function deferred(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

test("messages leave in the order they were held, each once its condition holds", async () => {
  const gate = new SendGate();
  const first = deferred();
  const second = deferred();
  const sent: string[] = [];
  const failures: Error[] = [];
  void gate.hold(
    first.promise,
    10,
    () => void sent.push("first"),
    (error) => failures.push(error),
  );
  void gate.hold(
    second.promise,
    10,
    () => void sent.push("second"),
    (error) => failures.push(error),
  );
  void gate.hold(
    Promise.resolve(),
    10,
    () => void sent.push("third"),
    (error) => failures.push(error),
  );
  second.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sent, [], "nothing overtakes a message still waiting");
  first.resolve();
  await gate.drained();
  assert.deepEqual(sent, ["first", "second", "third"]);
  assert.deepEqual(failures, []);
});

test("a condition that fails is reported, and no message held after it leaves", async () => {
  const gate = new SendGate();
  const sent: string[] = [];
  const failures: string[] = [];
  const journalFailure = new Error("the journal could not be written");
  void gate.hold(
    Promise.resolve(),
    10,
    () => void sent.push("before"),
    (error) => failures.push(error.message),
  );
  void gate.hold(
    Promise.reject(journalFailure),
    10,
    () => void sent.push("failed"),
    (error) => failures.push(error.message),
  );
  void gate.hold(
    Promise.resolve(),
    10,
    () => void sent.push("after"),
    (error) => failures.push(error.message),
  );
  await gate.drained();
  assert.deepEqual(sent, ["before"]);
  assert.ok(failures.length > 0 && failures.every((message) => message === journalFailure.message));
});

test("the reader waits while the gate holds too many bytes, until messages leave", async () => {
  const gate = new SendGate();
  const ready = deferred();
  const half = 16 * 1024 * 1024;
  const first = gate.hold(
    ready.promise,
    half,
    () => undefined,
    () => undefined,
  );
  const second = gate.hold(
    ready.promise,
    half,
    () => undefined,
    () => undefined,
  );
  assert.equal(first, undefined, "room for the first message");
  assert.ok(second !== undefined, "the second fills the gate: the reader waits");
  ready.resolve();
  await second;
  await gate.drained();
});
