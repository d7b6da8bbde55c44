// The adaptive concurrency scenarios: each endpoint met by the default configuration (adaptive,
// max_in_flight 512) and, in the same run, by fixed concurrency at 64 (the old default); and
// endpoints that fail a share of requests at random, met by adaptive and fixed at the same ceiling.
//
// Two rates per run: the whole run's (messages / the process's wall time, start-up and ramp-up
// included) and the steady one (messages the endpoint accepted per second after the first
// STEADY_FROM_S seconds, up to the last full second). A few seconds of start-up weigh on a short run
// more than on a sync, so the targets compare steady rates, and the scenarios' sizes are chosen by how
// long they must run, not by --records.

import { SUMMARY_PREFIX, type SyncSummary } from "../src/observe/summary.js";
import type { EndpointStats } from "./endpoint.js";

export const CONCURRENCY_PREFIX = "concurrency";
const CEILING = 512;
const FIXED = 64;
const LATENCIES_MS = [5, 20, 80, 150];
/** Seconds after the first request that the steady rate leaves out: start-up, JIT warm-up, ramp-up. */
const STEADY_FROM_S = 2;
/** The fewest whole seconds a steady rate is taken over. */
const STEADY_MIN_SECONDS = 3;
/** Records for a steady rate (null and latency endpoints): about 10 s at the CPU-bound rate, several whole seconds after STEADY_FROM_S. */
const STEADY_RECORDS = 500_000;
/** A sync of this size must run at WHOLE_RUN_SHARE of the bound, start-up and ramp-up included: its own run, beside the steady one. */
const SYNC_RECORDS = 200_000;
const WHOLE_RUN_SHARE = 0.7;
const WHOLE_RUN_LATENCIES_MS = [20, 80, 150];
/** Fixed 64 is capped at 64 × 10 / latency: its records are enough for about this long at that cap. */
const FIXED_SECONDS = 12;
const BUCKET_PER_SECOND = 300;
/** Bursts of a fifth and a tenth of a second's requests; the smaller one is how KMS and per-queue limits behave. */
const BUCKET_BURSTS = [60, 30];
const BUCKET_LATENCY_MS = 20;
/** Random faults: the share of SendMessageBatch requests faulted, the endpoint's latency and the request timeout. */
const FAULT_CASES = [
  ...[0.01, 0.05, 0.25].flatMap((rate) => [0, 20].map((latencyMs) => ({ rate, latencyMs, timeoutSeconds: 5 }))),
  { rate: 0.25, latencyMs: 0, timeoutSeconds: 30 },
];
const FAULT_RECORDS = 20_000;
const FAULT_SEED = 23;
/** Under random faults, adaptive takes at most this many times fixed's time at the same ceiling. */
const FAULT_TIME_RATIO = 1.25;
/** The jumping endpoint: 10 ms, 200 ms from 6 s after the first request, 10 ms again from 16 s. */
const JUMP_SCHEDULE = [
  { at: 0, delayMs: 10 },
  { at: 6_000, delayMs: 200 },
  { at: 16_000, delayMs: 10 },
];
/** Enough for about 12 s in the last phase at the CPU-bound rate: each phase lasts well past its recovery time. */
const JUMP_RECORDS = 1_200_000;
const JUMP_RECOVERY_S = 5;
const MAX_RSS_MB = 200;

/** What the table below it shows, and how each rate is measured. */
const CONCURRENCY_NOTE =
  `Adaptive concurrency (default: adaptive, max_in_flight ${CEILING}) against fixed ${FIXED}, on the same endpoints in the same run; ` +
  "throttled requests are a share of all requests the endpoint received. Whole run: messages / the process's wall time, " +
  `start-up and ramp-up included; steady: messages the endpoint accepted per second from ${STEADY_FROM_S} s after the first ` +
  "request to the last full second. The targets compare steady rates (the token bucket's: whole run), and the whole runs " +
  `of ${SYNC_RECORDS.toLocaleString("en-US")}-record syncs, run on their own at ${WHOLE_RUN_LATENCIES_MS.join(", ")} ms.`;

