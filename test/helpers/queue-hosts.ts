// The write runs of the queue-host tests: a configured queue URL naming a host that is not SQS's is
// refused at start, and a queue URL as fauxqs hands it out receives the rows.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { catalogOf, errorTraceOf, recordLine, stateLine, statesOf } from "./airbyte.js";
import { runCli, writeTempJson } from "./cli.js";
import { testSettings } from "./config.js";
import { emulatorConfigFile, startFauxqs, type Emulator } from "./emulators.js";
import { startCaptures, type CapturingEndpoint } from "./fake-endpoints.js";

const catalog = writeTempJson(catalogOf([{ name: "orders" }]));

/** Within a suite: fauxqs (its defaults) and an endpoint that captures what reaches it, started before the tests and stopped after. */
export function fauxqsAndAttacker(): { fauxqs: Emulator; attacker: CapturingEndpoint } {
  const running = {} as { fauxqs: Emulator; attacker: CapturingEndpoint };
  before(async () => {
    running.fauxqs = await startFauxqs();
    running.attacker = await startCaptures();
  });
  after(async () => {
    await running.attacker.stop();
    await running.fauxqs.stop();
  });
  return running;
}

/** Without an endpoint, write fails at start with a config error for settings naming `attacker`'s host, which sees nothing. */
export async function assertWriteRefusesForeignQueue(
  attacker: CapturingEndpoint,
  settingsFor: (foreign: string) => Record<string, unknown>,
): Promise<void> {
  const config = writeTempJson(testSettings(settingsFor(`${attacker.endpoint}/000000000000/orders`)));
  // The first line is not a message: a write that read it would fail naming line 1.
  const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: "not a message\n", timeoutMs: 60_000 });
  assert.equal(result.code, 1, result.stdout);
  const error = errorTraceOf(result.messages);
  assert.equal(error?.failure_type, "config_error", result.stdout);
  assert.match(
    error?.message ?? "",
    /^(queue|rejected_rows\.queue_url) "http:\/\/127\.0\.0\.1:\d+\/000000000000\/orders" names the host 127\.0\.0\.1, not an SQS host of region us-east-1/,
  );
  assert.equal(attacker.requests.length, 0);
}

/** A write to fauxqs with `queue` publishes `rows`, which arrive at `queueUrl`. */
export async function assertWriteReaches(
  fauxqs: Emulator,
  queueUrl: string,
  queue: Record<string, unknown>,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const config = emulatorConfigFile(fauxqs.endpoint, { queue });
  const input = [...rows.map((row) => recordLine("orders", row)), stateLine({ n: 1 })].join("\n");
  const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: `${input}\n`, timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stdout);
  assert.equal(statesOf(result.messages).length, 1, result.stdout);
  const received = await fauxqs.receiveAll(queueUrl, { expected: rows.length });
  assert.deepEqual(
    received.map((message) => JSON.parse(message.body).id).sort(),
    rows.map((row) => row.id),
  );
}
