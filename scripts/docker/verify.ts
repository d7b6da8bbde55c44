// Assertions for scripts/docker-test.sh over a container's captured stdout and the emulator's queue.
// Each command prints what it found and exits 1, saying what was wrong, when the check fails.
//
//   spec     STDOUT_FILE
//   status   STDOUT_FILE SUCCEEDED|FAILED
//   complete STDOUT_FILE ENDPOINT QUEUE RECORDS STATES   every record in the queue once, every STATE echoed
//   partial  STDOUT_FILE ENDPOINT QUEUE                  no echoed STATE claims records the queue lacks,
//                                                        and a TRACE error says why the sync stopped
//   echo     STDOUT_FILE INPUT_FILE                      every input STATE echoed in order, byte for byte plus
//                                                        destinationStats, whose counts add up to its sourceStats
//   rejected STDOUT_FILE RECORDS                         the STATEs count RECORDS rejected rows and none published
//   catalog  STDOUT_FILE QUEUE...                         one DESTINATION_CATALOG that offers to append to each QUEUE
import { readFileSync } from "node:fs";

interface Message {
  type: string;
  /** The line as printed. */
  line: string;
  spec?: { connectionSpecification?: { properties?: Record<string, unknown> } };
  connectionStatus?: { status: string; message?: string };
  state?: { destinationStats?: { recordCount?: unknown; rejectedRecordCount?: unknown }; sourceStats?: { recordCount?: unknown } };
  trace?: { type: string; error?: { message: string } };
  destination_catalog?: { operations?: { object_name?: string; sync_mode?: string }[] };
}

class CheckFailed extends Error {}

function fail(what: string): never {
  throw new CheckFailed(what);
}

/** Every stdout line must be a protocol message: Airbyte reads nothing else from a connector. */
function readMessages(file: string): Message[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      try {
        return { ...(JSON.parse(line) as Omit<Message, "line">), line };
      } catch {
        return fail(`${file} line ${index + 1} is not JSON: ${line.slice(0, 200)}`);
      }
    });
}

function only(messages: Message[], type: string, file: string): Message {
  const found = messages.filter((m) => m.type === type);
  if (found.length !== 1) fail(`${file}: expected one ${type} message, found ${found.length}`);
  return found[0]!;
}

/** The sum of destinationStats.recordCount over the echoed STATEs: the records the connector vouches for. */
function statedRecords(messages: Message[], file: string): { states: number; records: number } {
  const states = messages.filter((m) => m.type === "STATE");
  const records = states.reduce((sum, m, index) => {
    const count = m.state?.destinationStats?.recordCount;
    if (typeof count !== "number") fail(`${file}: STATE #${index + 1} has no destinationStats.recordCount`);
    return sum + count;
  }, 0);
  return { states: states.length, records };
}

