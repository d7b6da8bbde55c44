import { type Clock, ConcurrencyLimit, type ConcurrencyLimitOptions, type LimitChange } from "../../src/delivery/concurrency-limit.js";
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

/** How the simulated queue answers a request sent at `now` with `inFlight` requests in flight (itself included). */
export interface SimulatedQueue {
  roundTripMs(now: number, inFlight: number): number;
  throttles?(now: number): boolean;
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
}

interface Pending {
  at: number;
  startedAt: number;
  throttled: boolean;
}

/** A binary min-heap of pending answers by time. */
class AnswerHeap {
  private readonly items: Pending[] = [];
  get size(): number {
    return this.items.length;
  }
  push(item: Pending): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= items[i]!.at) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }
  pop(): Pending | undefined {
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

/**
 * Runs a ConcurrencyLimit against a simulated queue on a fake clock for `durationMs`, with a source
 * that always has another batch ready (or at most `sourceInFlight` requests' worth).
 */
export function simulate(
  queue: SimulatedQueue,
  durationMs: number,
  options: Partial<ConcurrencyLimitOptions> & { sourceInFlight?: number } = {},
): SimulationResult {
  const clock = new FakeClock();
  const changes: LimitChange[] = [];
  const limit = new ConcurrencyLimit({
    mode: "adaptive",
    ceiling: 512,
    lag: fakeLag(),
    ...options,
    clock,
    onChange: (change) => changes.push(change),
  });
  const pending = new AnswerHeap();
  const result: SimulationResult = { limit, changes, samples: [], requests: 0, throttled: 0, answeredPerSecond: [] };
  const sourceInFlight = options.sourceInFlight ?? Number.POSITIVE_INFINITY;
  while (clock.t < durationMs) {
    while (pending.size < limit.current && pending.size < sourceInFlight) {
      const startedAt = limit.started();
      const inFlight = pending.size + 1;
      const throttled = queue.throttles?.(clock.t) ?? false;
      pending.push({ at: clock.t + queue.roundTripMs(clock.t, inFlight), startedAt, throttled });
      result.requests++;
      result.samples.push({ at: clock.t, limit: limit.current, inFlight });
    }
    const next = pending.pop()!;
    clock.t = next.at;
    if (next.throttled) result.throttled++;
    else {
      const second = Math.floor(clock.t / 1000);
      result.answeredPerSecond[second] = (result.answeredPerSecond[second] ?? 0) + 1;
    }
    limit.finished(next.startedAt, next.throttled ? "throttled" : "answered");
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
