// Compile-time checks, run by `npm run typecheck`: a Config that mixes what one queue type forbids
// does not type-check. Each @ts-expect-error fails the typecheck if its line starts compiling.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Config } from "../src/config/types.js";
import { testConfig } from "./helpers/config.js";

test("Config is a union on queue_type: impossible combinations do not type-check", () => {
  const { queue_type: _type, message_group_id: _group, message_deduplication_id: _dedup, delay_seconds: _delay, ...common } = testConfig();
  const group = { source: "static", value: "g" } as const;
  const fifo: Config = { ...common, queue_type: "fifo", message_group_id: group, message_deduplication_id: group };
  const standard: Config = { ...common, queue_type: "standard", delay_seconds: { source: "static", value: "5" } };
  // @ts-expect-error a FIFO queue needs a message group id
  const fifoWithoutGroup: Config = { ...common, queue_type: "fifo" };
  // @ts-expect-error FIFO queues take no per-message delay
  const fifoWithDelay: Config = { ...common, queue_type: "fifo", message_group_id: group, delay_seconds: group };
  // @ts-expect-error standard queues take no deduplication id
  const standardWithDedup: Config = { ...common, queue_type: "standard", message_deduplication_id: group };
  assert.deepEqual(
    [fifo, standard, fifoWithoutGroup, fifoWithDelay, standardWithDedup].map((config) => config.queue_type),
    ["fifo", "standard", "fifo", "fifo", "standard"],
  );
});
