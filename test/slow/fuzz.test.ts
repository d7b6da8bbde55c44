// Seeded fuzzing of stdin: random mutations of valid input never crash the connector, never make
// it print anything but Airbyte messages, and every failure is a TRACE error.
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { validateConfig } from "../../src/config/load.js";
import { UserFacingError } from "../../src/errors.js";
import { loadCatalog } from "../../src/protocol/catalog.js";
import { MessageWriter } from "../../src/protocol/output.js";
import { runWrite } from "../../src/commands/write.js";
import { catalogOf, errorTraceOf, recordLine, stateLine } from "../helpers/airbyte.js";
import { writeTempJson } from "../helpers/cli.js";
import { FakeSender } from "../helpers/delivery-fakes.js";
import { ANY_QUEUE_HOST, openDetector } from "../helpers/in-process.js";
import { testSettings } from "../helpers/config.js";
import { startFauxqs, uniqueQueueName, type Emulator, emulatorConfigFile } from "../helpers/emulators.js";
import { startConnector } from "../helpers/live-connector.js";
import { seededRandom } from "../helpers/seeded-random.js";

/** FUZZ_SEED=n reruns with another seed; a failure names the seed and the input that caused it. */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const IN_PROCESS_ITERATIONS = 200;
const CLI_ITERATIONS = 24;
const CLI_TIME_BUDGET_MS = 20_000;
const MESSAGE_TYPES = new Set(["RECORD", "STATE", "LOG", "TRACE", "SPEC", "CONNECTION_STATUS", "CATALOG", "CONTROL"]);

const catalogPath = writeTempJson(
  catalogOf([
    { name: "orders", primaryKey: [["id"]] },
    { name: "users", namespace: "crm" },
  ]),
);

const VALID_INPUT = Buffer.from(
  [
    recordLine("orders", { id: 1, name: "Zoë", total: 12.5, tags: ["a", "b"], nested: { deep: { x: null } } }),
    recordLine("users", { id: "u-1", email: "a@example.com" }, "crm"),
    stateLine({ cursor: 1 }),
    JSON.stringify({
      type: "TRACE",
      trace: { type: "STREAM_STATUS", emitted_at: 1, stream_status: { stream_descriptor: { name: "orders" }, status: "COMPLETE" } },
    }),
    JSON.stringify({ type: "LOG", log: { level: "INFO", message: "hello" } }),
    recordLine("orders", { id: 2, name: "second", total: -1e300 }),
    JSON.stringify({ type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: { name: "orders" }, stream_state: { c: 2 } } } }),
  ].join("\n") + "\n",
);

const FRAGMENTS = [
  "{",
  "}",
  "[",
  "]",
  '"',
  ":",
  ",",
  "\\",
  "\n",
  "\r\n",
  "null",
  "-0",
  "1e999",
  "__proto__",
  "\u0000",
  "\ud800",
  "é",
  "😀",
  '{"type":"RECORD"}',
  '"RECORD"',
  '"STATE"',
  "[".repeat(64),
];

/** One random edit of `input`: bytes flipped, cut, repeated, or fragments and junk inserted. */
function mutate(input: Buffer, random: () => number): Buffer {
  const at = (): number => Math.floor(random() * (input.length + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const [from, to] = [at(), at()].sort((a, b) => a - b) as [number, number];
  switch (Math.floor(random() * 7)) {
    case 0: {
      const flipped = Buffer.from(input);
      if (flipped.length > 0) flipped[Math.min(from, flipped.length - 1)] = Math.floor(random() * 256);
      return flipped;
    }
    case 1:
      return Buffer.concat([input.subarray(0, from), input.subarray(to)]);
    case 2:
      return Buffer.concat([input.subarray(0, to), input.subarray(from, to), input.subarray(to)]);
    case 3:
      return Buffer.concat([input.subarray(0, from), Buffer.from(pick(FRAGMENTS)), input.subarray(from)]);
    case 4:
      return input.subarray(0, from);
    case 5: {
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256)));
      return Buffer.concat([input.subarray(0, from), junk, input.subarray(from)]);
    }
    default: {
      const lines = input.toString("latin1").split("\n");
      const [a, b] = [Math.floor(random() * lines.length), Math.floor(random() * lines.length)];
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return Buffer.from(lines.join("\n"), "latin1");
    }
  }
}

/** 1–3 mutations stacked, so that some inputs stay almost valid and others drift far. */
function fuzzedInputs(seed: number, count: number): Buffer[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    let input: Buffer = VALID_INPUT;
    for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) input = mutate(input, random);
    return input;
  });
}

