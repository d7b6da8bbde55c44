import type { ConcurrencyStats } from "../delivery/concurrency-limit.js";
import type { SendCounts } from "./observed-sender.js";
import type { RowCounts } from "./summary.js";

/** How often a long write reports progress, unless told otherwise. */
const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

interface ProgressSources {
  rows(): Readonly<RowCounts>;
  sent(): SendCounts;
  /** The in-flight limit, once the write has one. */
  concurrency?(): ConcurrencyStats | undefined;
  log(text: string): void;
}

/**
 * Logs a progress line every `intervalMs` while a write runs: rows read and published, rows not
 * yet settled, what is in flight, and the publish rate. The timer never keeps the process alive.
 */
export class ProgressReporter {
  private timer: NodeJS.Timeout | undefined;
  private lastPublished = 0;
  private lastAt = 0;
  private startedAt = 0;

  constructor(
    private readonly sources: ProgressSources,
    private readonly intervalMs = DEFAULT_PROGRESS_INTERVAL_MS,
  ) {}

  start(): void {
    this.startedAt = this.lastAt = performance.now();
    this.timer = setInterval(() => this.report(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private report(): void {
    const rows = this.sources.rows();
    const sent = this.sources.sent();
    const now = performance.now();
    const recentRate = perSecond(rows.published - this.lastPublished, now - this.lastAt);
    const overallRate = perSecond(rows.published, now - this.startedAt);
    this.lastPublished = rows.published;
    this.lastAt = now;
    const settled = rows.published + rows.rejected + rows.skipped_by_events_filter + rows.unchanged;
    const pending = Math.max(0, rows.records_read - settled);
    const concurrency = this.sources.concurrency?.();
    const limit =
      concurrency === undefined
        ? ""
        : `, limit ${concurrency.limit} (${concurrency.min}–${concurrency.max} so far); ${concurrency.throttled} requests throttled`;
    this.sources.log(
      `Progress: ${rows.records_read} records read, ${rows.published} published, ${rows.rejected} rejected, ` +
        `${pending} not yet settled (${sent.messagesInFlight} messages in ${sent.requestsInFlight} requests in flight${limit}); ` +
        `${recentRate} messages/s lately, ${overallRate} messages/s overall.`,
    );
  }
}

function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000) / ms) : 0;
}
