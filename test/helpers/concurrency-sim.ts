import {
  type Clock,
  ConcurrencyLimit,
  type ConcurrencyLimitOptions,
  type LimitChange,
  type RequestOutcome,
} from "../../src/delivery/concurrency-limit.js";
import type { LagMeter } from "../../src/delivery/event-loop-lag.js";

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

/** A connector that never stalls, or stalls as long as `stallMs` says at each window. */
export function fakeLag(stallMs = 0): LagMeter {
  return { start: () => undefined, stop: () => undefined, takeLongestMs: () => stallMs };
}

/** What goes wrong with a request now and then, whatever the load: an error answer, or no answer at all. */
export type SimulatedFault = "throttled" | "failed" | "no answer";

/** How the simulated queue answers a request sent at `now` with `inFlight` requests in flight (itself included). */
export interface SimulatedQueue {
  roundTripMs(now: number, inFlight: number): number;
  throttles?(now: number): boolean;
  /** A fault drawn for the request, independent of the load. */
  fault?(now: number): SimulatedFault | undefined;
}

export interface SimulationResult {
  limit: ConcurrencyLimit;
  changes: LimitChange[];
  /** The limit after each request start, with its time. */
  samples: { at: number; limit: number; inFlight: number }[];
  requests: number;
  throttled: number;
  /** Requests answered (not throttled) per second, by whole second of simulated time. */
  answeredPerSecond: number[];
  /** The longest spell in which nothing was in flight but requests that will never be answered, while the ceiling left room. */
  longestIdleBehindUnansweredMs: number;
}

interface Pending {
  startedAt: number;
  outcome: RequestOutcome;
  /** Past the limit's overdue time: no longer counted against it. */
  lapsed: boolean;
  ended: boolean;
}

interface SimEvent {
  at: number;
  request: Pending;
  /** The request becomes overdue (true) or ends (false). */
  lapses: boolean;
}

/** A binary min-heap of events by time. */
class EventHeap {
  private readonly items: SimEvent[] = [];
  get size(): number {
    return this.items.length;
  }
  push(item: SimEvent): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= items[i]!.at) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }
  pop(): SimEvent | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && items[left]!.at < items[smallest]!.at) smallest = left;
        if (right < items.length && items[right]!.at < items[smallest]!.at) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}

export interface SimulationOptions extends Partial<ConcurrencyLimitOptions> {
  /** At most this many requests' worth ready to send at once; default unlimited. */
  sourceInFlight?: number;
  /** When a request that gets no answer ends, as request_timeout_seconds does; default 30 s. */
  requestTimeoutMs?: number;
  /**
   * A connector whose thread is busy at start-up: until `untilMs` it reads answers (and so sends)
   * only every `everyMs`, in bunches, as while it starts and V8 compiles its hot code.
   */
  busyStart?: { everyMs: number; untilMs: number };
}

/**
 * Runs a ConcurrencyLimit against a simulated queue on a fake clock for `durationMs`, as Delivery
 * drives it: a source that always has another batch ready (or at most `sourceInFlight` requests'
 * worth), requests sent while the limit allows, unanswered ones overdue after the limit's time and
 * timed out after `requestTimeoutMs`.
 */
export function simulate(queue: SimulatedQueue, durationMs: number, options: SimulationOptions = {}): SimulationResult {
  const clock = new FakeClock();
  const changes: LimitChange[] = [];
  const ceiling = options.ceiling ?? 512;
  const limit = new ConcurrencyLimit({
    mode: "adaptive",
    lag: fakeLag(),
    ...options,
    ceiling,
    clock,
    onChange: (change) => changes.push(change),
  });
  const events = new EventHeap();
  const result: SimulationResult = {
    limit,
    changes,
    samples: [],
    requests: 0,
    throttled: 0,
    answeredPerSecond: [],
    longestIdleBehindUnansweredMs: 0,
  };
  let idleSince: number | undefined;
  const sourceInFlight = options.sourceInFlight ?? Number.POSITIVE_INFINITY;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  let inFlight = 0;
  let unanswered = 0;
  while (clock.t < durationMs) {
    while (limit.allowsAnother(inFlight) && inFlight < sourceInFlight) {
      const startedAt = limit.started();
      inFlight++;
      const fault = queue.fault?.(clock.t) ?? (queue.throttles?.(clock.t) ? "throttled" : undefined);
      const roundTrip = queue.roundTripMs(clock.t, inFlight);
      const outcome: RequestOutcome =
        fault === "no answer" ? "timed out" : fault === "throttled" ? "throttled" : fault === "failed" ? "failed" : "answered";
      const request: Pending = { startedAt, outcome, lapsed: false, ended: false };
      const endsAfterMs = fault === "no answer" ? timeoutMs : roundTrip;
      if (fault === "no answer") unanswered++;
      events.push({ at: clock.t + endsAfterMs, request, lapses: false });
      const overdueMs = limit.overdueAfterMs;
      if (overdueMs < endsAfterMs) events.push({ at: clock.t + overdueMs, request, lapses: true });
      result.requests++;
      result.samples.push({ at: clock.t, limit: limit.current, inFlight });
    }
    const next = events.pop()!;
    const idle = unanswered === inFlight && inFlight < ceiling;
    if (idle) idleSince ??= clock.t;
    else idleSince = undefined;
    // A busy connector reads an answer at its next turn.
    const busy = options.busyStart;
    const readAt = busy && next.at < busy.untilMs ? Math.ceil(next.at / busy.everyMs) * busy.everyMs : next.at;
    clock.t = Math.max(clock.t, readAt);
    if (idleSince !== undefined) {
      result.longestIdleBehindUnansweredMs = Math.max(result.longestIdleBehindUnansweredMs, clock.t - idleSince);
    }
    const { request } = next;
    if (next.lapses) {
      if (!request.ended) {
        request.lapsed = true;
        limit.lapsed();
      }
      continue;
    }
    request.ended = true;
    inFlight--;
    if (request.outcome === "timed out") unanswered--;
    if (request.outcome === "throttled") result.throttled++;
    else if (request.outcome === "answered") {
      const second = Math.floor(clock.t / 1000);
      result.answeredPerSecond[second] = (result.answeredPerSecond[second] ?? 0) + 1;
    }
    limit.finished(request.startedAt, request.outcome, request.lapsed);
  }
  return result;
}

/** A token bucket: `perSecond` requests a second, bursts of up to `burst`; beyond that, throttled. */
export function tokenBucket(perSecond: number, burst: number): (now: number) => boolean {
  let tokens = burst;
  let last = 0;
  return (now) => {
    tokens = Math.min(burst, tokens + ((now - last) * perSecond) / 1000);
    last = now;
    if (tokens < 1) return true;
    tokens--;
    return false;
  };
}

/** The limit in force at time `at`. */
export function limitAt(result: SimulationResult, at: number): number {
  let value = result.samples[0]?.limit ?? 0;
  for (const sample of result.samples) {
    if (sample.at > at) break;
    value = sample.limit;
  }
  return value;
}
