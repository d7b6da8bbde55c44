// The connector fed as the Airbyte platform feeds it (see helpers/platform.ts), and its output
// checked as the platform checks it: each echoed STATE byte for byte, each count against the
// source's (StateCheckSumCountEventHandler), every stdout line against the protocol schema. The echo's
// bytes are checked on the built CLI's stdout; the counting cases run the same write in process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli, writeTempJson } from "./helpers/cli.js";
import { emulatorConfig, emulatorConfigFile, uniqueQueueName, withFauxqs } from "./helpers/emulators.js";
import { writeInProcess } from "./helpers/in-process.js";
import {
  clearCatalog,
  clearSequence,
  expectedEcho,
  globalStateLine,
  platformCatalog,
  platformRecord,
  stateLinesOf,
  streamStateLine,
  streamStatusLine,
  type PlatformStream,
} from "./helpers/platform.js";

withFauxqs("platform-shaped syncs", (context) => {
  /**
   * Runs a sync fed `lines` (the built CLI, or the same write in process) and reads what it
   * published; the sync must succeed.
   */
  async function write(
    streams: PlatformStream[] | ReturnType<typeof platformCatalog>,
    lines: string[],
    settings: Record<string, unknown> = {},
    run: "cli" | "in process" = "in process",
  ): Promise<{ stdout: string; bodies: string[] }> {
    const { emulator } = context;
    const queueName = uniqueQueueName("platform");
    const queueUrl = await emulator.createQueue(queueName);
    const catalog = writeTempJson(Array.isArray(streams) ? platformCatalog(streams) : streams);
    const configSettings = { queue: { source: "static", value: queueName }, ...settings };
    const input = lines.join("\n") + "\n";
    let stdout: string;
    if (run === "cli") {
      const result = await runCli(["write", "--config", emulatorConfigFile(emulator.endpoint, configSettings), "--catalog", catalog], {
        stdin: input,
      });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      stdout = result.stdout;
    } else {
      stdout = (await writeInProcess(emulatorConfig(emulator, configSettings), catalog, input)).stdout;
    }
    const received = await emulator.receiveAll(queueUrl);
    return { stdout, bodies: received.map((message) => message.body) };
  }

  test("interleaved streams with STREAM states: each echoed byte for byte with that stream's counts, which add up to the source's", async () => {
    const orders: PlatformStream = { name: "orders", namespace: "shop" };
    const users: PlatformStream = { name: "users", namespace: "shop" };
    const ordersState1 = streamStateLine(orders, { cursor: "2024-01-02", n: 1.5 }, 2, 1);
    const usersState = streamStateLine(users, { cursor: "latest" }, 3, 2);
    const ordersState2 = streamStateLine(orders, { cursor: "2024-01-03" }, 1, 3);
    const lines = [
      platformRecord(orders, { id: 1 }),
      platformRecord(users, { id: 1 }),
      platformRecord(users, {}),
      platformRecord(orders, { id: 2 }),
      ordersState1,
      // Rejected: message_id comes from column "id", which this record lacks.
      platformRecord(users, { name: "no id" }),
      platformRecord(orders, { id: 3 }),
      usersState,
      ordersState2,
    ];
    const { stdout, bodies } = await write(
      [orders, users],
      lines,
      {
        message_id: { source: "column", column: "id" },
        rejected_rows: { policy: "skip" },
      },
      "cli",
    );
    // users' {} record has no id either: both users records without one are rejected.
    assert.deepEqual(stateLinesOf(stdout), [
      expectedEcho(ordersState1, { recordCount: 2 }),
      expectedEcho(usersState, { recordCount: 1, rejectedRecordCount: 2 }),
      expectedEcho(ordersState2, { recordCount: 1 }),
    ]);
    assert.equal(bodies.length, 4);
  });

  test("the echo keeps the STATE's own key order, number formatting and escapes", async () => {
    const stream: PlatformStream = { name: "events" };
    const raw =
      '{"state":{"id":42,"sourceStats":{"recordCount":1.0},"type":"STREAM","stream":{"stream_state":{"big":12345678901234567890,"e":1e2,"s":"caf\\u00e9 \\/ \\"q\\""},"stream_descriptor":{"name":"events"}}},"type":"STATE"}';
    const { stdout } = await write([stream], [platformRecord(stream, { id: 1 }), raw], {}, "cli");
    const echoed = stdout.split("\n").filter((line) => line.includes('"type":"STATE"'));
    assert.deepEqual(echoed, [
      '{"state":{"id":42,"sourceStats":{"recordCount":1.0},"type":"STREAM","stream":{"stream_state":{"big":12345678901234567890,"e":1e2,"s":"caf\\u00e9 \\/ \\"q\\""},"stream_descriptor":{"name":"events"}},"destinationStats":{"recordCount":1}},"type":"STATE"}',
    ]);
  });

  test("GLOBAL states count the records of every stream since the previous STATE", async () => {
    const a: PlatformStream = { name: "a", namespace: "public" };
    const b: PlatformStream = { name: "b", namespace: "public" };
    const first = globalStateLine({ lsn: 10 }, [a, b], 3, 1);
    const second = globalStateLine({ lsn: 20 }, [a, b], 1, 2);
    const lines = [
      platformRecord(a, { id: 1 }),
      platformRecord(b, { id: 1 }),
      platformRecord(a, { id: 2 }),
      first,
      platformRecord(b, { id: 2 }),
      second,
    ];
    const { stdout, bodies } = await write([a, b], lines);
    assert.deepEqual(stateLinesOf(stdout), [expectedEcho(first, { recordCount: 3 }), expectedEcho(second, { recordCount: 1 })]);
    assert.equal(bodies.length, 4);
  });

  test("25 streams in one sync, with {} records and statuses: every STATE carries its own stream's count", async () => {
    const streams: PlatformStream[] = Array.from({ length: 25 }, (_, index) => ({ name: `stream_${index}`, namespace: "wide" }));
    const lines: string[] = [];
    const expected: string[] = [];
    for (const stream of streams) lines.push(streamStatusLine(stream, "STARTED"));
    for (let round = 0; round < 2; round++) {
      streams.forEach((stream, index) => {
        const count = (index % 3) + round;
        for (let n = 0; n < count; n++) lines.push(platformRecord(stream, n === 0 ? {} : { id: n, round }));
      });
      streams.forEach((stream, index) => {
        const count = (index % 3) + round;
        const state = streamStateLine(stream, { round }, count, round * 100 + index);
        lines.push(state);
        expected.push(expectedEcho(state, { recordCount: count }));
      });
    }
    for (const stream of streams) lines.push(streamStatusLine(stream, "COMPLETE"));
    const { stdout, bodies } = await write(streams, lines);
    assert.deepEqual(stateLinesOf(stdout), expected);
    assert.equal(
      bodies.length,
      streams.reduce((sum, _, index) => sum + 2 * (index % 3) + 1, 0),
    );
    assert.ok(bodies.includes("{}"), "a {} record is published as {}");
  });

  test("templates read sync_id, generation_id and the record's meta (meta.changes)", async () => {
    const stream: PlatformStream = { name: "people" };
    const catalog = platformCatalog([stream], { syncId: 7001, generationId: 3, minimumGenerationId: 0 });
    const meta = { changes: [{ field: "ssn", change: "NULLED", reason: "DESTINATION_FIELD_SIZE_LIMITATION" }] };
    const state = streamStateLine(stream, { cursor: 2 }, 2, 1);
    const { stdout, bodies } = await write(
      catalog,
      [platformRecord(stream, { id: 1, ssn: null }, meta), platformRecord(stream, { id: 2 }), state],
      {
        message_body: {
          format: "template",
          template: '{"id": {{ row.id }}, "sync": {{ sync_id }}, "generation": {{ generation_id }}, "changes": {{ meta.changes | json }}}',
        },
        message_attributes: [{ name: "generation", data_type: "Number", value: { source: "template", template: "{{ generation_id }}" } }],
      },
    );
    assert.deepEqual(stateLinesOf(stdout), [expectedEcho(state, { recordCount: 2 })]);
    assert.deepEqual(
      bodies.map((body) => JSON.parse(body) as unknown).sort((x, y) => (x as { id: number }).id - (y as { id: number }).id),
      [
        { id: 1, sync: 7001, generation: 3, changes: meta.changes },
        { id: 2, sync: 7001, generation: 3, changes: null },
      ],
    );
  });

  test("a Clear (STARTED, a null STREAM state, COMPLETE per stream; full_refresh + overwrite): each STATE echoed byte for byte with a zero count, nothing published", async () => {
    const streams: PlatformStream[] = [{ name: "orders", namespace: "shop" }, { name: "users" }];
    const lines = clearSequence(streams);
    const { stdout, bodies } = await write(clearCatalog(streams), lines);
    const states = lines.filter((line) => line.startsWith('{"type":"STATE"'));
    assert.equal(states.length, 2);
    assert.deepEqual(
      stateLinesOf(stdout),
      states.map((state) => expectedEcho(state, { recordCount: 0 })),
    );
    assert.deepEqual(bodies, []);
  });

  test("a STATE whose stream_state is a literal null is echoed with that null, not rewritten", async () => {
    const stream: PlatformStream = { name: "orders" };
    const state = '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"orders"},"stream_state":null},"id":9}}';
    const { stdout } = await write(
      clearCatalog([stream]),
      [streamStatusLine(stream, "STARTED"), state, streamStatusLine(stream, "COMPLETE")],
      {},
      "cli",
    );
    assert.deepEqual(stateLinesOf(stdout), [expectedEcho(state, { recordCount: 0 })]);
  });

  test("the same stream name in two namespaces, and names whose dotted forms collide, stay four streams", async () => {
    const streams: PlatformStream[] = [
      { name: "b.c", namespace: "a" },
      { name: "c", namespace: "a.b" },
      { name: "users", namespace: "eu" },
      { name: "users", namespace: "us" },
    ];
    const lines: string[] = [];
    const expected: string[] = [];
    streams.forEach((stream, index) => {
      for (let n = 0; n <= index; n++) lines.push(platformRecord(stream, { id: n }));
    });
    streams.forEach((stream, index) => {
      const state = streamStateLine(stream, { done: true }, index + 1, index + 1);
      lines.push(state);
      expected.push(expectedEcho(state, { recordCount: index + 1 }));
    });
    const { stdout, bodies } = await write(streams, lines, {
      message_body: { format: "template", template: '{"namespace": "{{ namespace }}", "stream": "{{ stream }}", "id": {{ row.id }}}' },
    });
    assert.deepEqual(stateLinesOf(stdout), expected);
    const perStream = new Map<string, number>();
    for (const body of bodies) {
      const { namespace, stream } = JSON.parse(body) as { namespace: string; stream: string };
      perStream.set(`${namespace}|${stream}`, (perStream.get(`${namespace}|${stream}`) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries([...perStream].sort()), { "a.b|c": 2, "a|b.c": 1, "eu|users": 3, "us|users": 4 });
  });
});
