import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConcurrencyLimit,
  INITIAL_LIMIT,
  LATENCY_DECREASE,
  LATENCY_DECREASE_MOST,
  MIN_ANSWERS_JUDGED,
  MIN_WINDOW_MS,
  OVERDUE_MIN_MS,
  THROTTLE_DECREASE,
  THROTTLE_DECREASE_MOST,
  THROTTLE_HOLD_MOST_MS,
  THROTTLE_HOLD_MS,
} from "../src/delivery/concurrency-limit.js";
import { Delivery } from "../src/delivery/delivery.js";
import { EventLoopLag } from "../src/delivery/event-loop-lag.js";
import { classifySendError, isThrottlingCode, isThrottlingError, type SendFailure, sendFailureOf } from "../src/aws/send-failure.js";
import type { BatchSender, DeliveryOptions, OutgoingMessage } from "../src/delivery/types.js";
import { FakeClock, fakeLag, limitAt, simulate, tokenBucket } from "./helpers/concurrency-sim.js";
import { seededRandom } from "./helpers/seeded-random.js";
import { eventually, FakeSender, outgoing, serviceError, succeedAll, throttlingError } from "./helpers/delivery-fakes.js";

const steady = (ms: number) => ({ roundTripMs: () => ms });

/** An adaptive limit on a fake clock, with a connector that never stalls. */
function adaptiveLimit(ceiling = 512): { clock: FakeClock; limit: ConcurrencyLimit } {
  const clock = new FakeClock();
  return { clock, limit: new ConcurrencyLimit({ mode: "adaptive", ceiling, clock, lag: fakeLag() }) };
}

/** Starts `count` requests at the clock's time; returns their start times. */
function start(limit: ConcurrencyLimit, count: number): number[] {
  return Array.from({ length: count }, () => limit.started());
}

describe("adaptive concurrency: growth", () => {
  it("starts at 16 and doubles each window while every slot is used and round trips stay at their floor", () => {
    const { clock, limit } = adaptiveLimit();
    assert.equal(limit.current, INITIAL_LIMIT);
    for (const expected of [32, 64, 128]) {
      const started = start(limit, limit.current);
      clock.t += MIN_WINDOW_MS;
      for (const at of started) limit.finished(at, "answered");
      assert.equal(limit.current, expected);
    }
  });

  it("at 80 ms round trips, doubles every round trip in slow start: the ceiling within half a second", () => {
    const result = simulate(steady(80), 3_000);
    assert.equal(limitAt(result, 500), 512, `limit ${limitAt(result, 500)} after 500 ms`);
  });

  it("does not grow while the source cannot fill the slots it has", () => {
    const result = simulate(steady(20), 3_000, { sourceInFlight: 5 });
    assert.equal(result.limit.current, INITIAL_LIMIT);
    assert.deepEqual(result.changes, []);
  });

  it("never exceeds the ceiling, and never has more in flight than the limit", () => {
    const result = simulate(steady(5), 5_000, { ceiling: 40 });
    assert.equal(result.limit.current, 40);
    assert.ok(result.samples.every((sample) => sample.limit <= 40 && sample.inFlight <= sample.limit));
  });

  it("after a throttling cut, holds the limit for a second, then grows again by probing: 10% per 100 ms, at least 1 a window", () => {
    const { clock, limit } = adaptiveLimit();
    for (const at of start(limit, MIN_ANSWERS_JUDGED)) limit.finished(at, "throttled");
    const cut = Math.floor(INITIAL_LIMIT * THROTTLE_DECREASE_MOST);
    assert.equal(limit.current, cut);
    while (clock.t < THROTTLE_HOLD_MS) {
      assert.equal(limit.current, cut, `held at ${clock.t} ms`);
      const started = start(limit, cut);
      clock.t += MIN_WINDOW_MS;
      for (const at of started) limit.finished(at, "answered");
    }
    assert.equal(limit.current, cut + 1);
  });
});