/** What the random-faults table below it shows. */
const FAULTS_NOTE =
  `Random faults: ${FAULT_RECORDS.toLocaleString("en-US")} records, adaptive and fixed both at max_in_flight ${FIXED}, in the same run. ` +
  "The endpoint answers a seeded share of SendMessageBatch requests (the same requests, by position, for both) with, in turn, " +
  "an HTTP 503, RequestThrottled, the batch stored and then the connection reset, no answer at all (the request timeout ends it), " +
  "or a partial failure (half the entries failed with InternalError). Time: the process's wall time; records: distinct records stored.";

export type ConcurrencyKind = "null" | "latency" | "sync" | "bucket" | "jump" | "faults";

export interface ConcurrencyScenario {
  name: string;
  kind: ConcurrencyKind;
  /** What the pair shares: the endpoint, in words. */
  endpointName: string;
  endpointArgs: string[];
  records: number;
  mode: "adaptive" | "fixed";
  maxInFlight: number;
  latencyMs?: number;
  requestTimeoutSeconds?: number;
}

export interface ConcurrencyResult {
  scenario: ConcurrencyScenario;
  wallSeconds: number;
  msgsPerSecond: number;
  peakRssMb: number;
  cpuMsPer1k: number;
  endpoint: EndpointStats;
  summary: SyncSummary | undefined;
}

interface Check {
  target: string;
  measured: string;
  pass: boolean;
}

/** Fixed 64's records at `latencyMs`: about FIXED_SECONDS at its cap, rounded up to 10,000, at most STEADY_RECORDS. */
function fixedRecords(latencyMs: number | undefined): number {
  if (latencyMs === undefined) return STEADY_RECORDS;
  const atCap = ((FIXED * 10) / (latencyMs / 1000)) * FIXED_SECONDS;
  return Math.min(STEADY_RECORDS, Math.ceil(atCap / 10_000) * 10_000);
}

/** Every scenario, in pairs (adaptive, then fixed 64). */
export function concurrencyScenarios(): ConcurrencyScenario[] {
  const endpoints: (Omit<ConcurrencyScenario, "name" | "mode" | "maxInFlight"> & {
    fixedRecords?: number;
    adaptiveCeiling?: number;
    adaptiveOnly?: boolean;
  })[] = [
    { kind: "null", endpointName: "null endpoint", endpointArgs: [], records: STEADY_RECORDS },
    ...LATENCIES_MS.map((latencyMs) => ({
      kind: "latency" as const,
      endpointName: `${latencyMs} ms endpoint`,
      endpointArgs: ["--delay-ms", String(latencyMs)],
      records: STEADY_RECORDS,
      fixedRecords: fixedRecords(latencyMs),
      latencyMs,
    })),
    ...WHOLE_RUN_LATENCIES_MS.map((latencyMs) => ({
      kind: "sync" as const,
      endpointName: `${latencyMs} ms endpoint, a ${SYNC_RECORDS.toLocaleString("en-US")}-record sync`,
      endpointArgs: ["--delay-ms", String(latencyMs)],
      records: SYNC_RECORDS,
      latencyMs,
      adaptiveOnly: true,
    })),
    ...BUCKET_BURSTS.map((burst) => ({
      kind: "bucket" as const,
      endpointName: `token bucket ${BUCKET_PER_SECOND} requests/s, bursts of ${burst}, ${BUCKET_LATENCY_MS} ms`,
      endpointArgs: ["--delay-ms", String(BUCKET_LATENCY_MS), "--requests-per-second", String(BUCKET_PER_SECOND), "--burst", String(burst)],
      // About 20 s at the bucket's rate.
      records: 60_000,
    })),
    {
      kind: "jump",
      endpointName: "latency 10 → 200 → 10 ms",
      endpointArgs: ["--delay-schedule", JUMP_SCHEDULE.map((step) => `${step.at}:${step.delayMs}`).join(",")],
      records: JUMP_RECORDS,
    },
    ...FAULT_CASES.map(({ rate, latencyMs, timeoutSeconds }) => ({
      kind: "faults" as const,
      endpointName: `random faults ${rate * 100}%, ${latencyMs} ms, request timeout ${timeoutSeconds} s`,
      endpointArgs: ["--delay-ms", String(latencyMs), "--fault-rate", String(rate), "--fault-seed", String(FAULT_SEED)],
      records: FAULT_RECORDS,
      latencyMs,
      requestTimeoutSeconds: timeoutSeconds,
      adaptiveCeiling: FIXED,
    })),
  ];
  return endpoints.flatMap(({ fixedRecords, adaptiveCeiling, adaptiveOnly, ...endpoint }) => [
    {
      ...endpoint,
      mode: "adaptive" as const,
      maxInFlight: adaptiveCeiling ?? CEILING,
      name: `${CONCURRENCY_PREFIX} adaptive, ${endpoint.endpointName}`,
    },
    ...(adaptiveOnly
      ? []
      : [
          {
            ...endpoint,
            records: fixedRecords ?? endpoint.records,
            mode: "fixed" as const,
            maxInFlight: FIXED,
            name: `${CONCURRENCY_PREFIX} fixed ${FIXED}, ${endpoint.endpointName}`,
          },
        ]),
  ]);
}

