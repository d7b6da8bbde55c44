// What the SNS alert suites share: a catalog of one stream, a run's LOG lines of a level, and a row that is rejected.
import type { AirbyteMessage, LogLevel } from "../../src/protocol/messages.js";
import { catalogOf, recordLine } from "./airbyte.js";
import { writeTempJson } from "./cli.js";

export const catalog = writeTempJson(catalogOf([{ name: "orders" }]));

export function logs(messages: AirbyteMessage[], level: LogLevel): string[] {
  return messages.flatMap((message) => (message.type === "LOG" && message.log.level === level ? [message.log.message] : []));
}

/** A row the composer rejects: its Number attribute is not a number. */
export function badRow(id: number, amount = "not a number"): string {
  return recordLine("orders", { id, amount });
}