describe("adaptive concurrency: backing off", () => {
  it("cuts the limit at once, to the share not throttled, when clearly more than 2% of answers are throttled; once per round trip", () => {
    const { clock, limit } = adaptiveLimit();
    const started = start(limit, 40);
    clock.t += 10;
    for (const at of started.slice(0, 17)) limit.finished(at, "answered");
    limit.finished(started[17]!, "throttled");
    limit.finished(started[18]!, "throttled");
    assert.equal(limit.current, 16, "two throttles in 19 answers are tolerated: too few answers to judge");
    limit.finished(started[19]!, "throttled");
    const cut = 16 * (1 - 3 / 20);
    assert.equal(limit.current, Math.floor(cut), "3 of 20 answers throttled: the limit keeps 85%");
    // The other answers were sent before the cut, throttled no more often than those that caused it: no second cut.
    for (const [n, at] of started.slice(20).entries()) limit.finished(at, n < 3 ? "throttled" : "answered");
    assert.equal(limit.current, Math.floor(cut));
    const later = start(limit, MIN_ANSWERS_JUDGED);
    clock.t += 20;
    for (const at of later) limit.finished(at, "throttled");
    assert.equal(limit.current, Math.floor(cut * THROTTLE_DECREASE_MOST), "every answer throttled: halved, no more");
    assert.equal(limit.stats.throttled, 26);
  });

  it("does not take requests that get no answer, or fail, for overload: round trips and throttling tell of that", () => {
    const { clock, limit } = adaptiveLimit();
    const started = start(limit, 16);
    clock.t += 1_000;
    for (const at of started.slice(0, 8)) limit.finished(at, "timed out");
    for (const at of started.slice(8)) limit.finished(at, "failed");
    assert.equal(limit.current, 16);
    assert.deepEqual(limit.stats, { mode: "adaptive", limit: 16, min: 16, max: 16, mean: 16, changes: 0, throttled: 0 });
  });

  it("cuts when clearly more than 2% of a window's answers are throttled, however many answered since the last cut", () => {
    const { clock, limit } = adaptiveLimit();
    for (let window = 0; window < 20; window++) {
      const started = start(limit, limit.current);
      clock.t += MIN_WINDOW_MS;
      for (const at of started) limit.finished(at, "answered");
    }
    assert.equal(limit.current, 512);
    const started = start(limit, 100);
    clock.t += MIN_WINDOW_MS;
    // The first answer closes the last window; the others are the new window's.
    for (const at of started.slice(0, 90)) limit.finished(at, "answered");
    for (const at of started.slice(90, 96)) limit.finished(at, "throttled");
    assert.equal(limit.current, 512, "6 of 95: within chance of 2%");
    limit.finished(started[96]!, "throttled");
    assert.equal(
      limit.current,
      Math.floor(512 * THROTTLE_DECREASE),
      "7 of the window's 96 answers, though far fewer of all since the start: a gentle cut",
    );
  });

  it("holds twice as long after each throttling cut that comes soon after the last, up to THROTTLE_HOLD_MOST_MS: a rate limit is probed less often", () => {
    const { clock, limit } = adaptiveLimit(INITIAL_LIMIT);
    const holdOf = (): number => {
      // Throttling well past the tolerated share cuts; then, unthrottled, the limit holds, then grows.
      const throttledAt = clock.t;
      const throttled = start(limit, MIN_ANSWERS_JUDGED);
      clock.t += 10;
      for (const at of throttled) limit.finished(at, "throttled");
      const cut = limit.current;
      while (limit.current <= cut) {
        const started = start(limit, limit.current);
        clock.t += MIN_WINDOW_MS;
        for (const at of started) limit.finished(at, "answered");
      }
      return clock.t - throttledAt;
    };
    const holds = [holdOf(), holdOf(), holdOf(), holdOf()];
    assert.equal(THROTTLE_HOLD_MOST_MS, 4 * THROTTLE_HOLD_MS);
    // Each measured from the throttling to the first window closed after the hold.
    const expected = [1, 2, 4, 4].map((times) => times * THROTTLE_HOLD_MS);
    for (const [n, ms] of holds.entries()) {
      assert.ok(ms >= expected[n]! && ms <= expected[n]! + 2 * MIN_WINDOW_MS, `holds of ${holds} ms`);
    }
    // A calm spell of several holds: the next cut holds for the first time again.
    for (let n = 0; n < 400; n++) {
      const started = start(limit, limit.current);
      clock.t += MIN_WINDOW_MS;
      for (const at of started) limit.finished(at, "answered");
    }
    assert.ok(holdOf() <= THROTTLE_HOLD_MS + MIN_WINDOW_MS);
  });

  for (const roundTripMs of [20, 22, 25]) {
    for (const burst of [30, 60]) {
      it(`throttles at most 3.5% of a 20-second sync's requests, start-up included, against a token bucket (bursts of ${burst}, ${roundTripMs} ms) and uses 85% of its rate`, () => {
        const result = simulate({ roundTripMs: () => roundTripMs, throttles: tokenBucket(300, burst) }, 20_000);
        const answered = result.answeredPerSecond.reduce((sum, count) => sum + count, 0);
        assert.ok(result.throttled <= 0.035 * result.requests, `${result.throttled} of ${result.requests} throttled`);
        assert.ok(answered >= 0.85 * 300 * 20, `${answered} answered`);
      });
    }
  }

  it("after a throttling cut, sends nothing in place of a request in flight at the cut that is throttled: the limit ends at the share of that round trip accepted", () => {
    const { clock, limit } = adaptiveLimit();
    for (const expected of [32, 64, 128]) {
      const started = start(limit, limit.current);
      clock.t += MIN_WINDOW_MS;
      for (const at of started) limit.finished(at, "answered");
      assert.equal(limit.current, expected);
    }
    // Slow start's last doubling overran a token bucket: its burst covers the first 40 requests, each replaced as it is answered.
    const round = start(limit, 128);
    clock.t += 20;
    for (const at of round.slice(0, 40)) limit.finished(at, "answered");
    round.push(...start(limit, 40));
    clock.t += 1;
    for (const at of round.slice(40, 48)) limit.finished(at, "throttled");
    assert.equal(limit.current, Math.floor(128 * THROTTLE_DECREASE), "8 of the window's 111 answers throttled: the gentlest cut");
    // The 120 requests in flight were sent before the first throttled answer; the bucket accepts 1 in 5 of them, at its rate.
    let inFlight = 120;
    let sent = 0;
    for (const [n, at] of round.slice(48).entries()) {
      limit.finished(at, n % 5 === 4 ? "answered" : "throttled");
      inFlight--;
      while (limit.allowsAnother(inFlight)) {
        limit.started();
        inFlight++;
        sent++;
      }
    }
    assert.equal(limit.current, Math.floor(128 * (1 - 96 / 120)), "the limit before the cut, less the 80% of its round trip throttled");
    assert.ok(sent <= limit.current, `${sent} requests sent while that round trip was answered: no more than the limit it ends at`);
  });

  for (const burst of [60, 300]) {
    for (const roundTripMs of [20, 25]) {
      for (const busyMs of [0, 27]) {
        it(`throttles little more than one round trip when slow start runs through a token bucket's burst (bursts of ${burst}, ${roundTripMs} ms, answers read ${busyMs ? `every ${busyMs} ms at start-up` : "at once"})`, () => {
          const bucket = tokenBucket(300, burst);
          let throttledAtStart = 0;
          const throttles = (now: number): boolean => {
            const throttled = bucket(now);
            if (throttled && now < 1_000) throttledAtStart++;
            return throttled;
          };
          const busyStart = busyMs ? { busyStart: { everyMs: busyMs, untilMs: 1_000 } } : {};
          const result = simulate({ roundTripMs: () => roundTripMs, throttles }, 3_000, busyStart);
          const overrun = result.limit.stats.max;
          assert.ok(
            throttledAtStart <= 1.2 * overrun,
            `${throttledAtStart} requests throttled in the first second, slow start reached ${overrun}`,
          );
        });
      }
    }
  }

  it("tolerates a throttle now and then: 2 in 200 answers do not cut", () => {
    const { clock, limit } = adaptiveLimit();
    for (let n = 0; n < 200; n++) {
      const at = limit.started();
      clock.t += 1;
      limit.finished(at, n === 50 || n === 150 ? "throttled" : "answered");
    }
    assert.equal(limit.stats.throttled, 2);
    assert.ok(limit.current >= INITIAL_LIMIT, `limit ${limit.current}`);
    assert.ok(!limit.stats.changes || limit.stats.min >= INITIAL_LIMIT);
  });

  it("cuts the limit when a window's round trips climb above twice their floor, harder the higher they are", () => {
    const { clock, limit } = adaptiveLimit();
    const window = (count: number, roundTripMs: number): void => {
      const started = start(limit, count);
      clock.t += roundTripMs;
      for (const at of started) limit.finished(at, "answered");
    };
    window(16, 100);
    assert.equal(limit.current, 32, "floor 100 ms: the threshold is 205 ms");
    window(32, 220);
    assert.equal(limit.current, Math.floor(32 * LATENCY_DECREASE));
    window(28, 1_000);
    assert.equal(limit.current, Math.floor(32 * LATENCY_DECREASE * LATENCY_DECREASE_MOST));
  });

  it("does not take the connector's own stalls for a queue: they raise the threshold", () => {
    const clock = new FakeClock();
    let stallMs = 0;
    const limit = new ConcurrencyLimit({
      mode: "adaptive",
      ceiling: 512,
      clock,
      lag: { start: () => undefined, stop: () => undefined, takeLongestMs: () => stallMs },
    });
    const window = (count: number, roundTripMs: number): void => {
      const started = start(limit, count);
      clock.t += roundTripMs;
      for (const at of started) limit.finished(at, "answered");
    };
    window(16, 100);
    assert.equal(limit.current, 32);
    stallMs = 150;
    window(32, 300);
    assert.equal(limit.current, 64, "a 300 ms round trip while the connector stalled 150 ms is under 100 × 2 + 5 + 150");
    stallMs = 0;
    window(64, 300);
    assert.equal(limit.current, Math.floor(64 * (205 / 300)), "without the stall it is a queue");
  });

  it("settles where a saturated queue's round trips reach about twice their floor, far below the ceiling", () => {
    // Serves 50 requests per 20 ms; beyond that, requests wait in its queue (45 ms at 112 in flight).
    const saturating = { roundTripMs: (_now: number, inFlight: number) => 20 + Math.max(0, inFlight - 50) * 0.4 };
    const result = simulate(saturating, 20_000);
    const late = result.samples.filter((sample) => sample.at > 10_000).map((sample) => sample.limit);
    assert.ok(Math.max(...late) <= 160, `limit up to ${Math.max(...late)}`);
    assert.ok(Math.min(...late) >= 50, `limit down to ${Math.min(...late)}: the queue's capacity is left unused`);
  });

  for (const burst of [30, 60, 300]) {
    it(`keeps throttling rare against a token bucket (bursts of ${burst}) and uses most of its rate`, () => {
      // 300 requests/s, 20 ms round trips: about 6 requests in flight fit.
      const result = simulate({ roundTripMs: () => 20, throttles: tokenBucket(300, burst) }, 60_000);
      const steadyRate = result.answeredPerSecond.slice(10, 60);
      const mean = steadyRate.reduce((sum, count) => sum + count, 0) / steadyRate.length;
      assert.ok(mean >= 0.9 * 300, `${mean} requests/s answered`);
      assert.ok(result.throttled <= 0.025 * result.requests, `${result.throttled} of ${result.requests} throttled`);
    });

    it(`keeps throttled requests within 5% of all against a token bucket (bursts of ${burst}) when answers are read every 27 ms at start-up`, () => {
      const result = simulate({ roundTripMs: () => 20, throttles: tokenBucket(300, burst) }, 60_000, {
        busyStart: { everyMs: 27, untilMs: 1_000 },
      });
      assert.ok(result.throttled <= 0.05 * result.requests, `${result.throttled} of ${result.requests} throttled`);
    });
  }

  it("never goes below 1, however long the throttling lasts", () => {
    const result = simulate({ roundTripMs: () => 10, throttles: () => true }, 5_000);
    assert.equal(result.limit.current, 1);
    assert.ok(result.samples.every((sample) => sample.limit >= 1));
  });
});

