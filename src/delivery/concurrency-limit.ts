// How many SendMessageBatch requests may be in flight. Fixed, or adaptive: a congestion controller in
// the spirit of TCP (slow start, then additive probing, multiplicative decrease) driven by two
// signals, throttling answers and round trips climbing above their floor.

import type { Config } from "../config/types.js";
import { EventLoopLag, type LagMeter } from "./event-loop-lag.js";

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
}

const PERFORMANCE_CLOCK: Clock = { now: () => performance.now() };

export type ConcurrencyMode = "adaptive" | "fixed";

/**
 * What became of a request, as the limit cares: answered (its round trip counts), throttled, timed out
 * (no answer within request_timeout_seconds: an overload signal like throttling), or failed otherwise.
 */
export type RequestOutcome = "answered" | "throttled" | "timed out" | "failed";

export type LimitChangeReason = "slow start" | "probing" | "throttled" | "timed out" | "latency";

export interface LimitChange {
  from: number;
  to: number;
  reason: LimitChangeReason;
  /** The floor of round trips and the latest window's round trip, in ms (0 when unknown). */
  floorRttMs: number;
  rttMs: number;
}

export interface ConcurrencyStats {
  mode: ConcurrencyMode;
  limit: number;
  min: number;
  max: number;
  /** Time-weighted mean of the limit since the first request. */
  mean: number;
  changes: number;
  /** Requests answered with throttling (ThrottlingException, RequestThrottled, KMS throttling, HTTP 429/503). */
  throttled: number;
}

export interface ConcurrencyLimitOptions {
  mode: ConcurrencyMode;
  /** max_in_flight: the limit never goes above it (and, fixed, is exactly it). */
  ceiling: number;
  clock?: Clock;
  /** Measures the connector's own stalls, which lengthen round trips without any queue; default EventLoopLag. */
  lag?: LagMeter;
  onChange?: ((change: LimitChange) => void) | undefined;
}

/** The limit the `concurrency` and `max_in_flight` settings ask for. */
export function concurrencyLimitFor(
  config: Pick<Config, "concurrency" | "max_in_flight">,
  onChange?: (change: LimitChange) => void,
): ConcurrencyLimit {
  return new ConcurrencyLimit({ mode: config.concurrency, ceiling: config.max_in_flight, onChange });
}

/** Where the adaptive limit starts; slow start doubles it from there every window the slots are all used. */
export const INITIAL_LIMIT = 16;
/** The shortest window the controller judges round trips over: at least one round trip, never less than this. */
export const MIN_WINDOW_MS = 100;
/**
 * Round trips still high after latency cuts took the limit to a quarter of where they began are not of
 * the connector's making (a slower region, a slower network): they become the new floor, and slow
 * start begins again. Round trips the connector causes fall back well before: slow start overshoots by
 * at most twice, probing by 10%.
 */
export const REBASE_AFTER_CUT_TO = 0.25;
/** A window's round trip above floor × tolerance + slack (+ the connector's longest stall in it) means queues are building up. */
export const LATENCY_TOLERANCE = 2;
export const LATENCY_SLACK_MS = 5;
export const THROTTLE_DECREASE = 0.7;
/**
 * Throttling cuts once more than this share of the answers since the last cut were throttled (and at
 * least two): a queue past its rate throttles a growing share, while a throttle now and then (another
 * client of the same KMS key, a brief hiccup) should not take the limit down to 1.
 */
export const THROTTLED_SHARE_TOLERATED = 0.02;
/** A latency cut: threshold / round trip, within these bounds (gentle when just above, halving when far above). */
export const LATENCY_DECREASE = 0.9;
export const LATENCY_DECREASE_MOST = 0.5;
/** Growth while probing, relative to the limit, per second of windows (10% per 100 ms window); at least 1 per window. */
const PROBE_GROWTH_PER_SECOND = 1;

