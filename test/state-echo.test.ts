import assert from "node:assert/strict";
import { test } from "node:test";
import { echoedStateLine } from "../src/protocol/state-echo.js";

const STATS = { recordCount: 3, rejectedRecordCount: 1 };
const STATS_JSON = JSON.stringify(STATS);

test("destinationStats is added as the state's last member; every other byte is kept", () => {
  const line = '{"type":"STATE","state":{"type":"LEGACY","data":{"n":1.0,"big":12345678901234567890,"s":"caf\\u00e9\\/"}}}';
  assert.equal(echoedStateLine(line, STATS), `${line.slice(0, -2)},"destinationStats":${STATS_JSON}}}`);
});

test("spacing, other top-level members and a state before the type are kept", () => {
  const line = '{ "state" : { "data" : { "a" : [1, {"}": "]"}] } } , "type" : "STATE", "extra": {"state": 1} }';
  assert.equal(
    echoedStateLine(line, STATS),
    `{ "state" : { "data" : { "a" : [1, {"}": "]"}] },"destinationStats":${STATS_JSON} } , "type" : "STATE", "extra": {"state": 1} }`,
  );
});

test("an empty state object gets destinationStats as its only member", () => {
  assert.equal(echoedStateLine('{"type":"STATE","state":{}}', STATS), `{"type":"STATE","state":{"destinationStats":${STATS_JSON}}}`);
});

test("destinationStats the source already sent is replaced in place", () => {
  const line = '{"type":"STATE","state":{"destinationStats":{"recordCount":99},"data":{}}}';
  assert.equal(echoedStateLine(line, STATS), `{"type":"STATE","state":{"destinationStats":${STATS_JSON},"data":{}}}`);
});

test("keys written with escapes and strings holding quotes and braces are read as JSON reads them", () => {
  const line = '{"type":"STATE","st\\u0061te":{"data":{"k\\"}":"v\\\\\\"{"}}}';
  const echoed = echoedStateLine(line, STATS);
  assert.deepEqual(JSON.parse(echoed), { type: "STATE", state: { data: { 'k"}': 'v\\"{' }, destinationStats: STATS } });
  assert.ok(echoed.startsWith('{"type":"STATE","st\\u0061te":{"data":{"k\\"}":"v\\\\\\"{"}'));
});

test("with duplicate state members, the last (the one JSON.parse keeps) gets the stats", () => {
  const line = '{"type":"STATE","state":{"data":{"old":1}},"state":{"data":{"new":1}}}';
  assert.deepEqual(JSON.parse(echoedStateLine(line, STATS)).state, { data: { new: 1 }, destinationStats: STATS });
});