/**
 * An adaptive limit with a ceiling of 64 that notes why it moved, and `window(throttledEvery)`: one
 * window of MIN_WINDOW_MS with every slot used, every `throttledEvery`-th answer throttled (none when 0).
 */
function throttlingRig(): { limit: ConcurrencyLimit; clock: FakeClock; reasons: string[]; window(throttledEvery: number): void } {
  const clock = new FakeClock();
  const reasons: string[] = [];
  const limit = new ConcurrencyLimit({
    mode: "adaptive",
    ceiling: 64,
    clock,
    lag: fakeLag(),
    onChange: (change) => reasons.push(change.reason),
  });
  const window = (throttledEvery: number): void => {
    const started = start(limit, limit.current);
    clock.t += MIN_WINDOW_MS;
    for (let n = 0; n < started.length; n++) {
      const throttled = throttledEvery > 0 && n % throttledEvery === throttledEvery - 1;
      limit.finished(started[n]!, throttled ? "throttled" : "answered");
    }
  };
  return { limit, clock, reasons, window };
}

/** Ramps the rig's limit to its ceiling of 64, then throttles 1 in 12 answers (8%): returns the cut limit. */
function cutAfterRamp(window: (throttledEvery: number) => void, limit: ConcurrencyLimit): number {
  window(0);
  window(0);
  assert.equal(limit.current, 64);
  window(12);
  assert.ok(limit.current < 64, "the first throttles cut the limit");
  return limit.current;
}

