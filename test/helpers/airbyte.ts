// Builders for Airbyte input: catalogs, RECORD and STATE lines, and readers of the connector's output.
import type { AirbyteMessage, ConfiguredCatalog, StateMessage } from "../../src/protocol/messages.js";

export function catalogOf(
  streams: { name: string; namespace?: string; primaryKey?: string[][]; syncMode?: "full_refresh" | "incremental" }[],
): ConfiguredCatalog {
  return {
    streams: streams.map(({ name, namespace, primaryKey, syncMode }) => ({
      stream: { name, ...(namespace ? { namespace } : {}), json_schema: { type: "object" } },
      sync_mode: syncMode ?? "incremental",
      destination_sync_mode: "append",
      ...(primaryKey ? { primary_key: primaryKey } : {}),
    })),
  };
}

export function recordLine(stream: string, data: Record<string, unknown>, namespace?: string): string {
  return JSON.stringify({
    type: "RECORD",
    record: { stream, ...(namespace ? { namespace } : {}), data, emitted_at: 1_700_000_000_000 },
  });
}

/** A LEGACY state; its data is an object, as the protocol requires. */
export function stateLine(data: Record<string, unknown>): string {
  return JSON.stringify({ type: "STATE", state: { type: "LEGACY", data } });
}

export function statesOf(messages: AirbyteMessage[]): StateMessage[] {
  return messages.flatMap((message) => (message.type === "STATE" ? [message.state] : []));
}

export function errorTraceOf(messages: AirbyteMessage[]) {
  const traces = messages.flatMap((message) =>
    message.type === "TRACE" && message.trace.type === "ERROR" && message.trace.error ? [message.trace.error] : [],
  );
  return traces[0];
}