/** Every line printed is one Airbyte message. */
function assertAirbyteLines(stdout: string, label: string): void {
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    let message: unknown;
    assert.doesNotThrow(() => (message = JSON.parse(line)), `${label}: stdout line is not JSON: ${line.slice(0, 200)}`);
    const type = (message as { type?: unknown } | null)?.type;
    assert.ok(typeof type === "string" && MESSAGE_TYPES.has(type), `${label}: not an Airbyte message: ${line.slice(0, 200)}`);
  }
}

const CONFIGS = [
  { queue: { source: "static", value: "QUEUE" } },
  {
    queue: { source: "static", value: "QUEUE" },
    message_body: { format: "template", template: '{"id": "{{ row.id }}", "name": {{ row.name | json }}}' },
    message_attributes: [{ name: "stream", data_type: "String", value: { source: "template", template: "{{ stream }}" } }],
    rejected_rows: { policy: "skip" },
  },
];

describe("fuzzed input, in process", () => {
  test(`${IN_PROCESS_ITERATIONS} seeded mutations: each run succeeds or fails with a user-facing error; output stays Airbyte messages`, async (t) => {
    let failed = 0;
    const catalog = loadCatalog(catalogPath);
    const inputs = fuzzedInputs(SEED, IN_PROCESS_ITERATIONS);
    for (const [index, input] of inputs.entries()) {
      const settings = JSON.parse(
        JSON.stringify(CONFIGS[index % CONFIGS.length]).replaceAll("QUEUE", "http://127.0.0.1:1/123456789012/orders"),
      ) as Record<string, unknown>;
      const config = validateConfig(testSettings(settings), "the fuzz config");
      let stdout = "";
      const out = new Writable({
        write(chunk: Buffer, _encoding, done) {
          stdout += chunk.toString("utf8");
          done();
        },
      });
      const label = `iteration ${index} (seed ${SEED})`;
      try {
        await runWrite({
          config,
          catalog,
          input: Readable.from([input]),
          writer: new MessageWriter(out),
          sender: new FakeSender(),
          resolveQueue: async (name) => `http://127.0.0.1:1/123456789012/${name}`,
          checkQueueUrl: ANY_QUEUE_HOST,
          detector: await openDetector(config, catalog),
        });
      } catch (error) {
        failed++;
        assert.ok(
          error instanceof UserFacingError,
          `${label} failed with a bug, not a user-facing error: ${String((error as Error)?.stack ?? error)}\ninput: ${JSON.stringify(input.toString("latin1"))}`,
        );
      }
      assertAirbyteLines(stdout, label);
    }
    t.diagnostic(`${IN_PROCESS_ITERATIONS - failed} runs succeeded, ${failed} failed with a user-facing error`);
  });
});

describe("fuzzed input through the CLI (fauxqs)", () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startFauxqs();
  });
  after(async () => {
    await emulator.stop();
  });

  test(`up to ${CLI_ITERATIONS} seeded mutations within ${CLI_TIME_BUDGET_MS / 1000} s: exit 0 or 1, Airbyte messages only, TRACE on failure, no stack trace`, async (t) => {
    const queueName = uniqueQueueName("fuzz");
    await emulator.createQueue(queueName);
    const configs = CONFIGS.map((settings) =>
      emulatorConfigFile(emulator.endpoint, {
        ...(JSON.parse(JSON.stringify(settings).replaceAll("QUEUE", queueName)) as object),
      }),
    );
    const inputs = fuzzedInputs(SEED + 1, CLI_ITERATIONS);
    const deadline = performance.now() + CLI_TIME_BUDGET_MS;
    let next = 0;
    let ran = 0;
    const worker = async (): Promise<void> => {
      while (next < inputs.length && performance.now() < deadline) {
        const index = next++;
        const label = `CLI iteration ${index} (seed ${SEED + 1})`;
        const connector = startConnector(["write", "--config", configs[index % configs.length]!, "--catalog", catalogPath]);
        connector.child.stdin.end(inputs[index]);
        const { code } = await connector.exit(30_000);
        ran++;
        const context = `${label}\ninput: ${JSON.stringify(inputs[index]!.toString("latin1"))}\nstdout: ${connector.stdout().slice(-2000)}\nstderr: ${connector.stderr()}`;
        assert.ok(code === 0 || code === 1, `exit code ${code}: ${context}`);
        assertAirbyteLines(connector.stdout(), label);
        assert.equal(connector.stderr().includes("    at "), false, `stack trace on stderr: ${context}`);
        const error = errorTraceOf(connector.messages);
        assert.equal(code === 1, error !== undefined, `a TRACE error exactly when exit is 1: ${context}`);
        assert.equal(error?.stack_trace, undefined, `the failure was a crash: ${context}`);
      }
    };
    await Promise.all([worker(), worker()]);
    t.diagnostic(`${ran} CLI runs`);
    assert.ok(ran > 0);
  });
});