/**
 * The in-flight limit. Delivery calls `started()` before each request and `finished()` once per
 * request when it ends, and sends only while fewer than `current` are in flight.
 *
 * Adaptive rules, judged per window (a round trip, at least MIN_WINDOW_MS) by its shortest round trip,
 * as TCP Vegas does: a queue in SQS or the network delays every request, while a request that paid
 * for a new connection, or that the connector's own busy thread read late, delays only some:
 * - throttling answers (and timeouts) to requests sent after the last cut, once more than THROTTLED_SHARE_TOLERATED of
 *   those answers (and at least two), cut the limit by THROTTLE_DECREASE at once (at most once per round
 *   trip, since later answers were sent before the cut);
 * - a window whose round trip exceeds floor × LATENCY_TOLERANCE + LATENCY_SLACK_MS, plus the longest
 *   the connector's own thread stalled in the window (busy, or descheduled by the OS), cuts it by
 *   that threshold / the round trip, between LATENCY_DECREASE_MOST and LATENCY_DECREASE;
 * - otherwise, if every slot was used in the window, the limit grows: doubling until the first cut
 *   (slow start), then by 10% per 100 ms (probing);
 * - the floor is the lowest window round trip seen, unless latency cuts have taken the limit to a quarter
 *   and round trips are still high: then they are the new floor, and slow start begins again.
 * The limit stays within 1 and the ceiling.
 */
export class ConcurrencyLimit {
  private readonly mode: ConcurrencyMode;
  private readonly ceiling: number;
  private readonly clock: Clock;
  private readonly lag: LagMeter | undefined;
  private readonly onChange: ((change: LimitChange) => void) | undefined;

  private value: number;
  private limit: number;
  private slowStart = true;
  private inFlight = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  /** Answers to requests sent after the last cut, and how many of them were throttled. */
  private answersSinceCut = 0;
  private throttledSinceCut = 0;

  private windowStart: number | undefined;
  private windowMaxInFlight = 0;
  /** The shortest round trip of the window's own requests so far; Infinity before the first. */
  private windowRtt = Number.POSITIVE_INFINITY;
  private floorRtt = Number.POSITIVE_INFINITY;
  /** The limit before the first of the latency cuts in a row, if the last window's latency was high. */
  private limitBeforeLatencyCuts: number | undefined;
  private lastWindowRtt = 0;

  /** For the stats: `since` is the first request's time (-1 before it), `weighted` the limit's integral up to `lastAt`. */
  private readonly record = { min: 0, max: 0, changes: 0, throttled: 0, since: -1, lastAt: 0, weighted: 0 };

  constructor(options: ConcurrencyLimitOptions) {
    if (!Number.isInteger(options.ceiling) || options.ceiling < 1) throw new RangeError("the ceiling must be a positive integer");
    this.mode = options.mode;
    this.ceiling = options.ceiling;
    this.clock = options.clock ?? PERFORMANCE_CLOCK;
    this.lag = this.mode === "adaptive" ? (options.lag ?? new EventLoopLag()) : undefined;
    this.onChange = options.onChange;
    this.value = this.mode === "fixed" ? this.ceiling : Math.min(INITIAL_LIMIT, this.ceiling);
    this.limit = this.value;
    this.record.min = this.record.max = this.limit;
  }

  /** Requests that may be in flight now. */
  get current(): number {
    return this.limit;
  }

  get stats(): ConcurrencyStats {
    const { min, max, changes, throttled, since, lastAt, weighted } = this.record;
    const now = this.clock.now();
    const elapsed = now - since;
    const total = weighted + this.limit * (now - lastAt);
    return {
      mode: this.mode,
      limit: this.limit,
      min,
      max,
      mean: since < 0 || elapsed <= 0 ? this.limit : total / elapsed,
      changes,
      throttled,
    };
  }

  /** A request is being sent; returns its start time, to hand back to finished(). */
  started(): number {
    const now = this.clock.now();
    if (this.record.since < 0) this.record.since = this.record.lastAt = now;
    this.windowStart ??= now;
    if (this.inFlight === 0) this.lag?.start();
    this.inFlight++;
    if (this.inFlight > this.windowMaxInFlight) this.windowMaxInFlight = this.inFlight;
    return now;
  }

