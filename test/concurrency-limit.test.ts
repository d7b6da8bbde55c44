import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConcurrencyLimit,
  INITIAL_LIMIT,
  LATENCY_DECREASE,
  LATENCY_DECREASE_MOST,
  MIN_WINDOW_MS,
  THROTTLE_DECREASE,
  THROTTLE_HOLD_MS,
} from "../src/delivery/concurrency-limit.js";
import { Delivery } from "../src/delivery/delivery.js";
import { EventLoopLag } from "../src/delivery/event-loop-lag.js";
import { classifySendError, isThrottlingCode, isThrottlingError, type SendFailure, sendFailureOf } from "../src/aws/send-failure.js";
import type { DeliveryOptions, OutgoingMessage } from "../src/delivery/types.js";
import { FakeClock, fakeLag, limitAt, simulate, tokenBucket } from "./helpers/concurrency-sim.js";
import { seededRandom } from "./helpers/seeded-random.js";
import { FakeSender, outgoing, serviceError, succeedAll, throttlingError } from "./helpers/delivery-fakes.js";

const steady = (ms: number) => ({ roundTripMs: () => ms });

/** Starts `count` requests at the clock's time; returns their start times. */
function start(limit: ConcurrencyLimit, count: number): number[] {
  return Array.from({ length: count }, () => limit.started());
}

