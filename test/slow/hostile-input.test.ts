// Hostile and broken input on stdin: each case ends in a clear error naming the line, or in
// correct messages; never a hang, a crash with a stack trace, or corrupted output.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { startFauxqs } from "fauxqs";
import { UserFacingError } from "../../src/errors.js";
import { parseMessage, readLineBatches, type InputLine } from "../../src/protocol/input.js";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "../helpers/airbyte.js";
import { writeTempJson } from "../helpers/cli.js";
import { uniqueQueueName, emulatorConfigFile } from "../helpers/emulators.js";
import { startConnector, type LiveConnector } from "../helpers/live-connector.js";

type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;

const catalog = writeTempJson(catalogOf([{ name: "orders" }]));

async function linesOf(chunks: (Buffer | string)[]): Promise<InputLine[]> {
  const lines: InputLine[] = [];
  for await (const batch of readLineBatches(Readable.from(chunks))) lines.push(...batch);
  return lines;
}

describe("reading stdin: UTF-8 and line endings", () => {
  test("a character split across chunks is decoded whole; CRLF endings are accepted", async () => {
    const bytes = Buffer.from('{"name":"Zoë ✓ 😀"}\r\n{"n":2}\n');
    const chunks = [bytes.subarray(0, 12), bytes.subarray(12, 21), bytes.subarray(21)];
    const lines = await linesOf(chunks);
    assert.deepEqual(
      lines.map((line) => line.text),
      ['{"name":"Zoë ✓ 😀"}', '{"n":2}'],
    );
  });

  test("bytes that are not UTF-8 fail naming their line, even where a chunk ends inside a character", async () => {
    const good = Buffer.from('{"n":1}\n{"n":2}\n');
    const bad = Buffer.concat([Buffer.from('{"s":"a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    for (const chunks of [
      [good, bad],
      [Buffer.concat([good, bad])],
      // A lead byte at the end of one chunk that the next chunk does not continue.
      [Buffer.concat([good, Buffer.from('{"s":"'), Buffer.from([0xe2])]), Buffer.from('x"}\n')],
      // Input that ends inside a character.
      [good, Buffer.from([0xf0, 0x9f])],
    ]) {
      await assert.rejects(linesOf(chunks), (error: unknown) => {
        assert.ok(error instanceof UserFacingError);
        assert.match(error.message, /^Input line 3 is not valid UTF-8/);
        return true;
      });
    }
  });

  test("the lines before a bad one are still read, even when their chunk finishes a character begun in the previous one", async () => {
    const chunks = [
      Buffer.from([...Buffer.from('{"s":"Zo'), 0xc3]),
      Buffer.from([0xab, ...Buffer.from('"}\n{"n":2}\n{"s":"'), 0xff, ...Buffer.from('"}\n')]),
    ];
    const read: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const batch of readLineBatches(Readable.from(chunks))) read.push(...batch.map((line) => line.text));
      })(),
      /^UserFacingError: Input line 3 is not valid UTF-8/,
    );
    assert.deepEqual(read, ['{"s":"Zoë"}', '{"n":2}']);
  });

  test("the last line without a newline is read and marked as unterminated", async () => {
    const lines = await linesOf(['{"n":1}\n{"n":', "2}"]);
    assert.deepEqual(lines, [
      { text: '{"n":1}', lineNumber: 1 },
      { text: '{"n":2}', lineNumber: 2, unterminated: true },
    ]);
  });
});

test("malformed messages are errors naming the line, not crashes", () => {
  for (const text of [
    "null",
    "[]",
    '"RECORD"',
    '{"type":"RECORD","record":{"stream":"orders"}}',
    '{"type":"STATE","state":[]}',
    '{"type":"TRACE"}',
    '{"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":{"status":"COMPLETE"}}}',
  ]) {
    assert.throws(
      () => parseMessage({ text, lineNumber: 7 }),
      (error: unknown) => {
        assert.ok(error instanceof UserFacingError, text);
        assert.match(error.message, /^Input line 7 /);
        return true;
      },
    );
  }
});