/** Message bodies in the queue (ready, delayed and in flight), by the record id each carries. */
async function queuedIds(endpoint: string, queue: string): Promise<Map<unknown, number>> {
  const response = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(queue)}`);
  if (!response.ok) fail(`emulator: queue ${queue} answered HTTP ${response.status}`);
  const inspected = (await response.json()) as {
    messages: { ready: { body: string }[]; delayed: { body: string }[]; inflight: { message: { body: string } }[] };
  };
  const bodies = [
    ...inspected.messages.ready,
    ...inspected.messages.delayed,
    ...inspected.messages.inflight.map((entry) => entry.message),
  ].map((message) => JSON.parse(message.body) as { id?: unknown });
  const ids = new Map<unknown, number>();
  for (const body of bodies) ids.set(body.id, (ids.get(body.id) ?? 0) + 1);
  return ids;
}

function total(ids: Map<unknown, number>): number {
  return [...ids.values()].reduce((sum, n) => sum + n, 0);
}

async function run([command, file, ...rest]: string[]): Promise<string> {
  if (!command || !file) fail("usage: verify.ts spec|status|complete|partial|echo|rejected|catalog STDOUT_FILE ...");
  const messages = readMessages(file);
  switch (command) {
    case "spec": {
      const properties = only(messages, "SPEC", file).spec?.connectionSpecification?.properties;
      if (!properties) fail(`${file}: SPEC has no connectionSpecification.properties`);
      return `one SPEC message, ${Object.keys(properties).length} top-level properties`;
    }
    case "status": {
      const status = only(messages, "CONNECTION_STATUS", file).connectionStatus;
      if (!status || status.status !== rest[0]) fail(`${file}: expected CONNECTION_STATUS ${rest[0]}, got ${JSON.stringify(status)}`);
      return `CONNECTION_STATUS ${status.status}${status.message ? `: ${status.message}` : ""}`;
    }
    case "complete": {
      const [endpoint, queue, expectedRecords, expectedStates] = rest;
      const ids = await queuedIds(endpoint!, queue!);
      const duplicates = [...ids].filter(([, n]) => n > 1).map(([id]) => id);
      if (duplicates.length > 0)
        fail(`queue ${queue}: ${duplicates.length} records arrived more than once, e.g. id ${String(duplicates[0])}`);
      if (ids.size !== Number(expectedRecords)) fail(`queue ${queue}: ${ids.size} distinct records, expected ${expectedRecords}`);
      const stated = statedRecords(messages, file);
      if (stated.states !== Number(expectedStates)) fail(`${file}: ${stated.states} STATE messages echoed, expected ${expectedStates}`);
      if (stated.records !== Number(expectedRecords)) fail(`${file}: STATEs report ${stated.records} records, expected ${expectedRecords}`);
      return `${ids.size} records in ${queue}, each once; ${stated.states} STATEs echoed, recordCount sum ${stated.records}`;
    }
    case "partial": {
      const [endpoint, queue] = rest;
      const delivered = total(await queuedIds(endpoint!, queue!));
      const stated = statedRecords(messages, file);
      if (stated.states === 0) fail(`${file}: no STATE was echoed before the stop, so the write was not mid-way`);
      if (delivered < stated.records) fail(`${file}: STATEs vouch for ${stated.records} records but only ${delivered} reached ${queue}`);
      console.log(`  ok: ${stated.states} STATEs vouch for ${stated.records} records; ${delivered} reached ${queue}`);
      const lastState = messages.map((m) => m.type).lastIndexOf("STATE");
      const error = messages.slice(lastState + 1).find((m) => m.type === "TRACE" && m.trace?.type === "ERROR");
      if (!error) fail(`${file}: no TRACE error after the last STATE, so Airbyte is not told why the sync stopped`);
      return `then a TRACE error: ${error.trace?.error?.message}`;
    }
    case "echo": {
      const inputStates = readMessages(rest[0]!).filter((m) => m.type === "STATE");
      const echoed = messages.filter((m) => m.type === "STATE");
      if (echoed.length !== inputStates.length) fail(`${file}: ${echoed.length} STATEs echoed, ${inputStates.length} sent`);
      inputStates.forEach((input, index) => {
        const output = echoed[index]!;
        const stats = output.state?.destinationStats;
        const expected = `${input.line.slice(0, -2)},"destinationStats":${JSON.stringify(stats)}}}`;
        if (output.line !== expected)
          fail(
            `${file}: STATE #${index + 1} is not the input STATE plus destinationStats:\n  sent   ${input.line}\n  echoed ${output.line}`,
          );
        const counted = Number(stats?.recordCount) + Number(stats?.rejectedRecordCount ?? 0);
        const source = input.state?.sourceStats?.recordCount;
        if (source !== undefined && counted !== source)
          fail(`${file}: STATE #${index + 1} counts ${counted} records, the source sent ${String(source)}`);
      });
      return `${echoed.length} STATEs echoed byte for byte, each count equal to the source's`;
    }
    case "rejected": {
      const states = messages.filter((m) => m.type === "STATE");
      const rejected = states.reduce((sum, m) => sum + Number(m.state?.destinationStats?.rejectedRecordCount ?? 0), 0);
      const published = statedRecords(messages, file).records;
      if (rejected !== Number(rest[0]) || published !== 0)
        fail(`${file}: STATEs count ${rejected} rejected and ${published} published rows, expected ${rest[0]} and 0`);
      return `${states.length} STATE(s) echoed, ${rejected} rows rejected`;
    }
    case "catalog": {
      const operations = only(messages, "DESTINATION_CATALOG", file).destination_catalog?.operations ?? [];
      const appendable = operations.filter((operation) => operation.sync_mode === "append").map((operation) => operation.object_name);
      const missing = rest.filter((queue) => !appendable.includes(queue));
      if (missing.length > 0) fail(`${file}: DESTINATION_CATALOG offers no append operation for ${missing.join(", ")}`);
      return `one DESTINATION_CATALOG with ${operations.length} operations, appending to ${rest.join(", ")} among them`;
    }
    default:
      return fail(`unknown command ${command}`);
  }
}

try {
  console.log(`  ok: ${await run(process.argv.slice(2))}`);
} catch (error) {
  if (!(error instanceof CheckFailed)) throw error;
  console.error(`  FAILED: ${error.message}`);
  process.exit(1);
}
