import type { ChangeType } from "../config/types.js";
import type { ConcurrencyStats } from "../delivery/concurrency-limit.js";
import type { FailureType } from "../errors.js";
import type { WriteObserver } from "../write/types.js";
import type { SendCounts } from "./observed-sender.js";

/** The prefix of the run summary's machine-readable LOG line; the rest of the line is one JSON object. */
export const SUMMARY_PREFIX = "SYNC_SUMMARY ";

/** Rejection reasons kept per stream, so the summary stays small whatever the number of rejections. */
const REASONS_KEPT = 5;

interface ChangeCounts {
  published: number;
  rejected: number;
  skipped_by_events_filter: number;
  bytes_published: number;
}

export interface RowCounts extends ChangeCounts {
  records_read: number;
  unchanged: number;
}

interface StreamSummary extends RowCounts {
  stream: string;
  /** Counts per change type, for the change types that occurred. */
  by_change: Partial<Record<ChangeType, ChangeCounts>>;
  /** The first few rejected rows of the stream. */
  rejections: { message_id: string; reason: string }[];
}

/** The run summary's JSON (SUMMARY_PREFIX line), version 1. Fields are only ever added. */
export interface SyncSummary {
  version: 1;
  status: "succeeded" | "failed";
  failure?: { failure_type: FailureType; message: string };
  started_at: string;
  duration_seconds: number;
  /** Messages published per second over the whole run. */
  messages_per_second: number;
  totals: RowCounts;
  /** SendMessageBatch traffic, retries and dead-letter messages included. */
  delivery: {
    requests_sent: number;
    messages_sent: number;
    entries_retried: number;
    bytes_sent: number;
    /** Requests SQS answered with throttling (or whose entries it throttled). */
    throttled_requests?: number;
  };
  /** The limit on requests in flight over the run: its range, time-weighted mean, last value and changes. */
  concurrency?: {
    mode: ConcurrencyStats["mode"];
    limit_min: number;
    limit_mean: number;
    limit_max: number;
    limit_last: number;
    limit_changes: number;
  };
  streams: StreamSummary[];
  /** Published messages whose body went through S3 (large_messages), and those messages' bytes; present when there were any. */
  offloaded_to_s3?: { messages: number; bytes: number };
}

function changeCounts(): ChangeCounts {
  return { published: 0, rejected: 0, skipped_by_events_filter: 0, bytes_published: 0 };
}

function rowCounts(): RowCounts {
  return { records_read: 0, unchanged: 0, ...changeCounts() };
}

function newStream(stream: string): StreamSummary {
  return { stream, ...rowCounts(), by_change: {}, rejections: [] };
}

/** Counts what happens to every row of a write, by stream and change type (the WriteObserver). */
export class RunSummary implements WriteObserver {
  private readonly streams = new Map<string, StreamSummary>();
  private readonly totals = rowCounts();
  private readonly offloaded = { messages: 0, bytes: 0 };
  private readonly startedAt = new Date();
  private readonly started = performance.now();

  recordRead(stream: string): void {
    this.add(stream, undefined, "records_read");
  }

  skipped(stream: string, change: ChangeType | undefined, reason: "event_filter" | "unchanged"): void {
    this.add(stream, change, reason === "unchanged" ? "unchanged" : "skipped_by_events_filter");
  }

  published(stream: string, change: ChangeType, bytes: number, offloaded = false): void {
    this.add(stream, change, "published");
    this.add(stream, change, "bytes_published", bytes);
    if (!offloaded) return;
    this.offloaded.messages++;
    this.offloaded.bytes += bytes;
  }

  rejected(stream: string, change: ChangeType | undefined, messageId: string, reason: string): void {
    this.add(stream, change, "rejected");
    const { rejections } = this.streamOf(stream);
    if (rejections.length < REASONS_KEPT) rejections.push({ message_id: messageId, reason });
  }

  /** Counts so far, for progress reports. */
  get current(): Readonly<RowCounts> {
    return { ...this.totals };
  }