describe("hostile input through the CLI (fauxqs)", () => {
  let server: Fauxqs;
  before(async () => {
    server = await startFauxqs({ port: 0, logger: false });
  });
  after(async () => {
    await server.stop();
  });

  async function write(stdin: string | Buffer, settings: Record<string, unknown> = {}) {
    const queueName = uniqueQueueName("hostile");
    server.createQueue(queueName);
    const config = emulatorConfigFile(server.address, {
      queue: { source: "static", value: queueName },
      ...settings,
    });
    const connector = startConnector(["write", "--config", config, "--catalog", catalog]);
    connector.child.stdin.end(stdin);
    const { code } = await connector.exit(60_000);
    const result = { code, messages: connector.messages };
    assertWellFormed(connector, code);
    const stored = (server.inspectQueue(queueName)?.messages.ready ?? []) as { body: string }[];
    return { result, bodies: stored.map((message) => message.body) };
  }

  /** Whatever happened: only Airbyte messages on stdout, no stack trace, exit 0 or 1 with a TRACE when 1. */
  function assertWellFormed(connector: LiveConnector, code: number | null): void {
    assert.deepEqual(connector.nonJsonLines, []);
    assert.equal(connector.stderr().includes("    at "), false, `no stack trace on stderr:\n${connector.stderr()}`);
    assert.ok(code === 0 || code === 1, `exit code ${code}`);
    const error = errorTraceOf(connector.messages);
    assert.equal(code === 1, error !== undefined, "a TRACE error exactly when the sync fails");
    assert.equal(error?.stack_trace, undefined, "input errors carry no stack trace");
  }

  test("a truncated line in the middle fails naming it; the STATE before it is echoed", async () => {
    const truncated = recordLine("orders", { id: 2 }).slice(0, 40);
    const input = [recordLine("orders", { id: 1 }), stateLine({ at: 1 }), truncated, recordLine("orders", { id: 3 }), stateLine({ at: 3 })];
    const { result, bodies } = await write(input.join("\n") + "\n");
    assert.equal(result.code, 1);
    assert.match(errorTraceOf(result.messages)!.message, /^Input line 3 is not valid JSON/);
    assert.deepEqual(
      statesOf(result.messages).map((state) => state.data),
      [{ at: 1 }],
    );
    assert.deepEqual(bodies, ['{"id":1}']);
  });

  test("invalid UTF-8 fails naming the line, rather than sending U+FFFD", async () => {
    const line3 = Buffer.concat([Buffer.from(recordLine("orders", { s: "ab" }).replace("ab", "a")), Buffer.from("\n")]);
    // Put a lone 0xff byte inside the string value: JSON stays well-formed, the encoding does not.
    const position = line3.indexOf('"a"') + 2;
    const broken = Buffer.concat([line3.subarray(0, position), Buffer.from([0xff]), line3.subarray(position)]);
    const head = [recordLine("orders", { id: 1 }), stateLine({ at: 1 })].join("\n") + "\n";
    const { result } = await write(Buffer.concat([Buffer.from(head), broken]));
    assert.equal(result.code, 1);
    assert.match(errorTraceOf(result.messages)!.message, /^Input line 3 is not valid UTF-8/);
    assert.deepEqual(
      statesOf(result.messages).map((state) => state.data),
      [{ at: 1 }],
    );
  });

  test("a 50 MB line is read and its row rejected as too large, naming the row; the next rows still go out with skip", async () => {
    const huge = recordLine("orders", { id: "huge", blob: "x".repeat(50 * 1024 * 1024) });
    const input = [recordLine("orders", { id: 1 }), huge, recordLine("orders", { id: 2 }), stateLine({ at: "end" })].join("\n") + "\n";
    const failing = await write(input);
    assert.equal(failing.result.code, 1);
    assert.match(errorTraceOf(failing.result.messages)!.message, /larger than|too large|max_message_bytes/i);

    const skipping = await write(input, { rejected_rows: { policy: "skip" } });
    assert.equal(skipping.result.code, 0);
    assert.deepEqual(skipping.bodies.sort(), ['{"id":1}', '{"id":2}']);
    assert.equal(statesOf(skipping.result.messages)[0]?.destinationStats?.rejectedRecordCount, 1);
  });

  test("data nested 100,000 levels deep fails naming the line, with no stack trace", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const line2 = `{"type":"RECORD","record":{"stream":"orders","data":{"deep":${deep}},"emitted_at":1}}`;
    const { result } = await write([recordLine("orders", { id: 1 }), stateLine({ at: 1 }), line2].join("\n") + "\n");
    assert.equal(result.code, 1);
    assert.match(errorTraceOf(result.messages)!.message, /^Input line 3 holds data nested too deeply/);
    assert.deepEqual(
      statesOf(result.messages).map((state) => state.data),
      [{ at: 1 }],
    );
  });

  test("integers beyond 2^53 arrive as the nearest double (documented), not as an error", async () => {
    const line = `{"type":"RECORD","record":{"stream":"orders","data":{"id":12345678901234567891,"safe":9007199254740991},"emitted_at":1}}`;
    const { result, bodies } = await write(line + "\n");
    assert.equal(result.code, 0);
    assert.deepEqual(bodies, ['{"id":12345678901234567000,"safe":9007199254740991}']);
  });

  test("__proto__ keys arrive as data and pollute nothing", async () => {
    const polluting = `{"type":"RECORD","record":{"stream":"orders","data":{"__proto__":{"polluted":"yes"},"id":1},"emitted_at":1}}`;
    const template = '{"id": {{ row.id }}, "polluted": {{ row.polluted | json }}}';
    const asRecord = await write([polluting, recordLine("orders", { id: 2 })].join("\n") + "\n");
    assert.equal(asRecord.result.code, 0);
    assert.deepEqual(asRecord.bodies, ['{"__proto__":{"polluted":"yes"},"id":1}', '{"id":2}']);

    const templated = await write([polluting, recordLine("orders", { id: 2 })].join("\n") + "\n", {
      message_body: { format: "template", template },
    });
    assert.equal(templated.result.code, 0);
    for (const body of templated.bodies) assert.equal((JSON.parse(body) as { polluted?: unknown }).polluted ?? null, null);
  });

  test("empty stdin is a successful sync with nothing sent", async () => {
    const { result, bodies } = await write("");
    assert.equal(result.code, 0);
    assert.deepEqual(statesOf(result.messages), []);
    assert.deepEqual(bodies, []);
  });

  test("stdin closed after a complete last line without newline: the line is processed and its STATE echoed", async () => {
    const { result, bodies } = await write([recordLine("orders", { id: 1 }), stateLine({ at: "last" })].join("\n"));
    assert.equal(result.code, 0);
    assert.deepEqual(bodies, ['{"id":1}']);
    assert.deepEqual(
      statesOf(result.messages).map((state) => state.data),
      [{ at: "last" }],
    );
  });

  test("stdin closed in the middle of a line: a clear error saying the input was cut off", async () => {
    const input = [recordLine("orders", { id: 1 }), stateLine({ at: 1 }), recordLine("orders", { id: 2 }).slice(0, 30)].join("\n");
    const { result } = await write(input);
    assert.equal(result.code, 1);
    assert.match(errorTraceOf(result.messages)!.message, /^Input line 3 is not valid JSON .*ended in the middle of this line/);
    assert.deepEqual(
      statesOf(result.messages).map((state) => state.data),
      [{ at: 1 }],
    );
  });
});