describe("adaptive concurrency: growth", () => {
  it("starts at 16 and doubles each window while every slot is used and round trips stay at their floor", () => {
    const clock = new FakeClock();
    const limit = new ConcurrencyLimit({ mode: "adaptive", ceiling: 512, clock, lag: fakeLag() });
    assert.equal(limit.current, INITIAL_LIMIT);
    for (const expected of [32, 64, 128]) {
      const started = start(limit, limit.current);
      clock.t += MIN_WINDOW_MS;
      for (const at of started) limit.finished(at, "answered");
      assert.equal(limit.current, expected);
    }
  });

  it("at 80 ms round trips, reaches hundreds in flight within a second and the ceiling soon after", () => {
    const result = simulate(steady(80), 3_000);
    assert.ok(limitAt(result, 1_000) >= 256, `limit ${limitAt(result, 1_000)} after 1 s`);
    assert.equal(limitAt(result, 2_000), 512);
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
    const clock = new FakeClock();
    const limit = new ConcurrencyLimit({ mode: "adaptive", ceiling: 512, clock, lag: fakeLag() });
    for (const at of start(limit, 2)) limit.finished(at, "throttled");
    const cut = Math.floor(INITIAL_LIMIT * THROTTLE_DECREASE);
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
  it("cuts the limit at once when throttled answers pass 2% (and two), once per round trip", () => {
    const clock = new FakeClock();
    const limit = new ConcurrencyLimit({ mode: "adaptive", ceiling: 512, clock, lag: fakeLag() });
    const started = start(limit, 16);
    clock.t += 20;
    limit.finished(started[0]!, "throttled");
    assert.equal(limit.current, 16, "one throttle alone is tolerated");
    limit.finished(started[1]!, "throttled");
    assert.equal(limit.current, Math.floor(16 * THROTTLE_DECREASE));
    // The other answers were sent before the cut: they say nothing new.
    for (const at of started.slice(2)) limit.finished(at, "throttled");
    assert.equal(limit.current, Math.floor(16 * THROTTLE_DECREASE));
    const later = start(limit, 2);
    clock.t += 20;
    for (const at of later) limit.finished(at, "throttled");
    assert.equal(limit.current, Math.floor(16 * THROTTLE_DECREASE * THROTTLE_DECREASE));
    assert.equal(limit.stats.throttled, 18);
  });

  it("takes requests that time out for overload too, without counting them as throttled", () => {
    const clock = new FakeClock();
    const changes: string[] = [];
    const limit = new ConcurrencyLimit({
      mode: "adaptive",
      ceiling: 512,
      clock,
      lag: fakeLag(),
      onChange: (change) => changes.push(change.reason),
    });
    const started = start(limit, 16);
    clock.t += 1_000;
    limit.finished(started[0]!, "timed out");
    limit.finished(started[1]!, "timed out");
    assert.equal(limit.current, Math.floor(16 * THROTTLE_DECREASE));
    assert.deepEqual(changes, ["timed out"]);
    assert.equal(limit.stats.throttled, 0);
  });

  it("cuts when throttled answers pass 2% of a window's answers (and two), however many answered since the last cut", () => {
    const clock = new FakeClock();
    const limit = new ConcurrencyLimit({ mode: "adaptive", ceiling: 512, clock, lag: fakeLag() });
    for (let window = 0; window < 20; window++) {
      const started = start(limit, limit.current);
      clock.t += MIN_WINDOW_MS;
      for (const at of started) limit.finished(at, "answered");
    }
    assert.equal(limit.current, 512);
    const started = start(limit, 100);
    clock.t += MIN_WINDOW_MS;
    // The first answer closes the last window; the other 99 are the new window's.
    for (const at of started.slice(0, 98)) limit.finished(at, "answered");
    assert.equal(limit.current, 512);
    limit.finished(started[98]!, "throttled");
    limit.finished(started[99]!, "throttled");
    assert.equal(
      limit.current,
      Math.floor(512 * THROTTLE_DECREASE),
      "2 of the window's 99 answers, though far fewer of all since the start",
    );
  });

  it("tolerates a throttle now and then: 2 in 200 answers do not cut", () => {
    const clock = new FakeClock();
    const limit = new ConcurrencyLimit({ mode: "adaptive", ceiling: 512, clock, lag: fakeLag() });
    for (let n = 0; n < 200; n++) {
      const at = limit.started();
      clock.t += 1;
      limit.finished(at, n === 50 || n === 150 ? "throttled" : "answered");
    }
    assert.equal(limit.stats.throttled, 2);
    assert.ok(limit.current >= INITIAL_LIMIT, `limit ${limit.current}`);
    assert.ok(!limit.stats.changes || limit.stats.min >= INITIAL_LIMIT);
  });

  it("keeps a limit above 1 when a few percent of requests are throttled at random", () => {
    const random = seededRandom(7);
    const result = simulate({ roundTripMs: () => 50, throttles: () => random() < 0.04 }, 30_000);
    assert.ok(result.limit.stats.mean >= 4, `mean limit ${result.limit.stats.mean}`);
  });

  it("cuts the limit when a window's round trips climb above twice their floor, harder the higher they are", () => {
    const clock = new FakeClock();
    const limit = new ConcurrencyLimit({ mode: "adaptive", ceiling: 512, clock, lag: fakeLag() });
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

  for (const burst of [60, 300]) {
    it(`keeps throttling rare against a token bucket (bursts of ${burst}) and uses most of its rate`, () => {
      // 300 requests/s, 20 ms round trips: about 6 requests in flight fit.
      const result = simulate({ roundTripMs: () => 20, throttles: tokenBucket(300, burst) }, 60_000);
      const steadyRate = result.answeredPerSecond.slice(10, 60);
      const mean = steadyRate.reduce((sum, count) => sum + count, 0) / steadyRate.length;
      assert.ok(mean >= 0.9 * 300, `${mean} requests/s answered`);
      assert.ok(result.throttled <= 0.025 * result.requests, `${result.throttled} of ${result.requests} throttled`);
    });
  }

  it("never goes below 1, however long the throttling lasts", () => {
    const result = simulate({ roundTripMs: () => 10, throttles: () => true }, 5_000);
    assert.equal(result.limit.current, 1);
    assert.ok(result.samples.every((sample) => sample.limit >= 1));
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
    const clock = new FakeClock();
    const limit = new ConcurrencyLimit({ mode: "adaptive", ceiling: 512, clock, lag: fakeLag() });
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
    ["HTTP 503", serviceError("Error", "Service Unavailable", 503)],
  ];
  for (const [label, error] of throttles) {
    it(`${label} is throttling, and retried`, () => {
      assert.equal(isThrottlingError(error), true);
      assert.equal(classifySendError(error).kind, "retry");
    });
  }
  it("a server error or a reset connection is not throttling", () => {
    assert.equal(isThrottlingError(serviceError("InternalError", "oops", 500)), false);
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

  it("takes throttled entries in an answer as throttling", async () => {
    let answered = 0;
    const sender = new FakeSender((request) => {
      if (++answered > 2) return undefined;
      const [first, ...rest] = request.entries;
      return {
        successful: succeedAll(rest).successful,
        failed: [{ id: first!.id, senderFault: false, code: "KMS.ThrottlingException", message: "slow down" }],
      };
    });
    const concurrency = new ConcurrencyLimit({ mode: "adaptive", ceiling: 512 });
    const delivery = new Delivery(sender, options(concurrency), { acknowledged: () => undefined, rejected: () => undefined });
    for (let n = 0; n < 20; n++) await delivery.submit(outgoing(QUEUE, n));
    await delivery.flush();
    assert.equal(concurrency.stats.throttled, 2);
    assert.equal(concurrency.current, Math.floor(INITIAL_LIMIT * THROTTLE_DECREASE));
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