describe("adaptive concurrency: faults that are not overload", () => {
  /** Throttles answered at random, at `share` of requests, whatever the load. */
  const randomThrottles = (share: number, seed: number) => {
    const random = seededRandom(seed);
    return () => random() < share;
  };

  it("undoes a throttling cut when requests sent at the lower limit are throttled as often, and tolerates that share from then on", () => {
    // 16 → 32 → 64, then 1 in 12 answers throttled (8%), before and after the cut alike.
    const { limit, clock, reasons, window } = throttlingRig();
    window(0);
    window(0);
    assert.equal(limit.current, 64);
    window(12);
    assert.equal(limit.current, Math.floor(64 * THROTTLE_DECREASE), "the first throttles cut the limit");
    window(12);
    assert.equal(limit.current, 64, "the cut did not make throttling rarer: it is undone");
    assert.deepEqual(reasons.slice(-2), ["throttled", "undone"]);
    for (let n = 0; n < 20; n++) window(12);
    assert.equal(limit.current, 64, "the same share no longer cuts");
    window(4);
    const overrun = limit.current;
    assert.ok(overrun < 64, "a share well above the tolerated one still cuts");
    const holdEnds = clock.t - MIN_WINDOW_MS + THROTTLE_HOLD_MS;
    while (clock.t <= holdEnds) window(0);
    const stood = limit.current;
    assert.ok(stood >= overrun && stood < 64, `limit ${stood}: that cut eased throttling, so it stands`);
    window(12);
    assert.ok(limit.current < stood, "once a cut eased throttling, only the first share is tolerated again");
  });

  it("undoes a throttling cut at the end of its hold when throttling went on almost as often, though too rarely to cut again", () => {
    const { limit, clock, reasons, window } = throttlingRig();
    // 1 in 20 answers throttled (5%) until that clearly exceeds 2%; then 1 in 25, 2 of each window's 57 (3.5%).
    window(0);
    window(0);
    while (limit.current === 64) window(20);
    const cut = limit.current;
    assert.equal(cut, Math.floor(64 * THROTTLE_DECREASE));
    const holdEnds = clock.t - MIN_WINDOW_MS + THROTTLE_HOLD_MS;
    while (clock.t < holdEnds) {
      window(25);
      assert.equal(limit.current, cut, `held at ${clock.t} ms`);
    }
    window(25);
    assert.deepEqual(reasons.slice(-2), ["throttled", "undone"], `${reasons}`);
    assert.equal(limit.current, 64);
  });

  it("keeps a throttling cut after which requests were throttled far less often, as a queue past its rate does", () => {
    const { limit, reasons, window } = throttlingRig();
    const cut = cutAfterRamp(window, limit);
    for (let n = 0; n < 5; n++) window(0);
    window(12);
    assert.ok(limit.current < cut, `limit ${limit.current}: throttling came back only after a calm spell, so it is the load`);
    assert.deepEqual(reasons.slice(-2), ["throttled", "throttled"]);
  });

  it("keeps a throttling cut after which throttling fell by more than half, as a queue past its rate's does, though not to a quarter", () => {
    const { limit, clock, reasons, window } = throttlingRig();
    window(0);
    window(0);
    // 1 in 5 throttled (20%): cut to 80%, where a queue past its rate would throttle none; 1 in 14 (6%) after it.
    window(5);
    const cut = limit.current;
    assert.ok(cut <= 64 * 0.8 && cut >= 64 * 0.75, `limit ${cut}`);
    const holdEnds = clock.t - MIN_WINDOW_MS + THROTTLE_HOLD_MS;
    while (clock.t <= holdEnds) window(14);
    assert.equal(reasons.slice(0, 3).join(), "slow start,slow start,throttled");
    assert.notEqual(reasons[3], "undone", `${reasons}: the cut stands (what comes after it is judged on its own)`);
  });

  it("takes a request unanswered past TCP's retransmission timeout (at least a second) out of the limit's count, never out of the ceiling's", () => {
    const { clock, limit } = adaptiveLimit(20);
    assert.equal(limit.overdueAfterMs, OVERDUE_MIN_MS);
    const first = start(limit, 16);
    clock.t += 2_000;
    for (const at of first) limit.finished(at, "answered");
    assert.equal(limit.current, 20);
    // Steady 2 s round trips: the smoothed round trip plus four times a small deviation.
    assert.ok(limit.overdueAfterMs > 2_000 && limit.overdueAfterMs < 2_100, `overdue after ${limit.overdueAfterMs} ms`);
    start(limit, 20);
    assert.equal(limit.allowsAnother(20), false);
    limit.lapsed();
    limit.lapsed();
    assert.equal(limit.allowsAnother(20), false, "the ceiling counts every request in flight");
    assert.equal(limit.allowsAnother(19), true);
    assert.equal(new ConcurrencyLimit({ mode: "fixed", ceiling: 20, clock }).overdueAfterMs, Number.POSITIVE_INFINITY);
  });

  for (const roundTripMs of [2, 20]) {
    for (const faultShare of [0.01, 0.05, 0.25]) {
      it(`under ${faultShare * 100}% random faults at ${roundTripMs} ms, answers as much as fixed at the same ceiling, idle behind unanswered requests no longer than it takes to see them overdue`, () => {
        // As the fault proxy draws them: 503, RequestThrottled, a reset after storing, no answer, a partial failure.
        const kinds = ["failed", "throttled", "failed", "no answer", undefined] as const;
        const queue = (seed: number) => {
          const random = seededRandom(seed);
          return {
            roundTripMs: () => roundTripMs,
            fault: () => (random() < faultShare ? kinds[Math.floor(random() * kinds.length)] : undefined),
          };
        };
        const options = { ceiling: 64, requestTimeoutMs: 5_000 };
        const adaptive = simulate(queue(11), 12_000, options);
        const fixed = simulate(queue(11), 12_000, { ...options, mode: "fixed" });
        const answered = (result: typeof adaptive) => result.answeredPerSecond.reduce((sum, count) => sum + count, 0);
        assert.ok(
          answered(adaptive) >= 0.8 * answered(fixed),
          `adaptive ${answered(adaptive)} answers, fixed ${answered(fixed)}; limit mean ${adaptive.limit.stats.mean.toFixed(1)}, min ${adaptive.limit.stats.min}`,
        );
        assert.ok(adaptive.longestIdleBehindUnansweredMs <= OVERDUE_MIN_MS, `idle for ${adaptive.longestIdleBehindUnansweredMs} ms`);
      });
    }
  }

  it("keeps a limit near the ceiling when 5% of requests are throttled at random and none is overload", () => {
    const result = simulate({ roundTripMs: () => 20, throttles: randomThrottles(0.05, 3) }, 20_000, { ceiling: 64 });
    assert.ok(result.limit.stats.mean >= 0.8 * 64, `mean limit ${result.limit.stats.mean}`);
  });
});

