// Input shaped as the Airbyte platform (1.x) sends it to a destination: configured catalogs with
// sync and generation ids, STREAM and GLOBAL states carrying sourceStats and the platform's `id`,
// stream statuses, records with `meta`, and the message sequence of a "Clear data" job.
import type { ConfiguredCatalog, DestinationSyncMode, SyncMode } from "../../src/protocol/messages.js";

export interface PlatformStream {
  name: string;
  namespace?: string;
  primaryKey?: string[][];
}

export interface PlatformSync {
  syncId?: number;
  generationId?: number;
  minimumGenerationId?: number;
  syncMode?: SyncMode;
  destinationSyncMode?: DestinationSyncMode;
}

export function platformCatalog(streams: PlatformStream[], sync: PlatformSync = {}): ConfiguredCatalog {
  return {
    streams: streams.map(({ name, namespace, primaryKey }) => ({
      stream: {
        name,
        ...(namespace === undefined ? {} : { namespace }),
        json_schema: { type: "object", properties: {} },
        supported_sync_modes: ["full_refresh", "incremental"],
      },
      sync_mode: sync.syncMode ?? "incremental",
      destination_sync_mode: sync.destinationSyncMode ?? "append",
      ...(primaryKey ? { primary_key: primaryKey } : {}),
      generation_id: sync.generationId ?? 1,
      minimum_generation_id: sync.minimumGenerationId ?? 0,
      sync_id: sync.syncId ?? 101,
    })),
  };
}

/**
 * The catalog of a Clear: the platform forces full_refresh + overwrite on the cleared streams,
 * with minimum_generation_id equal to generation_id.
 */
export function clearCatalog(streams: PlatformStream[], generationId = 2): ConfiguredCatalog {
  return platformCatalog(streams, {
    syncMode: "full_refresh",
    destinationSyncMode: "overwrite",
    generationId,
    minimumGenerationId: generationId,
  });
}

/** The platform serialises with Jackson's NON_NULL: a stream without a namespace has no namespace field. */
function descriptorOf(stream: PlatformStream): { name: string; namespace?: string } {
  return { name: stream.name, ...(stream.namespace === undefined ? {} : { namespace: stream.namespace }) };
}

export function platformRecord(stream: PlatformStream, data: Record<string, unknown>, meta?: unknown): string {
  return JSON.stringify({
    type: "RECORD",
    record: {
      ...(stream.namespace === undefined ? {} : { namespace: stream.namespace }),
      stream: stream.name,
      emitted_at: 1_700_000_000_000,
      data,
      ...(meta === undefined ? {} : { meta }),
    },
  });
}

/** A STREAM state as the platform forwards it: the source's counts (when given) and the platform's id. */
export function streamStateLine(stream: PlatformStream, streamState: unknown, sourceRecords: number | undefined, id: number): string {
  return JSON.stringify({
    type: "STATE",
    state: {
      type: "STREAM",
      stream: { stream_descriptor: descriptorOf(stream), ...(streamState === undefined ? {} : { stream_state: streamState }) },
      ...(sourceRecords === undefined ? {} : { sourceStats: { recordCount: sourceRecords } }),
      id,
    },
  });
}

export function globalStateLine(sharedState: unknown, streams: PlatformStream[], sourceRecords: number, id: number): string {
  return JSON.stringify({
    type: "STATE",
    state: {
      type: "GLOBAL",
      global: {
        shared_state: sharedState,
        stream_states: streams.map((stream) => ({
          stream_descriptor: descriptorOf(stream),
          stream_state: { cursor: "c" },
        })),
      },
      sourceStats: { recordCount: sourceRecords },
      id,
    },
  });
}

export function streamStatusLine(stream: PlatformStream, status: "STARTED" | "RUNNING" | "COMPLETE" | "INCOMPLETE"): string {
  return JSON.stringify({
    type: "TRACE",
    trace: {
      type: "STREAM_STATUS",
      emitted_at: 1_700_000_000_000,
      stream_status: { stream_descriptor: descriptorOf(stream), status },
    },
  });
}

/**
 * What a Clear job sends per stream (EmptyAirbyteSource): STARTED, a STREAM state without a
 * stream state (a null the platform's serialiser leaves out), COMPLETE; no records.
 */
export function clearSequence(streams: PlatformStream[], firstId = 1): string[] {
  return streams.flatMap((stream, index) => [
    streamStatusLine(stream, "STARTED"),
    streamStateLine(stream, undefined, undefined, firstId + index),
    streamStatusLine(stream, "COMPLETE"),
  ]);
}

/** The line the destination must echo for a STATE line: the same bytes with destinationStats added to its state. */
export function expectedEcho(stateLine: string, destinationStats: Record<string, number>): string {
  if (!stateLine.endsWith("}}")) throw new Error(`expectedEcho needs a compact STATE line: ${stateLine}`);
  return `${stateLine.slice(0, -2)},"destinationStats":${JSON.stringify(destinationStats)}}}`;
}

/** The STATE lines of a run's stdout, as printed. */
export function stateLinesOf(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line.startsWith('{"type":"STATE"'));
}
