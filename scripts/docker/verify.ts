// Assertions for scripts/docker-test.sh over a container's captured stdout and the emulator's queue.
// Each command prints what it found and exits 1, saying what was wrong, when the check fails.
//
//   spec     STDOUT_FILE
//   status   STDOUT_FILE SUCCEEDED|FAILED
//   complete STDOUT_FILE ENDPOINT QUEUE RECORDS STATES   every record in the queue once, every STATE echoed
//   partial  STDOUT_FILE ENDPOINT QUEUE                  no echoed STATE claims records the queue lacks,
//                                                        and a TRACE error says why the sync stopped
import { readFileSync } from "node:fs";

interface Message {
  type: string;
  spec?: { connectionSpecification?: { properties?: Record<string, unknown> } };
  connectionStatus?: { status: string; message?: string };
  state?: { destinationStats?: { recordCount?: unknown } };
  trace?: { type: string; error?: { message: string } };
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
        return JSON.parse(line) as Message;
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
  if (!command || !file) fail("usage: verify.ts spec|status|complete|partial STDOUT_FILE ...");
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
      if (duplicates.length > 0) fail(`queue ${queue}: ${duplicates.length} records arrived more than once, e.g. id ${String(duplicates[0])}`);
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