describe("adaptive concurrency: latency that changes", () => {
  it("recovers within seconds when latency jumps from 10 ms to 200 ms, and again when it falls back", () => {
    const jumping = { roundTripMs: (now: number) => (now >= 5_000 && now < 15_000 ? 200 : 10) };
    const result = simulate(jumping, 25_000);
    // 512 in flight at 200 ms: the ceiling is the steady limit.
    assert.ok(limitAt(result, 10_000) >= 0.7 * 512, `limit ${limitAt(result, 10_000)} 5 s after the jump up`);
    const answeredAt200 = result.answeredPerSecond[9]!;
    assert.ok(answeredAt200 >= 0.7 * (512 / 0.2), `${answeredAt200} requests/s 4 s after the jump up`);
    const answeredAfter = result.answeredPerSecond[19]!;
    assert.ok(answeredAfter >= 0.7 * (512 / 0.01), `${answeredAfter} requests/s 4 s after the fall`);
  });
});

describe("fixed concurrency", () => {
  it("is exactly max_in_flight whatever happens, and still counts throttled requests", () => {
    const clock = new FakeClock();
    const limit = new ConcurrencyLimit({ mode: "fixed", ceiling: 64, clock });
    for (let round = 0; round < 5; round++) {
      const started = start(limit, 64);
      clock.t += 500;
      for (const at of started) limit.finished(at, round % 2 ? "throttled" : "answered");
    }
    assert.equal(limit.current, 64);
    assert.deepEqual(limit.stats, { mode: "fixed", limit: 64, min: 64, max: 64, mean: 64, changes: 0, throttled: 128 });
  });
});

