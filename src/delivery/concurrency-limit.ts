// How many SendMessageBatch requests may be in flight. Fixed, or adaptive: a congestion controller in
// the spirit of TCP (slow start, then additive probing, multiplicative decrease) driven by two
// signals, throttling answers and round trips climbing above their floor. Errors that are not
// back-pressure (a 503 or a 500, a dropped connection, a request never answered) are not signals:
// real SQS returns them now and then whatever the load, and a limit that fell at each would crawl.

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
 * (no answer within request_timeout_seconds), or failed otherwise. Only answers and throttling move the limit.
 */
export type RequestOutcome = "answered" | "throttled" | "timed out" | "failed";

/** Why the limit moved; "undone": a throttling cut was taken back, since it eased throttling far less than a queue's rate would. */
export type LimitChangeReason = "slow start" | "probing" | "throttled" | "undone" | "latency";

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
  /** Requests answered with throttling (ThrottlingException, RequestThrottled, KMS throttling, HTTP 429). */
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
 * In slow start a window is one round trip, at least this: at 80 ms the limit doubles every round
 * trip, as TCP's does, instead of every other one (a window must see an answer to a request sent in
 * it), and a 200,000-record sync no longer spends a tenth of its time ramping up. Shorter windows
 * would overrun a queue whose throttling shows only once a large burst allowance is spent.
 */
export const SLOW_START_MIN_WINDOW_MS = 40;
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
/**
 * A throttling cut takes the limit to the share of requests that were not throttled (what the queue
 * accepted, as TCP Westwood sets its window to the rate delivered), within these bounds.
 */
export const THROTTLE_DECREASE = 0.9;
export const THROTTLE_DECREASE_MOST = 0.5;
/**
 * Throttling cuts once clearly more than this share of the answers since the last cut, or of the
 * window's answers, were throttled (see excessShare): a queue past its rate
 * throttles a growing share, while a throttle now and then (another client of the same KMS key, a
 * brief hiccup) should not take the limit down to 1. The window's share catches a queue overrun long
 * after the last cut at once.
 */
export const THROTTLED_SHARE_TOLERATED = 0.02;
/** Fewer answers than this say too little about the share throttled to cut on, or to judge a cut by. */
export const MIN_ANSWERS_JUDGED = 20;
/**
 * A queue past its rate throttles fewer requests once the limit is cut: accepting as many as before,
 * it throttles 1 - (1 - share) / factor of them after a cut by `factor` (none, when the cut reached
 * the share accepted). When requests sent after a throttling cut are throttled at least halfway from
 * that back to the share before it, the cut eased throttling less than half as much as a queue's rate
 * would: the throttling is not the connector's doing (a share of requests throttled at random,
 * whatever the rate), the cut is undone, and from then on THROTTLING_BACKGROUND_MARGIN times that
 * share is tolerated.
 */
export const THROTTLING_BACKGROUND_MARGIN = 1.5;
/** Throttling above this share is overload whatever a cut did: it is never taken for background, nor tolerated. */
export const THROTTLING_BACKGROUND_MOST = 0.1;
/**
 * After a throttling cut the limit does not grow for this long: the queue is at its rate, and probing
 * again at once would overrun it again within a few hundred ms. A cut that comes within
 * THROTTLE_HOLDS_RECENT holds of the last one holds twice as long as that one did, up to
 * THROTTLE_HOLD_MOST_MS: a queue overrun again and again has a fixed rate (a per-queue or KMS limit),
 * each overrun throttles requests, and probing it less and less often keeps throttling rare.
 */
export const THROTTLE_HOLD_MS = 1_000;
export const THROTTLE_HOLD_MOST_MS = 4_000;
const THROTTLE_HOLDS_RECENT = 3;

/** A latency cut: threshold / round trip, within these bounds (gentle when just above, halving when far above). */
export const LATENCY_DECREASE = 0.9;
export const LATENCY_DECREASE_MOST = 0.5;
/** Growth while probing, relative to the limit, per second of windows (10% per 100 ms window); at least 1 per window. */
const PROBE_GROWTH_PER_SECOND = 1;

/**
 * A request unanswered for longer than TCP's retransmission timeout would allow (the smoothed round
 * trip plus OVERDUE_DEVIATIONS times its mean deviation, RFC 6298), and at least OVERDUE_MIN_MS, no
 * longer counts against the adaptive limit (still against the ceiling): as TCP takes a segment out
 * of flight then, so that a request that will never be answered does not hold a slot for
 * request_timeout_seconds while others could be sent. Slow answers from a loaded queue or machine
 * stay within it, and do not let more requests out.
 */
