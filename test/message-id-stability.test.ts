import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultMessageId, type RowIdentity } from "../src/compose/ids.js";

// Default message ids are stable across runs and releases: users may deduplicate or look rows up by
// them. These values were computed by the original implementation and must never change.
const EXPECTED: [RowIdentity, string][] = [
  [{ data: { id: 1 }, stream: "users", primaryKey: [["id"]] }, "cebf917a2a164c72eba6cc75e34337b0"],
  [{ data: { id: 1 }, stream: "users", namespace: "public", primaryKey: [["id"]] }, "ffd092640366ed6865486941799bfeb0"],
  [{ data: { id: "1" }, stream: "users", primaryKey: [["id"]] }, "6f65acc5251ce6e783d3b047b710c606"],
  [{ data: { id: -0 }, stream: "users", primaryKey: [["id"]] }, "230350ceb187df4d433d803382fc7c67"],
  [{ data: { id: 1e21, k: 2.5 }, stream: "users", primaryKey: [["id"], ["k"]] }, "aed1a3153570f41cfec328dbe1a78815"],
  [
    { data: { id: 'qu"ote\\ \n\u0001 😀 \ud800' }, stream: 'str"eam', namespace: "n\u2028s", primaryKey: [["id"]] },
    "1274bacfcc95771912e0c4b45c1eb7d7",
  ],
  [{ data: { a: { b: "x" }, c: 3 }, stream: "orders", primaryKey: [["a", "b"], ["c"]] }, "c7b103b9ad6c0203cea068f9403679b3"],
  [{ data: { id: true }, stream: "users", primaryKey: [["id"]] }, "a0b4c0d2b908f5f32589ca46dc118b5a"],
  [{ data: { id: { z: 1, a: [2, { y: null, b: "q" }] } }, stream: "users", primaryKey: [["id"]] }, "cb148470a1bb57c7055ceedbf7a52c5e"],
  // An incomplete primary key hashes the whole record.
  [{ data: { id: null, name: "x", z: 1, a: 2 }, stream: "users", primaryKey: [["id"]] }, "0c66f9416076f7b7f8d500639fe156b2"],
  [{ data: { b: 1, a: "x", "1": 2 }, stream: "users" }, "ade398f6b98e26af7b948bcccbdd4292"],
  [{ data: { id: 7 }, stream: "users", primaryKey: [] }, "9f49f45983d9f6e1ee9b44e2819b8d2f"],
  [
    { data: { id: Number.MAX_SAFE_INTEGER, s: "" }, stream: "", namespace: null, primaryKey: [["id"], ["s"]] },
    "b5072c1bd85239ad10820c9b570a065e",
  ],
];

test("default message ids are the same as in earlier releases", () => {
  for (const [row, expected] of EXPECTED) {
    assert.equal(defaultMessageId(row), expected, `row ${JSON.stringify(row.data)} of stream ${JSON.stringify(row.stream)}`);
  }
});