describe("concurrency stats", () => {
  it("report the limit's range, time-weighted mean and changes", () => {
    const { clock, limit } = adaptiveLimit();
    const started = start(limit, 16);
    clock.t += 100;
    for (const at of started) limit.finished(at, "answered");
    clock.t += 100;
    const stats = limit.stats;
    assert.deepEqual(
      { ...stats, mean: Math.round(stats.mean) },
      {
        mode: "adaptive",
        limit: 32,
        min: 16,
        max: 32,
        mean: 24,
        changes: 1,
        throttled: 0,
      },
    );
  });
});

describe("Delivery under a changing limit", () => {
  it("keeps every FIFO group's order and one batch per group in flight while throttling moves the limit", async () => {
    let answered = 0;
    const sender = new FakeSender(() => (++answered % 9 === 0 ? throttlingError() : undefined), { maxDelayMs: 3 });
    const concurrency = new ConcurrencyLimit({ mode: "adaptive", ceiling: 64 });
    let tooMany = 0;
    const counting = {
      sendBatch: (...args: Parameters<FakeSender["sendBatch"]>) => {
        if (sender.inFlight >= concurrency.current) tooMany++;
        return sender.sendBatch(...args);
      },
    };
    const acknowledged = new Map<string, number[]>();
    const delivery = new Delivery(
      counting,
      { fifo: true, maxInFlight: 64, concurrency, maxBatchBytes: 1_048_576, retryMaxMs: 30_000, lingerMs: 1 },
      {
        acknowledged: (message: OutgoingMessage) => {
          const list = acknowledged.get(message.groupId!) ?? [];
          list.push(message.ticket);
          acknowledged.set(message.groupId!, list);
        },
        rejected: () => assert.fail("nothing is rejected"),
      },
    );
    for (let n = 0; n < 4_000; n++)
      await delivery.submit(outgoing("https://sqs.us-east-1.amazonaws.com/1/q.fifo", n, { groupId: `g${n % 40}` }));
    await delivery.flush();

    assert.equal(sender.maxBatchesPerGroup, 1);
    assert.equal(tooMany, 0);
    assert.ok(concurrency.stats.changes > 0, "the limit moved");
    assert.ok(concurrency.stats.throttled > 0);
    for (let group = 0; group < 40; group++) {
      const tickets = acknowledged.get(`g${group}`)!;
      assert.deepEqual(
        tickets,
        [...tickets].sort((a, b) => a - b),
        `group g${group} in order`,
      );
      assert.equal(tickets.length, 100);
    }
  });
});

