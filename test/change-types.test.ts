// Change detection and the events filter through the write pipeline, in process, against an emulator:
// the change each row is given (visible in the body via {{ change }}), rows the filter skips, and STATEs that still advance.
import assert from "node:assert/strict";
import { test } from "node:test";
import { recordLine, stateLine } from "./helpers/airbyte.js";
import { rejectionWarnings, rowsThenState, STREAM, syncInProcess } from "./helpers/compose-e2e.js";
import { forEachEmulator, uniqueQueueName, type Emulator, type ReceivedMessage } from "./helpers/emulators.js";

/** Every message says which row it is and which change it was published as. */
const CHANGE_BODY = { format: "template", template: '{"id": {{ row.id | json }}, "change": "{{ change }}"}' };

/** Runs a sync with `settings` and reads back the `expected` messages it published (and any extra). */
async function changeSync(emulator: Emulator, settings: Record<string, unknown>, lines: string[], expected: number) {
  const name = uniqueQueueName("changes");
  const url = await emulator.createQueue(name);
  const result = await syncInProcess(
    emulator,
    {
      queue: { source: "static", value: name },
      message_id: { source: "column", column: "id" },
      message_body: CHANGE_BODY,
      rejected_rows: { policy: "skip" },
      ...settings,
    },
    lines,
  );
  const received = await emulator.receiveAll(url, { expected, maxPolls: 20 });
  received.push(...(await emulator.receiveAll(url)));
  return { result, received: changesById(received) };
}

/** `{ id: change }` of the received messages. */
function changesById(received: ReceivedMessage[]): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const message of received) {
    const body = JSON.parse(message.body) as { id: string; change: string };
    changes[body.id] = body.change;
  }
  return changes;
}

forEachEmulator("change types", (context) => {
  test("mode none: every row is added; an events filter without added publishes nothing and STATE still advances", async () => {
    const { emulator } = context;
    const rows = [{ id: "a" }, { id: "b" }];
    const all = await changeSync(emulator, { change_detection: { mode: "none" } }, rowsThenState(rows), 2);
    assert.deepEqual(all.received, { a: "added", b: "added" });

    const none = await changeSync(emulator, { change_detection: { mode: "none" }, events: ["changed", "removed"] }, rowsThenState(rows), 0);
    assert.deepEqual(none.received, {});
    assert.deepEqual(
      none.result.states.map((state) => [state.data, state.destinationStats]),
      [[{ done: true }, { recordCount: 2 }]],
    );
  });

  test("mode field with the default spellings, matched case-insensitively; an unknown or missing value rejects the row", async () => {
    const { emulator } = context;
    const values: Record<string, unknown> = {
      insert: "insert",
      create: "Create",
      c: "C",
      i: "i",
      added: "ADDED",
      update: "Update",
      u: " u ",
      changed: "changed",
      delete: "DELETE",
      d: "d",
      removed: "Removed",
      upsert: "upsert",
      "null-value": null,
    };
    const rows = [...Object.entries(values).map(([id, type]) => ({ id, _change_type: type })), { id: "missing" }];
    const { result, received } = await changeSync(
      emulator,
      { change_detection: { mode: "field", field: "_change_type" } },
      rowsThenState(rows),
      11,
    );
    assert.deepEqual(received, {
      insert: "added",
      create: "added",
      c: "added",
      i: "added",
      added: "added",
      update: "changed",
      u: "changed",
      changed: "changed",
      delete: "removed",
      d: "removed",
      removed: "removed",
    });
    const rejected = new Map(rejectionWarnings(result).map((row) => [row.messageId, row.reason]));
    assert.deepEqual([...rejected.keys()].sort(), ["missing", "null-value", "upsert"]);
    assert.match(
      rejected.get("upsert")!,
      /The change field "_change_type" holds "upsert", which is not an accepted value; accepted values \(case-insensitive\) are added: "added", "insert", "create", "c", "i"; changed: "changed", "update", "u"; removed: "removed", "delete", "d"\./,
    );
    assert.match(rejected.get("upsert")!, /^Row with message id "upsert" \(input line 12\) was rejected: The change field/);
    assert.match(rejected.get("missing")!, /The change field "_change_type" is missing/);
    assert.match(rejected.get("null-value")!, /The change field "_change_type" is null/);
    assert.deepEqual(result.states[0]?.destinationStats, { recordCount: rows.length - 3, rejectedRecordCount: 3 });
  });

  test("mode field with custom value lists on a nested field and an events filter: skipped rows still let each STATE through", async () => {
    const { emulator } = context;
    const row = (id: string, op: string) => recordLine(STREAM, { id, meta: { op } });
    const input = [
      row("new", "NEW"),
      row("created", "created"),
      stateLine({ at: 1 }),
      row("modified", "Mod"),
      stateLine({ at: 2 }),
      row("gone", "gone"),
      // "insert" is a default spelling, but custom lists replace the defaults.
      row("insert", "insert"),
      stateLine({ at: 3 }),
    ];
    const { result, received } = await changeSync(
      emulator,
      {
        change_detection: {
          mode: "field",
          field: "meta.op",
          added_values: ["NEW", "Created"],
          changed_values: ["MOD"],
          removed_values: ["GONE"],
        },
        events: ["added", "removed"],
      },
      input,
      3,
    );
    assert.deepEqual(received, { new: "added", created: "added", gone: "removed" });
    assert.deepEqual(
      result.states.map((state) => [state.data, state.destinationStats]),
      [
        [{ at: 1 }, { recordCount: 2 }],
        [{ at: 2 }, { recordCount: 1 }],
        [{ at: 3 }, { recordCount: 1, rejectedRecordCount: 1 }],
      ],
    );
    const [rejected] = rejectionWarnings(result);
    assert.equal(rejected?.messageId, "insert");
    assert.match(
      rejected.reason,
      /"meta\.op" holds "insert", which is not an accepted value; accepted values \(case-insensitive\) are added: "NEW", "Created"; changed: "MOD"; removed: "GONE"/,
    );
  });

  test("mode cdc: _ab_cdc_deleted_at set means removed, otherwise changed; filtered to removed, the rest are skipped and STATEs advance", async () => {
    const { emulator } = context;
    const rows = [
      { id: "updated", _ab_cdc_updated_at: "2024-01-01T00:00:00Z", _ab_cdc_deleted_at: null },
      { id: "inserted", _ab_cdc_updated_at: "2024-01-01T00:00:00Z" },
      { id: "deleted", _ab_cdc_updated_at: "2024-01-02T00:00:00Z", _ab_cdc_deleted_at: "2024-01-02T00:00:00Z" },
    ];
    const all = await changeSync(emulator, { change_detection: { mode: "cdc" } }, rowsThenState(rows), 3);
    assert.deepEqual(all.received, { updated: "changed", inserted: "changed", deleted: "removed" });

    const input = [
      recordLine(STREAM, rows[0]!),
      stateLine({ at: 1 }),
      recordLine(STREAM, rows[1]!),
      recordLine(STREAM, rows[2]!),
      stateLine({ at: 2 }),
    ];
    const removedOnly = await changeSync(emulator, { change_detection: { mode: "cdc" }, events: ["removed"] }, input, 1);
    assert.deepEqual(removedOnly.received, { deleted: "removed" });
    assert.deepEqual(
      removedOnly.result.states.map((state) => [state.data, state.destinationStats]),
      [
        [{ at: 1 }, { recordCount: 1 }],
        [{ at: 2 }, { recordCount: 2 }],
      ],
    );
  });
});
