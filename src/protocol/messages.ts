// Airbyte protocol message shapes this connector reads and writes (protocol 0.18).

import type { FailureType } from "../errors.js";

interface StreamDescriptor {
  name: string;
  namespace?: string | null;
}

export interface RecordMessage {
  stream: string;
  namespace?: string | null;
  data: Record<string, unknown>;
  emitted_at: number;
  meta?: unknown;
}

export interface StateStats {
  recordCount?: number;
  rejectedRecordCount?: number;
}

export interface StateMessage {
  type?: "LEGACY" | "STREAM" | "GLOBAL";
  stream?: { stream_descriptor: StreamDescriptor; stream_state?: unknown };
  global?: unknown;
  data?: unknown;
  sourceStats?: StateStats;
  destinationStats?: StateStats;
  [key: string]: unknown;
}

export interface TraceMessage {
  type: "ERROR" | "ESTIMATE" | "STREAM_STATUS" | "ANALYTICS" | string;
  emitted_at: number;
  error?: {
    message: string;
    internal_message?: string;
    stack_trace?: string;
    failure_type?: FailureType;
    stream_descriptor?: StreamDescriptor;
  };
  stream_status?: { stream_descriptor: StreamDescriptor; status: "STARTED" | "RUNNING" | "COMPLETE" | "INCOMPLETE" };
  [key: string]: unknown;
}

export type LogLevel = "FATAL" | "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE";

export type AirbyteMessage =
  | { type: "RECORD"; record: RecordMessage }
  | { type: "STATE"; state: StateMessage }
  | { type: "TRACE"; trace: TraceMessage }
  | { type: "LOG"; log: { level: LogLevel; message: string } }
  | { type: "SPEC"; spec: Record<string, unknown> }
  | { type: "CONNECTION_STATUS"; connectionStatus: { status: "SUCCEEDED" | "FAILED"; message?: string } }
  | { type: "CONTROL"; control: unknown }
  | { type: "DESTINATION_CATALOG"; destination_catalog: DestinationCatalog };

/** What Airbyte's data activation may do with one destination object (`discover`'s answer lists them). */
export interface DestinationOperation {
  object_name: string;
  sync_mode: DestinationSyncMode;
  json_schema: Record<string, unknown>;
}

export interface DestinationCatalog {
  operations: DestinationOperation[];
}

export type SyncMode = "full_refresh" | "incremental";
export type DestinationSyncMode = "append" | "overwrite" | "append_dedup" | "update" | "soft_delete";

export interface ConfiguredStream {
  stream: { name: string; namespace?: string | null; json_schema: Record<string, unknown> };
  sync_mode: SyncMode;
  destination_sync_mode: DestinationSyncMode;
  /** Airbyte data activation: the destination object (queue name or URL) the user mapped the stream to. */
  destination_object_name?: string;
  primary_key?: string[][];
  cursor_field?: string[];
  generation_id?: number;
  minimum_generation_id?: number;
  sync_id?: number;
}

export interface ConfiguredCatalog {
  streams: ConfiguredStream[];
}

/**
 * The key a stream is known by in maps: namespace and name, kept apart so that namespace "a" with
 * stream "b.c" and namespace "a.b" with stream "c" are two streams. No namespace and "" are the same.
 */
export function streamKey(name: string, namespace?: string | null): string {
  return JSON.stringify([namespace || null, name]);
}

/** How messages name a stream: `namespace.name`, or the name alone. */
export function streamLabel(name: string, namespace?: string | null): string {
  return namespace ? `${namespace}.${name}` : name;
}