/** The run summary the connector logged, from its stdout. */
export function summaryFromStdout(stdout: string): SyncSummary | undefined {
  for (const line of stdout.split("\n")) {
    if (!line.includes(SUMMARY_PREFIX)) continue;
    const message = JSON.parse(line) as { type?: string; log?: { message?: string } };
    const text = message.log?.message;
    if (text?.startsWith(SUMMARY_PREFIX)) return JSON.parse(text.slice(SUMMARY_PREFIX.length)) as SyncSummary;
  }
  return undefined;
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The share of all requests the endpoint received that it throttled. */
export function throttledShare({ requests, throttled }: EndpointStats): number {
  return requests + throttled === 0 ? 0 : throttled / (requests + throttled);
}

function describeLimit(result: ConcurrencyResult): string {
  const concurrency = result.summary?.concurrency;
  if (concurrency === undefined) return "";
  return `${concurrency.limit_min} / ${fmt(concurrency.limit_mean)} / ${concurrency.limit_max}`;
}

/** Median messages per second over whole seconds [from, to) since the first request. */
function medianRate(perSecond: number[], from: number, to: number): number {
  const rates = perSecond.slice(from, to).sort((a, b) => a - b);
  return rates.length === 0 ? 0 : rates[Math.floor(rates.length / 2)]!;
}

/** Messages per second from STEADY_FROM_S to the last full second; undefined when fewer than STEADY_MIN_SECONDS remain. */
function steadyRate(perSecond: number[]): number | undefined {
  // The last second is partial: the input ran out.
  const seconds = perSecond.slice(STEADY_FROM_S, perSecond.length - 1);
  if (seconds.length < STEADY_MIN_SECONDS) return undefined;
  return seconds.reduce((sum, rate) => sum + rate, 0) / seconds.length;
}

/** The scenario's steady rate, or its whole-run rate (said so) when the run was too short. */
function steadyOrWhole(result: ConcurrencyResult): { rate: number; steady: boolean } {
  const steady = steadyRate(result.endpoint.messagesPerSecond);
  return steady === undefined ? { rate: result.msgsPerSecond, steady: false } : { rate: steady, steady: true };
}

function describeRates(result: ConcurrencyResult | undefined): string {
  if (result === undefined) return "";
  const steady = steadyRate(result.endpoint.messagesPerSecond);
  return `${fmt(result.msgsPerSecond)} / ${steady === undefined ? "–" : fmt(steady)}`;
}

function ratioOf(adaptive: ConcurrencyResult, fixed: ConcurrencyResult): string {
  const steady = [adaptive, fixed].map((result) => steadyRate(result.endpoint.messagesPerSecond));
  const whole = `${fmt(adaptive.msgsPerSecond / fixed.msgsPerSecond, 2)}×`;
  return steady[0] === undefined || steady[1] === undefined ? `${whole} / –` : `${whole} / ${fmt(steady[0] / steady[1], 2)}×`;
}

type Pair = { adaptive?: ConcurrencyResult; fixed?: ConcurrencyResult };

/** The results by endpoint, adaptive beside fixed. */
function pairsOf(results: ConcurrencyResult[]): Map<string, Pair> {
  const pairs = new Map<string, Pair>();
  for (const result of results) {
    const pair = pairs.get(result.scenario.endpointName) ?? {};
    pair[result.scenario.mode] = result;
    pairs.set(result.scenario.endpointName, pair);
  }
  return pairs;
}

/** The random-faults table and targets: adaptive's time against fixed's at the same ceiling, and every record stored. */
function faultsReport(results: ConcurrencyResult[]): { table: string; checks: Check[] } {
  const pairs = [...pairsOf(results)];
  const faults = (result?: ConcurrencyResult) => (result ? fmt(result.endpoint.faults) : "–");
  const stored = (result?: ConcurrencyResult) => (result ? fmt(result.endpoint.distinctRecords) : "–");
  const seconds = (result?: ConcurrencyResult) => (result ? fmt(result.wallSeconds, 2) : "–");
  const rows = pairs.map(
    ([endpointName, { adaptive, fixed }]) =>
      `| ${endpointName} | ${seconds(adaptive)} | ${seconds(fixed)} | ${adaptive && fixed ? `${fmt(adaptive.wallSeconds / fixed.wallSeconds, 2)}×` : ""} | ` +
      `${adaptive ? describeLimit(adaptive) : ""} | ${faults(adaptive)} / ${faults(fixed)} | ${stored(adaptive)} / ${stored(fixed)} |`,
  );
  const table = [
    `| endpoint | adaptive s | fixed ${FIXED} s | adaptive / fixed | limit min / mean / max | faults injected adaptive / fixed | records stored adaptive / fixed |`,
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
  const checks: Check[] = [];
  for (const [endpointName, { adaptive, fixed }] of pairs) {
    if (adaptive && fixed) {
      checks.push({
        target: `${endpointName}: adaptive's time ≤ ${FAULT_TIME_RATIO} × fixed ${FIXED}'s`,
        measured: `${fmt(adaptive.wallSeconds, 2)} vs ${fmt(fixed.wallSeconds, 2)} s (${fmt(adaptive.wallSeconds / fixed.wallSeconds, 2)}×)`,
        pass: adaptive.wallSeconds <= FAULT_TIME_RATIO * fixed.wallSeconds,
      });
    }
    for (const result of [adaptive, fixed]) {
      if (result === undefined) continue;
      checks.push({
        target: `${endpointName}: every record stored (${result.scenario.mode})`,
        measured: `${fmt(result.endpoint.distinctRecords)} of ${fmt(result.scenario.records)}`,
        pass: result.endpoint.distinctRecords >= result.scenario.records,
      });
    }
  }
  return { table, checks };
}

/** Side-by-side tables, each after a note on what it shows, and the issue's targets for the scenarios that ran. */
export function concurrencyReport(all: ConcurrencyResult[]): { table: string; checks: Check[] } {
  const faulted = all.filter((result) => result.scenario.kind === "faults");
  const results = all.filter((result) => result.scenario.kind !== "faults");
  const pairs = pairsOf(results);
  const rows = [...pairs].map(([endpointName, { adaptive, fixed }]) => {
    const records = [adaptive, fixed].flatMap((result) => (result ? [fmt(result.scenario.records)] : [])).join(" / ");
    const share = (result?: ConcurrencyResult) => (result ? `${fmt(100 * throttledShare(result.endpoint), 1)}%` : "");
    const rss = (result?: ConcurrencyResult) => (result ? fmt(result.peakRssMb) : "");
    const cpu = (result?: ConcurrencyResult) => (result ? fmt(result.cpuMsPer1k, 1) : "");
    return (
      `| ${endpointName} | ${records} | ${describeRates(adaptive)} | ${describeRates(fixed)} | ${adaptive && fixed ? ratioOf(adaptive, fixed) : ""} | ` +
      `${adaptive ? describeLimit(adaptive) : ""} | ${adaptive ? fmt(adaptive.endpoint.maxInFlight) : ""} | ` +
      `${share(adaptive)} / ${share(fixed)} | ${rss(adaptive)} / ${rss(fixed)} | ${cpu(adaptive)} / ${cpu(fixed)} |`
    );
  });
  const series = results
    .filter((result) => result.scenario.kind === "jump")
    .map(
      (result) => `Messages per second, ${result.scenario.name}: ${result.endpoint.messagesPerSecond.map((rate) => fmt(rate)).join(", ")}.`,
    );
  const rateTable = [
    `| endpoint | records adaptive / fixed | adaptive msgs/s whole run / steady | fixed ${FIXED} msgs/s whole run / steady | adaptive vs fixed whole run / steady | limit min / mean / max | max in flight (endpoint) | throttled requests adaptive / fixed | peak RSS MB adaptive / fixed | CPU ms / 1k msgs adaptive / fixed |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    ...(series.length > 0 ? ["", ...series] : []),
  ].join("\n");
  const faults = faulted.length > 0 ? faultsReport(faulted) : undefined;
  const table = [
    ...(rows.length > 0 ? [CONCURRENCY_NOTE, "", rateTable] : []),
    ...(faults === undefined ? [] : [...(rows.length > 0 ? [""] : []), FAULTS_NOTE, "", faults.table]),
  ].join("\n");

  const checks: Check[] = [];
  const nullPair = pairs.get("null endpoint");
  const nullRates = [nullPair?.adaptive, nullPair?.fixed].flatMap((result) => (result ? [steadyOrWhole(result)] : []));
  const cpuBound = Math.max(0, ...nullRates.map(({ rate }) => rate));
  const cpuBoundIs = nullRates.every(({ steady }) => steady) ? "steady" : "whole-run";
  if (nullPair?.adaptive && nullPair.fixed) {
    const adaptive = steadyOrWhole(nullPair.adaptive);
    const fixed = steadyOrWhole(nullPair.fixed);
    const measure = adaptive.steady && fixed.steady ? "steady" : "whole run";
    checks.push({
      target: `null endpoint: adaptive ≥ 0.95× fixed ${FIXED} (${measure})`,
      measured: `${fmt(adaptive.rate / fixed.rate, 2)}× (whole run ${fmt(nullPair.adaptive.msgsPerSecond / nullPair.fixed.msgsPerSecond, 2)}×)`,
      pass: adaptive.rate >= 0.95 * fixed.rate,
    });
  }
  for (const [, { adaptive }] of pairs) {
    if (adaptive === undefined) continue;
    const { kind, latencyMs, endpointName } = adaptive.scenario;
    const latencyBound =
      (kind === "latency" || kind === "sync") && latencyMs !== undefined && cpuBound > 0
        ? {
            bound: Math.min(cpuBound, (CEILING * 10) / (latencyMs / 1000)),
            boundIs: `min(null endpoint ${cpuBoundIs} rate, ${CEILING} × 10 / ${latencyMs} ms)`,
          }
        : undefined;
    if (kind === "latency" && latencyBound !== undefined) {
      const { bound, boundIs } = latencyBound;
      const { rate, steady } = steadyOrWhole(adaptive);
      checks.push({
        target: `${endpointName}: ${steady ? "steady" : "whole-run"} rate ≥ 0.8 × ${boundIs} = ${fmt(0.8 * bound)} msgs/s`,
        measured: `${fmt(rate)} msgs/s (${fmt(rate / bound, 2)}×; whole run ${fmt(adaptive.msgsPerSecond)}, ${fmt(adaptive.msgsPerSecond / bound, 2)}×)`,
        pass: rate >= 0.8 * bound,
      });
    }
    if (kind === "sync" && latencyBound !== undefined) {
      const { bound, boundIs } = latencyBound;
      checks.push({
        target: `${endpointName}: whole-run rate ≥ ${WHOLE_RUN_SHARE} × ${boundIs} = ${fmt(WHOLE_RUN_SHARE * bound)} msgs/s`,
        measured: `${fmt(adaptive.msgsPerSecond)} msgs/s (${fmt(adaptive.msgsPerSecond / bound, 2)}×)`,
        pass: adaptive.msgsPerSecond >= WHOLE_RUN_SHARE * bound,
      });
    }
    if (kind === "bucket") {
      checks.push(
        {
          target: `${endpointName}: ≥ 0.8 × ${fmt(BUCKET_PER_SECOND * 10)} msgs/s`,
          measured: `${fmt(adaptive.msgsPerSecond)} msgs/s`,
          pass: adaptive.msgsPerSecond >= 0.8 * BUCKET_PER_SECOND * 10,
        },
        {
          target: `${endpointName}: throttled requests ≤ 5% of all`,
          measured: `${fmt(100 * throttledShare(adaptive.endpoint), 1)}% (${fmt(adaptive.endpoint.throttled)} of ${fmt(adaptive.endpoint.requests + adaptive.endpoint.throttled)})`,
          pass: throttledShare(adaptive.endpoint) <= 0.05,
        },
      );
    }
    if (kind === "jump") checks.push(...jumpChecks(adaptive));
    checks.push({
      target: `${endpointName}: peak RSS ≤ ${MAX_RSS_MB} MB (adaptive)`,
      measured: `${fmt(adaptive.peakRssMb)} MB`,
      pass: adaptive.peakRssMb <= MAX_RSS_MB,
    });
  }
  return { table, checks: [...checks, ...(faults?.checks ?? [])] };
}

/** Within 5 s of each change of latency, the rate is within 0.7× of its steady value in that phase. */
function jumpChecks(result: ConcurrencyResult): Check[] {
  const perSecond = result.endpoint.messagesPerSecond;
  // The last second is partial: the input ran out.
  const lastFull = perSecond.length - 1;
  const checks: Check[] = [];
  for (let phase = 1; phase < JUMP_SCHEDULE.length; phase++) {
    const from = JUMP_SCHEDULE[phase]!.at / 1000;
    const to = phase + 1 < JUMP_SCHEDULE.length ? JUMP_SCHEDULE[phase + 1]!.at / 1000 : lastFull;
    const steady = medianRate(perSecond, from + JUMP_RECOVERY_S, to);
    const after = perSecond[from + JUMP_RECOVERY_S - 1] ?? 0;
    const label = `${JUMP_SCHEDULE[phase - 1]!.delayMs} → ${JUMP_SCHEDULE[phase]!.delayMs} ms at ${from} s`;
    checks.push({
      target: `latency ${label}: rate in the 5th second after ≥ 0.7× the phase's steady rate`,
      measured: steady === 0 ? "phase too short to measure" : `${fmt(after)} vs steady ${fmt(steady)} msgs/s (${fmt(after / steady, 2)}×)`,
      pass: steady > 0 && after >= 0.7 * steady,
    });
  }
  return checks;
}