  /** The request started at `startedAt` ended. */
  finished(startedAt: number, outcome: RequestOutcome): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight === 0) this.lag?.stop();
    if (outcome === "throttled") this.record.throttled++;
    if (this.mode === "fixed") return;
    const now = this.clock.now();
    // Answers to requests sent before the last cut tell of the load before it.
    if (startedAt < this.lastDecreaseAt) return;
    this.answersSinceCut++;
    if (outcome === "throttled" || outcome === "timed out") {
      this.throttledSinceCut++;
      if (this.throttledSinceCut >= 2 && this.throttledSinceCut > this.answersSinceCut * THROTTLED_SHARE_TOLERATED) {
        this.decrease(now, THROTTLE_DECREASE, outcome === "throttled" ? "throttled" : "timed out");
      }
      return;
    }
    const windowStart = this.windowStart ?? now;
    // A window judges the requests sent under its own limit.
    if (outcome === "answered" && startedAt >= windowStart) this.windowRtt = Math.min(this.windowRtt, now - startedAt);
    const windowMs = Math.max(MIN_WINDOW_MS, Number.isFinite(this.floorRtt) ? this.floorRtt : 0);
    if (Number.isFinite(this.windowRtt) && now - windowStart >= windowMs) this.closeWindow(now);
  }

  /** Delivery stopped: what was in flight will never finish. */
  abandon(): void {
    this.inFlight = 0;
    this.lag?.stop();
  }

  private closeWindow(now: number): void {
    const rtt = this.windowRtt;
    const stallMs = this.lag?.takeLongestMs() ?? 0;
    const windowMs = now - (this.windowStart ?? now);
    const allSlotsUsed = this.windowMaxInFlight >= this.limit;
    this.lastWindowRtt = rtt;
    this.floorRtt = Math.min(this.floorRtt, rtt);
    const threshold = this.floorRtt * LATENCY_TOLERANCE + LATENCY_SLACK_MS + stallMs;
    if (rtt > threshold) {
      this.limitBeforeLatencyCuts ??= this.value;
      if (this.value <= this.limitBeforeLatencyCuts * REBASE_AFTER_CUT_TO) {
        this.floorRtt = rtt;
        this.slowStart = true;
        this.limitBeforeLatencyCuts = undefined;
        this.newWindow(now);
      } else {
        this.decrease(now, Math.min(LATENCY_DECREASE, Math.max(LATENCY_DECREASE_MOST, threshold / rtt)), "latency");
      }
      return;
    }
    this.limitBeforeLatencyCuts = undefined;
    if (allSlotsUsed && this.limit < this.ceiling) {
      const next = this.slowStart ? this.value * 2 : this.value + Math.max(1, (this.value * PROBE_GROWTH_PER_SECOND * windowMs) / 1000);
      this.set(now, next, this.slowStart ? "slow start" : "probing");
    }
    this.newWindow(now);
  }

  private decrease(now: number, factor: number, reason: LimitChangeReason): void {
    this.slowStart = false;
    this.lastDecreaseAt = now;
    this.answersSinceCut = 0;
    this.throttledSinceCut = 0;
    this.set(now, this.value * factor, reason);
    this.newWindow(now);
  }

  private newWindow(now: number): void {
    this.windowStart = now;
    this.windowRtt = Number.POSITIVE_INFINITY;
    this.lag?.takeLongestMs();
    this.windowMaxInFlight = this.inFlight;
  }

  private set(now: number, value: number, reason: LimitChangeReason): void {
    this.value = Math.min(this.ceiling, Math.max(1, value));
    const limit = Math.floor(this.value);
    if (limit === this.limit) return;
    const from = this.limit;
    const record = this.record;
    record.weighted += from * (now - record.lastAt);
    record.lastAt = now;
    record.changes++;
    record.min = Math.min(record.min, limit);
    record.max = Math.max(record.max, limit);
    this.limit = limit;
    const floorRttMs = Number.isFinite(this.floorRtt) ? this.floorRtt : 0;
    this.onChange?.({ from, to: limit, reason, floorRttMs, rttMs: this.lastWindowRtt });
  }
}