  finish(sent: SendCounts, failure?: SyncSummary["failure"], concurrency?: ConcurrencyStats): SyncSummary {
    const seconds = (performance.now() - this.started) / 1000;
    return {
      version: 1,
      status: failure === undefined ? "succeeded" : "failed",
      ...(failure === undefined ? {} : { failure }),
      started_at: this.startedAt.toISOString(),
      duration_seconds: round(seconds, 3),
      messages_per_second: round(seconds > 0 ? this.totals.published / seconds : 0, 1),
      totals: { ...this.totals },
      delivery: {
        requests_sent: sent.requestsSent,
        messages_sent: sent.messagesSent,
        entries_retried: sent.entriesRetried,
        bytes_sent: sent.bytesSent,
        ...(concurrency === undefined ? {} : { throttled_requests: concurrency.throttled }),
      },
      ...(concurrency === undefined
        ? {}
        : {
            concurrency: {
              mode: concurrency.mode,
              limit_min: concurrency.min,
              limit_mean: round(concurrency.mean, 1),
              limit_max: concurrency.max,
              limit_last: concurrency.limit,
              limit_changes: concurrency.changes,
            },
          }),
      streams: [...this.streams.values()].map((stream) => structuredClone(stream)),
      ...(this.offloaded.messages > 0 ? { offloaded_to_s3: { ...this.offloaded } } : {}),
    };
  }

  private streamOf(name: string): StreamSummary {
    let stream = this.streams.get(name);
    if (stream === undefined) {
      stream = newStream(name);
      this.streams.set(name, stream);
    }
    return stream;
  }

  /** Adds to the stream's and the run's counts, and to the change type's when the change is known. */
  private add(streamName: string, change: ChangeType | undefined, field: keyof RowCounts, amount = 1): void {
    const stream = this.streamOf(streamName);
    stream[field] += amount;
    this.totals[field] += amount;
    if (change === undefined || !isChangeField(field)) return;
    stream.by_change[change] ??= changeCounts();
    stream.by_change[change][field] += amount;
  }
}

function isChangeField(field: keyof RowCounts): field is keyof ChangeCounts {
  return field !== "records_read" && field !== "unchanged";
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Human-readable lines: the run's totals, then one per stream. */
export function describeSummary(summary: SyncSummary): string[] {
  const { totals, delivery } = summary;
  const outcome = summary.status === "succeeded" ? "Sync finished" : "Sync failed";
  const lines = [
    `${outcome} after ${summary.duration_seconds.toFixed(1)} s: ${describeCounts(totals)}; ` +
      `${summary.messages_per_second} messages/s; ${delivery.requests_sent} SendMessageBatch requests, ` +
      `${delivery.messages_sent} entries (${delivery.bytes_sent} bytes) sent, ${delivery.entries_retried} retried` +
      (summary.offloaded_to_s3 === undefined
        ? "."
        : `; ${summary.offloaded_to_s3.messages} messages (${summary.offloaded_to_s3.bytes} bytes) had their body stored in S3.`) +
      describeConcurrency(summary),
  ];
  for (const stream of summary.streams) {
    const changes = Object.entries(stream.by_change)
      .map(
        ([change, counts]) =>
          `${change}: ${counts.published} published, ${counts.rejected} rejected, ${counts.skipped_by_events_filter} skipped`,
      )
      .join("; ");
    const reasons = stream.rejections.map((rejection) => rejection.reason).join(" | ");
    lines.push(
      `Stream "${stream.stream}": ${describeCounts(stream)}` +
        (changes === "" ? "" : ` (${changes})`) +
        (reasons === "" ? "." : `. First rejections: ${reasons}`),
    );
  }
  return lines;
}

function describeConcurrency({ concurrency, delivery }: SyncSummary): string {
  if (concurrency === undefined) return "";
  const { mode, limit_min, limit_mean, limit_max, limit_changes } = concurrency;
  const limit = limit_min === limit_max ? `${limit_max}` : `${limit_min}–${limit_max} (mean ${limit_mean}, ${limit_changes} changes)`;
  return ` Requests in flight (${mode}): limit ${limit}; ${delivery.throttled_requests ?? 0} throttled requests.`;
}

function describeCounts(counts: RowCounts): string {
  return (
    `${counts.records_read} records read, ${counts.published} published (${counts.bytes_published} bytes), ` +
    `${counts.rejected} rejected, ${counts.skipped_by_events_filter} skipped by the events filter, ${counts.unchanged} unchanged`
  );
}