describe("what counts as throttling", () => {
  const throttles: [string, SendFailure][] = [
    ["ThrottlingException", throttlingError()],
    ["RequestThrottled", serviceError("RequestThrottled", "slow down")],
    ["KMS.ThrottlingException", serviceError("KMS.ThrottlingException", "KMS rate exceeded")],
    ["KmsThrottled", serviceError("KmsThrottled", "KMS rate exceeded")],
    ["HTTP 429", serviceError("Error", "Too Many Requests", 429)],
  ];
  for (const [label, error] of throttles) {
    it(`${label} is throttling, and retried`, () => {
      assert.equal(isThrottlingError(error), true);
      assert.equal(classifySendError(error).kind, "retry");
    });
  }
  it("a server error, a 503 or a reset connection is not throttling, and is retried", () => {
    assert.equal(isThrottlingError(serviceError("InternalError", "oops", 500)), false);
    const unavailable = serviceError("Error", "Service Unavailable", 503);
    assert.equal(isThrottlingError(unavailable), false);
    assert.equal(classifySendError(unavailable).kind, "retry");
    assert.equal(isThrottlingError(sendFailureOf(Object.assign(new Error("reset"), { code: "ECONNRESET" }))), false);
    assert.equal(isThrottlingCode("InternalError"), false);
    assert.equal(isThrottlingCode("KMS.ThrottlingException"), true);
  });
});