export const OVERDUE_DEVIATIONS = 4;
export const OVERDUE_MIN_MS = 1_000;

/** A throttling cut: the value and phase before it, the share of answers throttled that caused it (or of its round trip, if more), and the cut's factor. */
interface ThrottleCut {
  before: number;
  slowStart: boolean;
  share: number;
  factor: number;
}

/**
 * The round trip after a throttling cut: the `size` requests in flight at the cut, sent before any
 * answer could tell of the queue's rate; `pending` answers (or lapses) are still to come before they
 * are all answered (answers come in the order requests were sent, near enough), `throttled` of those
 * so far were throttled; `before` is the limit before the cut.
 */
interface CutRound {
  before: number;
  size: number;
  pending: number;
  throttled: number;
}

/** Whether `cut` left throttling at `share`: eased less than half as much as a queue's rate would, and not so often that it must be overload. */
function uneased(share: number, cut: ThrottleCut): boolean {
  const atRate = Math.max(0, 1 - (1 - cut.share) / cut.factor);
  return share >= (atRate + cut.share) / 2 && share <= THROTTLING_BACKGROUND_MOST;
}

/**
 * The share of `answers` throttled, when it is clearly more than `tolerated`: at least two of at
 * least MIN_ANSWERS_JUDGED, and more than chance would give at that share (by three standard deviations).
 */
function excessShare(throttled: number, answers: number, tolerated: number): number | undefined {
  if (throttled < 2 || answers < MIN_ANSWERS_JUDGED) return undefined;
  const expected = answers * tolerated;
  return throttled > expected + 3 * Math.sqrt(expected) ? throttled / answers : undefined;
}

