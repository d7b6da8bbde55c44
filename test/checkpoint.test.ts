import assert from "node:assert/strict";
import { test } from "node:test";
import { CheckpointTracker, type Checkpoint } from "../src/write/checkpoint.js";

function tracker() {
  const emitted: Checkpoint<{ data: unknown }>[] = [];
  return { emitted, tracker: new CheckpointTracker<{ data: unknown }>((checkpoint) => emitted.push(checkpoint)) };
}

test("a STATE is released only once every record before it has settled, in order", () => {
  const { emitted, tracker: t } = tracker();
  const a = t.recordReceived("s");
  const b = t.recordReceived("s");
  t.stateReceived({ data: 1 });
  const c = t.recordReceived("s");
  t.stateReceived({ data: 2 });
  t.settle(c);
  assert.equal(emitted.length, 0, "state 2 must wait for the records before state 1");
  t.settle(a);
  assert.equal(emitted.length, 0);
  t.settle(b, "s");
  assert.deepEqual(
    emitted.map((checkpoint) => [checkpoint.state.data, checkpoint.recordCount, checkpoint.rejectedCount]),
    [
      [1, 1, 1],
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
  const ticket = t.recordReceived("s");
  t.stateReceived({ data: null });
  t.settle(ticket);
  assert.throws(() => t.settle(ticket), /already released/);
});

test("a stream's STATE counts that stream's records since its previous STATE; a STATE of all streams counts every record", () => {
  const { emitted, tracker: t } = tracker();
  const a1 = t.recordReceived("a");
  const b1 = t.recordReceived("b");
  const a2 = t.recordReceived("a");
  t.stateReceived({ data: "a" }, "a");
  const b2 = t.recordReceived("b");
  // A rejection settled after the STATE still counts toward the STATE that covered the record.
  t.settle(a1, "a");
  t.settle(a2);
  t.settle(b1);
  t.stateReceived({ data: "b" }, "b");
  const removal = t.recordReceived();
  const c1 = t.recordReceived("c");
  t.settle(b2, "b");
  t.settle(removal);
  t.settle(c1);
  t.stateReceived({ data: "all" });
  assert.deepEqual(
    emitted.map((checkpoint) => [checkpoint.state.data, checkpoint.recordCount, checkpoint.rejectedCount]),
    [
      ["a", 1, 1],
      ["b", 1, 1],
      ["all", 1, 0],
    ],
  );
});
