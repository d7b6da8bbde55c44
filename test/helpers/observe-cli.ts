// What the observability tests of the CLI share: configs, the run summary and the TRACE a write prints.
import assert from "node:assert/strict";
import { SUMMARY_PREFIX, type SyncSummary } from "../../src/observe/summary.js";
import type { AirbyteMessage } from "../../src/protocol/messages.js";
import { catalogOf, errorTraceOf } from "./airbyte.js";
import { writeTempJson } from "./cli.js";
import { emulatorConfigFile, fauxqsServerForSuite, uniqueQueueName } from "./emulators.js";

/** Two streams: "orders", and "users" in namespace "crm". */
export const catalog = writeTempJson(catalogOf([{ name: "orders" }, { name: "users", namespace: "crm" }]));

/** Within a suite: a fauxqs started before the tests and stopped after, and a new queue on it per call. */
export function fauxqsForSuite(): { address(): string; newQueue(prefix: string): string } {
  const server = fauxqsServerForSuite();
  return {
    address: () => server().address,
    newQueue: (prefix) => {
      const name = uniqueQueueName(prefix);
      server().createQueue(name);
      return name;
    },
  };
}

export function configFile(endpoint: string, settings: Record<string, unknown>): string {
  return emulatorConfigFile(endpoint, {
    message_id: { source: "column", column: "id" },
    ...settings,
  });
}

export function logTexts(messages: AirbyteMessage[]): string[] {
  return messages.flatMap((message) => (message.type === "LOG" ? [message.log.message] : []));
}

export function summaryOf(messages: AirbyteMessage[]): SyncSummary {
  const lines = logTexts(messages).filter((text) => text.startsWith(SUMMARY_PREFIX));
  assert.equal(lines.length, 1, "exactly one SYNC_SUMMARY line");
  return JSON.parse(lines[0]!.slice(SUMMARY_PREFIX.length)) as SyncSummary;
}

/** A row whose Number attribute is not a number: rejected by the connector's own validation. */
export const AMOUNT_ATTRIBUTE = [{ name: "amount", data_type: "Number", value: { source: "column", column: "amount" } }];

export function assertOneSentence(message: string): void {
  assert.ok(!message.includes("\n") && /[.)]$/.test(message), `one sentence: ${message}`);
}

/** Asserts the run failed with one TRACE of `failureType` whose message is one sentence matching `message`. */
export function assertFailure(messages: AirbyteMessage[], failureType: string, message: RegExp): void {
  const error = errorTraceOf(messages);
  assert.ok(error, "a TRACE error");
  assert.equal(error.failure_type, failureType, error.message);
  assert.match(error.message, message);
  assertOneSentence(error.message);
  assert.equal(summaryOf(messages).failure?.failure_type, failureType);
}
