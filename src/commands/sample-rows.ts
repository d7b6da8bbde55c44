// The rows preview --send sends: the first N records that compose into a message, read as write
// reads them, through the row pipeline write uses.
import type { Readable } from "node:stream";
import type { QueueUrlCheck } from "../aws/queue-hosts.js";
import type { ChangeDetector } from "../changes/types.js";
import type { ComposedMessage } from "../compose/composer.js";
import type { ChangeType, Config } from "../config/types.js";
import { readFieldPath } from "../compose/paths.js";
import { parseMessage, readLines } from "../protocol/input.js";
import { streamKey, streamLabel, type ConfiguredStream, type RecordMessage } from "../protocol/messages.js";
import { RowPipeline } from "../write/row-pipeline.js";
import { notInCatalog, SKIPPED_BECAUSE } from "./preview.js";

/** Where a row came from: its record's position in the input. */
export interface RowPosition {
  /** Counts records only, from 1. */
  record: number;
  /** The input line, from 1. */
  line: number;
  stream: string;
}

export interface SampledRow extends RowPosition {
  /** The stream's primary key values (change_detection.primary_key, else the catalog's), when it has one. */
  primaryKey?: unknown[];
  change: ChangeType;
  message: ComposedMessage;
}

/** A record read before N rows composed that did not become a message, and why. */
export interface UnsentRow extends RowPosition {
  outcome: "rejected" | "skipped" | "error";
  reason: string;
}

export interface Sample {
  rows: SampledRow[];
  unsent: UnsentRow[];
}

interface SampleOptions {
  config: Config;
  catalog: Map<string, ConfiguredStream>;
  input: Readable;
  /** How many rows must compose before reading stops. */
  rows: number;
  detector: ChangeDetector;
  checkQueueUrl: QueueUrlCheck;
}

/** Reads records until `rows` have composed (or the input ends); STATE and other messages are ignored. */
export async function readSample(options: SampleOptions): Promise<Sample> {
  const pipeline = new RowPipeline(options.config, {
    detector: options.detector,
    checkQueueUrl: options.checkQueueUrl,
    streams: options.catalog.values(),
  });
  const sample: Sample = { rows: [], unsent: [] };
  let records = 0;
  for await (const line of readLines(options.input)) {
    if (sample.rows.length >= options.rows) break;
    const message = parseMessage(line);
    if (message.type !== "RECORD") continue;
    const position = { record: ++records, line: line.lineNumber, stream: streamLabel(message.record.stream, message.record.namespace) };
    const row = sampleRow(options, pipeline, message.record, position);
    if ("message" in row) sample.rows.push(row);
    else sample.unsent.push(row);
  }
  return sample;
}

function sampleRow(options: SampleOptions, pipeline: RowPipeline, record: RecordMessage, position: RowPosition): SampledRow | UnsentRow {
  const stream = options.catalog.get(streamKey(record.stream, record.namespace));
  if (!stream) return { ...position, outcome: "error", reason: notInCatalog(position.stream) };
  const outcome = pipeline.record(record, stream, position.line);
  switch (outcome.kind) {
    case "skipped":
      return { ...position, outcome: "skipped", reason: SKIPPED_BECAUSE[outcome.reason](outcome.change) };
    case "rejected":
      return { ...position, outcome: "rejected", reason: outcome.reason };
    case "message": {
      const primaryKey = primaryKeyOf(options.config, stream, record.data);
      return { ...position, ...(primaryKey ? { primaryKey } : {}), change: outcome.change, message: outcome.message };
    }
  }
}

function primaryKeyOf(config: Config, stream: ConfiguredStream, data: Record<string, unknown>): unknown[] | undefined {
  const configured = config.change_detection.mode === "snapshot" ? config.change_detection.primary_key : undefined;
  const paths = configured ?? stream.primary_key ?? [];
  return paths.length === 0 ? undefined : paths.map((path) => readFieldPath(data, path) ?? null);
}
