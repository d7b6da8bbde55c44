import assert from "node:assert/strict";
import { test } from "node:test";
import { CheckpointTracker, type Checkpoint } from "../src/checkpoint.js";

function tracker() {
  const emitted: Checkpoint[] = [];
  return { emitted, tracker: new CheckpointTracker((checkpoint) => emitted.push(checkpoint)) };
}

test("a STATE is released only once every record before it has settled, in order", () => {
  const { emitted, tracker: t } = tracker();
  const a = t.recordReceived();
  const b = t.recordReceived();
  t.stateReceived({ data: 1 });
  const c = t.recordReceived();
  t.stateReceived({ data: 2 });
  t.settle(c);
  assert.equal(emitted.length, 0, "state 2 must wait for the records before state 1");
  t.settle(a);
  assert.equal(emitted.length, 0);
  t.settle(b, true);
  assert.deepEqual(
    emitted.map((checkpoint) => [checkpoint.state.data, checkpoint.recordCount, checkpoint.rejectedCount]),
    [
      [1, 2, 1],
      [2, 1, 0],
    ],
  );
  assert.equal(t.pending, 0);
});

test("a STATE with no records before it is released at once, with a zero count", () => {
  const { emitted, tracker: t } = tracker();
  t.stateReceived({ data: "first" });
  assert.deepEqual(emitted, [{ state: { data: "first" }, recordCount: 0, rejectedCount: 0 }]);
});

test("settling a released ticket twice is a bug and throws", () => {
  const { tracker: t } = tracker();
  const ticket = t.recordReceived();
  t.stateReceived({});
  t.settle(ticket);
  assert.throws(() => t.settle(ticket), /already released/);
});
