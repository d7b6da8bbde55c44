import assert from "node:assert/strict";
import { test } from "node:test";
import { ClearJobDetection } from "../src/write/clear-job.js";
import type { ConfiguredStream, StateMessage } from "../src/protocol/messages.js";

function stream(overrides: Partial<ConfiguredStream> = {}): ConfiguredStream {
  return {
    stream: { name: "orders", namespace: "shop", json_schema: {} },
    sync_mode: "full_refresh",
    destination_sync_mode: "overwrite",
    generation_id: 4,
    minimum_generation_id: 4,
    ...overrides,
  };
}

function streamState(streamState: unknown, namespace: string | null = "shop"): StateMessage {
  return { type: "STREAM", stream: { stream_descriptor: { name: "orders", namespace }, stream_state: streamState } };
}

test("a null STREAM state and no records in a full_refresh + overwrite catalog of one generation is a Clear", () => {
  const detection = new ClearJobDetection();
  detection.stateReceived(streamState(null));
  assert.equal(detection.isCleared(stream()), true);
  // Catalogs from platforms before generations carry no generation ids.
  const withoutGenerations = stream();
  delete withoutGenerations.generation_id;
  delete withoutGenerations.minimum_generation_id;
  assert.equal(detection.isCleared(withoutGenerations), true);
});

test("records, a real state, another namespace, an incremental or append stream, or an older minimum generation are not a Clear", () => {
  const refresh = new ClearJobDetection();
  const configured = stream();
  refresh.recordReceived(configured);
  refresh.stateReceived(streamState(null));
  assert.equal(refresh.isCleared(configured), false, "records present: a refresh, diffed like any sync");

  const withState = new ClearJobDetection();
  withState.stateReceived(streamState({ cursor: "2024-01-01" }));
  assert.equal(withState.isCleared(stream()), false);

  const otherNamespace = new ClearJobDetection();
  otherNamespace.stateReceived(streamState(null, "warehouse"));
  assert.equal(otherNamespace.isCleared(stream()), false);

  const cleared = new ClearJobDetection();
  cleared.stateReceived(streamState(null));
  assert.equal(cleared.isCleared(stream({ sync_mode: "incremental" })), false);
  assert.equal(cleared.isCleared(stream({ destination_sync_mode: "append" })), false);
  assert.equal(cleared.isCleared(stream({ minimum_generation_id: 0 })), false);
});