describe("Delivery and the limit", () => {
  const QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
  const options = (concurrency: ConcurrencyLimit): DeliveryOptions => ({
    fifo: false,
    maxInFlight: 512,
    concurrency,
    maxBatchBytes: 1_048_576,
    retryMaxMs: 30_000,
    lingerMs: 1,
  });

  /** How many messages offer() takes before it answers "full", with every request held unanswered. */
  function bufferedBeforeFull(concurrency: ConcurrencyLimit): { buffered: number; inFlight: number } {
    const sender = new FakeSender(() => undefined, { hold: true });
    const delivery = new Delivery(sender, options(concurrency), { acknowledged: () => undefined, rejected: () => undefined });
    let buffered = 0;
    let answer: "queued" | "full" = "queued";
    while (answer === "queued" && buffered < 30_000) {
      answer = delivery.offer(outgoing(QUEUE, buffered));
      buffered++;
    }
    const inFlight = sender.heldCount;
    delivery.abort();
    return { buffered, inFlight };
  }

  it("buffers for the requests the limit allows now, not for the ceiling: at a low limit, 64 requests' worth", () => {
    assert.deepEqual(bufferedBeforeFull(new ConcurrencyLimit({ mode: "adaptive", ceiling: 512 })), {
      buffered: 64 * 10 * 4,
      inFlight: INITIAL_LIMIT,
    });
  });

  it("buffers at a high limit what may be in flight and as much again waiting to be sent", () => {
    assert.deepEqual(bufferedBeforeFull(new ConcurrencyLimit({ mode: "fixed", ceiling: 512 })), { buffered: 512 * 10 * 2, inFlight: 512 });
  });

  it("keeps sending while requests that get no answer fill the adaptive limit, up to the ceiling", async () => {
    // The first 16 requests (the whole starting limit) are never answered until they time out.
    let sent = 0;
    const sender: BatchSender = {
      sendBatch: (_queueUrl, entries, cancellation) =>
        ++sent <= INITIAL_LIMIT ? new Promise((_, reject) => cancellation.onCancel(reject)) : Promise.resolve(succeedAll(entries)),
    };
    const concurrency = new ConcurrencyLimit({ mode: "adaptive", ceiling: 64 });
    let acknowledged = 0;
    const delivery = new Delivery(
      sender,
      { ...options(concurrency), maxInFlight: 64, requestTimeoutMs: 20_000 },
      { acknowledged: () => acknowledged++, rejected: () => assert.fail("nothing is rejected") },
    );
    const startedAt = performance.now();
    for (let n = 0; n < 400; n++) await delivery.submit(outgoing(QUEUE, n));
    const flushed = delivery.flush();
    await eventually(() => acknowledged === 400 - INITIAL_LIMIT * 10, 5_000);
    const waitedMs = performance.now() - startedAt;
    assert.ok(waitedMs < 5_000, `the other messages waited ${waitedMs} ms behind the unanswered requests`);
    delivery.abort();
    await flushed.catch(() => undefined);
  });

  it("takes throttled entries in an answer as throttling", async () => {
    let answered = 0;
    const sender = new FakeSender((request) => {
      if (++answered > MIN_ANSWERS_JUDGED) return undefined;
      const [first, ...rest] = request.entries;
      return {
        successful: succeedAll(rest).successful,
        failed: [{ id: first!.id, senderFault: false, code: "KMS.ThrottlingException", message: "slow down" }],
      };
    });
    const concurrency = new ConcurrencyLimit({ mode: "adaptive", ceiling: 512 });
    const delivery = new Delivery(sender, options(concurrency), { acknowledged: () => undefined, rejected: () => undefined });
    for (let n = 0; n < 200; n++) await delivery.submit(outgoing(QUEUE, n));
    await delivery.flush();
    assert.equal(concurrency.stats.throttled, MIN_ANSWERS_JUDGED);
    assert.equal(concurrency.current, Math.floor(INITIAL_LIMIT * THROTTLE_DECREASE_MOST));
  });
});

describe("EventLoopLag", () => {
  it("measures how long the thread could not run its timers, and forgets it once read", async () => {
    const lag = new EventLoopLag();
    lag.start();
    const blockedUntil = performance.now() + 60;
    while (performance.now() < blockedUntil) {
      // The thread is busy: no timer can run.
    }
    await new Promise((resolve) => setTimeout(resolve, 15));
    assert.ok(lag.takeLongestMs() >= 45);
    lag.stop();
    assert.equal(lag.takeLongestMs(), 0);
  });
});