/**
 * The in-flight limit. Delivery calls `started()` before each request and `finished()` once per
 * request when it ends, `lapsed()` when one is overdue (`overdueAfterMs`), and sends only while
 * `allowsAnother()`.
 *
 * Adaptive rules, judged per window (a round trip, at least MIN_WINDOW_MS, or SLOW_START_MIN_WINDOW_MS
 * in slow start) by its shortest round trip,
 * as TCP Vegas does: a queue in SQS or the network delays every request, while a request that paid
 * for a new connection, or that the connector's own busy thread read late, delays only some:
 * - throttling answers to requests sent after the last cut, once more than the tolerated share of
 *   those answers or of the window's (THROTTLED_SHARE_TOLERATED at first), cut the limit at once to the
 *   share not throttled (between THROTTLE_DECREASE_MOST and THROTTLE_DECREASE; at most once per round
 *   trip, since later answers were sent before the cut), and the limit then holds for THROTTLE_HOLD_MS,
 *   twice as long as the last hold when that cut came soon after the last (up to THROTTLE_HOLD_MOST_MS);
 * - while the requests in flight at that cut (at least MIN_ANSWERS_JUDGED) are answered, the limit is
 *   at most the one before the cut times the share of them not throttled so far, so that a throttled
 *   one frees no slot for a new request (TCP's packet conservation); the limit keeps that share once
 *   they are answered: they were sent before any answer told of the queue's rate, and when slow start
 *   has run through a token bucket's burst, the share of them accepted is the bucket's rate, while
 *   the share of all answers since the start, the burst's included, would take cut after cut to reach it;
 * - unless requests sent after the previous throttling cut, during its hold, were throttled at least
 *   halfway from what a queue's rate would leave back to the share before it (see uneased): that
 *   throttling is no overload, the cut is undone, and its share is tolerated from then on, until a
 *   cut eases throttling;
 * - failures that are not throttling, and requests that get no answer, change nothing; a request
 *   unanswered past TCP's retransmission timeout (at least OVERDUE_MIN_MS) stops counting against the limit;
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
  /** Until when the limit does not grow: a while after a throttling cut. */
  private holdUntil = Number.NEGATIVE_INFINITY;
  /** How long the last throttling cut held the limit (0 once undone), and when it came. */
  private holdMs = 0;
  private lastThrottleCutAt = Number.NEGATIVE_INFINITY;
  /** The share of throttled answers that does not cut: raised when throttling turned out not to be overload. */
  private toleratedShare = THROTTLED_SHARE_TOLERATED;
  /** The latest throttling cut, until it is judged at the end of its hold. */
  private throttleCut: ThrottleCut | undefined;
  /** The requests in flight at the latest throttling cut, until each is answered. */
  private round: CutRound | undefined;
  /** Answers to requests sent after the last cut, and how many of them were throttled: since the cut, and in the window. */
  private answersSinceCut = 0;
  private throttledSinceCut = 0;
  private windowAnswers = 0;
  private windowThrottled = 0;

  private windowStart: number | undefined;
  private windowMaxInFlight = 0;
  /** The shortest round trip of the window's own requests so far; Infinity before the first. */
  private windowRtt = Number.POSITIVE_INFINITY;
  private floorRtt = Number.POSITIVE_INFINITY;
  /** The limit before the first of the latency cuts in a row, if the last window's latency was high. */
  private limitBeforeLatencyCuts: number | undefined;
  private lastWindowRtt = 0;
  /** Every answer's round trip, smoothed, and its mean deviation (RFC 6298); 0 before the first. */
  private smoothedRtt = 0;
  private rttDeviation = 0;

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
    return this.round === undefined ? this.limit : Math.min(this.limit, this.roundCap(this.round));
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

  /** How long a request may go unanswered before lapsed() takes it out of the limit's count (fixed: never). */
  get overdueAfterMs(): number {
    if (this.mode === "fixed") return Number.POSITIVE_INFINITY;
    return Math.max(OVERDUE_MIN_MS, this.smoothedRtt + OVERDUE_DEVIATIONS * this.rttDeviation);
  }

  /** Whether another request may be sent, with `inFlight` in flight in all (overdue ones included). */
  allowsAnother(inFlight: number): boolean {
    return inFlight < this.ceiling && this.inFlight < this.current;
  }

  /** A request in flight went unanswered for overdueAfterMs: it no longer counts against the limit. */
  lapsed(): void {
    this.leaveRound("timed out");
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight === 0) this.lag?.stop();
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

  /** The request started at `startedAt` ended; `lapsed` when lapsed() was called for it. */
  finished(startedAt: number, outcome: RequestOutcome, lapsed = false): void {
    if (!lapsed) {
      this.leaveRound(outcome);
      this.inFlight = Math.max(0, this.inFlight - 1);
      if (this.inFlight === 0) this.lag?.stop();
    }
    if (outcome === "throttled") this.record.throttled++;
    if (this.mode === "fixed" || outcome === "failed" || outcome === "timed out") return;
    const now = this.clock.now();
    this.sampleRtt(now - startedAt);
    if (this.throttleCut !== undefined && now >= this.holdUntil) this.judgeThrottleCut(now, this.throttleCut);
    // Answers to requests sent before the last cut tell of the load before it.
    if (startedAt < this.lastDecreaseAt) return;
    this.answersSinceCut++;
    this.windowAnswers++;
    if (outcome === "throttled") {
      this.throttledSinceCut++;
      this.windowThrottled++;
      const share =
        excessShare(this.throttledSinceCut, this.answersSinceCut, this.toleratedShare) ??
        excessShare(this.windowThrottled, this.windowAnswers, this.toleratedShare);
      if (share !== undefined) this.throttled(now, share);
      return;
    }
    const windowStart = this.windowStart ?? now;
    // A window judges the requests sent under its own limit.
    if (startedAt >= windowStart) this.windowRtt = Math.min(this.windowRtt, now - startedAt);
    const windowMs = Math.max(
      this.slowStart ? SLOW_START_MIN_WINDOW_MS : MIN_WINDOW_MS,
      Number.isFinite(this.floorRtt) ? this.floorRtt : 0,
    );
    if (Number.isFinite(this.windowRtt) && now - windowStart >= windowMs) this.closeWindow(now);
  }

  /**
   * Clearly more than the tolerated share of answers were throttled (`share`): cut; or, while the
   * last throttling cut holds, undo it if it eased throttling less than half as much as a queue's rate would.
   */
  private throttled(now: number, share: number): void {
    const cut = this.throttleCut;
    const sinceCut = this.throttledSinceCut / this.answersSinceCut;
    if (cut !== undefined && uneased(sinceCut, cut)) {
      this.undo(now, cut, sinceCut);
      return;
    }
    // The last cut eased throttling, though not enough: it is the connector's load.
    if (cut !== undefined) this.toleratedShare = THROTTLED_SHARE_TOLERATED;
    const factor = Math.min(THROTTLE_DECREASE, Math.max(THROTTLE_DECREASE_MOST, 1 - share));
    this.throttleCut = { before: this.value, slowStart: this.slowStart, share, factor };
    this.decrease(now, factor, "throttled");
    if (this.inFlight >= MIN_ANSWERS_JUDGED) {
      this.round = { before: this.throttleCut.before, size: this.inFlight, pending: this.inFlight, throttled: 0 };
    }
    const recent = now - this.lastThrottleCutAt <= THROTTLE_HOLDS_RECENT * this.holdMs;
    this.holdMs = recent ? Math.min(THROTTLE_HOLD_MOST_MS, 2 * this.holdMs) : THROTTLE_HOLD_MS;
    this.lastThrottleCutAt = now;
    this.holdUntil = now + this.holdMs;
  }

  /**
   * The hold after a throttling cut is over: the cut stands, unless it eased throttling less than half
   * as much as a queue's rate would.
   */
  private judgeThrottleCut(now: number, cut: ThrottleCut): void {
    this.throttleCut = undefined;
    const sinceCut = this.throttledSinceCut / this.answersSinceCut;
    if (this.throttledSinceCut >= 2 && this.answersSinceCut >= MIN_ANSWERS_JUDGED && uneased(sinceCut, cut)) {
      this.undo(now, cut, sinceCut);
    } else {
      // The cut eased throttling: it was the connector's load, and only the first share is tolerated again.
      this.toleratedShare = THROTTLED_SHARE_TOLERATED;
    }
  }

  /** Takes a throttling cut back, and tolerates from then on the share throttled (`share`) that it did not ease. */
  private undo(now: number, cut: ThrottleCut, share: number): void {
    this.throttleCut = undefined;
    this.round = undefined;
    this.toleratedShare = Math.min(THROTTLING_BACKGROUND_MOST, Math.max(this.toleratedShare, share * THROTTLING_BACKGROUND_MARGIN));
    this.holdUntil = Number.NEGATIVE_INFINITY;
    this.holdMs = 0;
    this.slowStart = cut.slowStart;
    this.change(now, cut.before, "undone");
  }

  /** RFC 6298's smoothing of round trips, for overdueAfterMs. */
  private sampleRtt(rtt: number): void {
    if (this.smoothedRtt === 0) {
      this.smoothedRtt = rtt;
      this.rttDeviation = rtt / 2;
      return;
    }
    this.rttDeviation += (Math.abs(this.smoothedRtt - rtt) - this.rttDeviation) / 4;
    this.smoothedRtt += (rtt - this.smoothedRtt) / 8;
  }

  /** The limit before the cut, cut by the share of the round throttled so far. */
  private roundCap(round: CutRound): number {
    return Math.max(1, Math.floor(round.before * (1 - round.throttled / round.size)));
  }

  /** One of the requests in flight is answered with `outcome`, or lapses. */
  private leaveRound(outcome: RequestOutcome): void {
    const round = this.round;
    if (round === undefined) return;
    round.pending--;
    if (outcome === "throttled") round.throttled++;
    if (round.pending <= 0) this.closeRound(this.clock.now());
  }

  /** The round after a throttling cut is over (or a cut comes first): the limit keeps what the round left of it. */
  private closeRound(now: number): void {
    const round = this.round;
    if (round === undefined) return;
    this.round = undefined;
    const cap = this.roundCap(round);
    if (cap >= this.limit) return;
    const cut = this.throttleCut;
    if (cut !== undefined) {
      // The cut is judged by how deep it went and by the share of its round trip throttled.
      cut.factor = cap / round.before;
      cut.share = Math.max(cut.share, round.throttled / round.size);
    }
    this.set(now, cap, "throttled");
  }

  /** Delivery stopped: what was in flight will never finish. */
  abandon(): void {
    this.round = undefined;
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
        // Round trips tell of the load now: a throttling cut before them is no longer to be undone.
        this.throttleCut = undefined;
        this.decrease(now, Math.min(LATENCY_DECREASE, Math.max(LATENCY_DECREASE_MOST, threshold / rtt)), "latency");
      }
      return;
    }
    this.limitBeforeLatencyCuts = undefined;
    if (allSlotsUsed && this.limit < this.ceiling && now >= this.holdUntil) {
      const next = this.slowStart ? this.value * 2 : this.value + Math.max(1, (this.value * PROBE_GROWTH_PER_SECOND * windowMs) / 1000);
      this.set(now, next, this.slowStart ? "slow start" : "probing");
    }
    this.newWindow(now);
  }

  private decrease(now: number, factor: number, reason: LimitChangeReason): void {
    this.closeRound(now);
    this.slowStart = false;
    this.change(now, this.value * factor, reason);
  }

  /** A cut, or its undoing: answers to requests sent before it no longer count. */
  private change(now: number, value: number, reason: LimitChangeReason): void {
    this.lastDecreaseAt = now;
    this.answersSinceCut = 0;
    this.throttledSinceCut = 0;
    this.set(now, value, reason);
    this.newWindow(now);
  }

  private newWindow(now: number): void {
    this.windowStart = now;
    this.windowRtt = Number.POSITIVE_INFINITY;
    this.windowAnswers = 0;
    this.windowThrottled = 0;
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
