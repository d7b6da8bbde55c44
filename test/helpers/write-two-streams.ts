// Writes through the built CLI, checked end to end: two interleaved streams, where every record lands
// exactly once and each STATE comes back after its records, with its record count; and many FIFO
// message groups, each of which arrives in order.
import assert from "node:assert/strict";
import { catalogOf, recordLine, stateLine, statesOf } from "./airbyte.js";
import { runCli, writeTempJson } from "./cli.js";
import { emulatorConfigFile, type Emulator, uniqueQueueName } from "./emulators.js";

const RECORDS_PER_STATE = 97;

export const TWO_STREAMS_CATALOG = writeTempJson(
  catalogOf([
    { name: "orders", primaryKey: [["id"]] },
    { name: "users", namespace: "crm" },
  ]),
);

/** Writes `perStream` records of each stream, a STATE after every 97 pairs and one at the end, and checks the queue. */
export async function assertTwoStreamsLandOnce(emulator: Emulator, perStream: number): Promise<void> {
  const queueName = uniqueQueueName("write-all");
  const queueUrl = await emulator.createQueue(queueName);
  const lines: string[] = [];
  const expectedCounts: number[] = [];
  let sinceState = 0;
  for (let i = 0; i < perStream; i++) {
    lines.push(recordLine("orders", { id: i, total: i * 1.5, note: `order ${i}` }));
    lines.push(recordLine("users", { id: i, name: `user ${i}` }, "crm"));
    sinceState += 2;
    if (i % RECORDS_PER_STATE === RECORDS_PER_STATE - 1) {
      lines.push(stateLine({ position: i }));
      expectedCounts.push(sinceState);
      sinceState = 0;
    }
  }
  lines.push(stateLine({ position: "end" }));
  expectedCounts.push(sinceState);

  const config = emulatorConfigFile(emulator.endpoint, { queue: { source: "static", value: queueName } });
  const result = await runCli(["write", "--config", config, "--catalog", TWO_STREAMS_CATALOG], { stdin: lines.join("\n") + "\n" });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.deepEqual(result.nonJsonLines, []);
  const states = statesOf(result.messages);
  assert.deepEqual(
    states.map((state) => (state.data as { position: unknown }).position),
    [...Array.from({ length: expectedCounts.length - 1 }, (_, k) => k * RECORDS_PER_STATE + RECORDS_PER_STATE - 1), "end"],
  );
  assert.deepEqual(
    states.map((state) => state.destinationStats?.recordCount),
    expectedCounts,
  );

  const received = await emulator.receiveAll(queueUrl, { expected: perStream * 2, maxPolls: perStream });
  const bodies = received.map((message) => message.body);
  assert.equal(new Set(bodies).size, bodies.length, "no record was delivered twice");
  assert.equal(bodies.length, perStream * 2);
  assert.ok(bodies.includes(JSON.stringify({ id: 7, total: 10.5, note: "order 7" })));
  assert.ok(bodies.includes(JSON.stringify({ id: 7, name: "user 7" })));
}

/** Writes `perGroup` records of each of `groups` FIFO message groups, interleaved, and checks each group arrives in order. */
export async function assertFifoGroupsKeepOrder(emulator: Emulator, groups: number, perGroup: number): Promise<void> {
  const queueName = uniqueQueueName("write-fifo", true);
  const queueUrl = await emulator.createQueue(queueName);
  const lines: string[] = [];
  for (let seq = 0; seq < perGroup; seq++) {
    for (let group = 0; group < groups; group++) lines.push(recordLine("orders", { id: `${group}-${seq}`, group, seq }));
  }
  lines.push(stateLine({ done: true }));
  const config = emulatorConfigFile(emulator.endpoint, {
    queue: { source: "static", value: queueName },
    queue_type: "fifo",
    message_group_id: { source: "column", column: "group" },
    max_in_flight: 8,
  });
  const result = await runCli(["write", "--config", config, "--catalog", TWO_STREAMS_CATALOG], { stdin: lines.join("\n") + "\n" });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(statesOf(result.messages).length, 1);

  const received = await emulator.receiveAll(queueUrl, { expected: groups * perGroup, maxPolls: groups * perGroup });
  assert.equal(received.length, groups * perGroup);
  // A FIFO queue hands out each group's messages in the order it stored them.
  const byGroup = new Map<string, number[]>();
  for (const message of received) {
    const { seq } = JSON.parse(message.body) as { seq: number };
    byGroup.set(message.groupId!, [...(byGroup.get(message.groupId!) ?? []), seq]);
  }
  assert.equal(byGroup.size, groups);
  for (const [group, seqs] of byGroup) {
    assert.deepEqual(
      seqs,
      Array.from({ length: perGroup }, (_, i) => i),
      `group ${group} arrived out of order`,
    );
  }
}
