// The adaptive concurrency scenarios: each endpoint met by the default configuration (adaptive,
// max_in_flight 512) and, in the same run, by fixed concurrency at 64 (the old default).
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
/** The null and latency endpoints' records: about 10 s at the CPU-bound rate. */
const STEADY_RECORDS = 300_000;
/** Fixed 64 is capped at 64 × 10 / latency: its records are enough for about this long at that cap. */
const FIXED_SECONDS = 12;
const BUCKET_PER_SECOND = 300;
const BUCKET_BURST = 60;
const BUCKET_LATENCY_MS = 20;
/** The jumping endpoint: 10 ms, 200 ms from 6 s after the first request, 10 ms again from 16 s. */
const JUMP_SCHEDULE = [
  { at: 0, delayMs: 10 },
  { at: 6_000, delayMs: 200 },
  { at: 16_000, delayMs: 10 },
];
/** Enough for about 12 s in the last phase at the CPU-bound rate: each phase lasts well past its recovery time. */
const JUMP_RECORDS = 900_000;
const JUMP_RECOVERY_S = 5;
const MAX_RSS_MB = 200;

/** What the table below it shows, and how each rate is measured. */
export const CONCURRENCY_NOTE =
  `Adaptive concurrency (default: adaptive, max_in_flight ${CEILING}) against fixed ${FIXED}, on the same endpoints in the same run; ` +
  "throttled requests are a share of all requests the endpoint received. Whole run: messages / the process's wall time, " +
  `start-up and ramp-up included; steady: messages the endpoint accepted per second from ${STEADY_FROM_S} s after the first ` +
  "request to the last full second. The targets compare steady rates (the token bucket's: whole run).";

export type ConcurrencyKind = "null" | "latency" | "bucket" | "jump";

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
}

export interface ConcurrencyResult {
  scenario: ConcurrencyScenario;
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
  const endpoints: (Omit<ConcurrencyScenario, "name" | "mode" | "maxInFlight"> & { fixedRecords?: number })[] = [
    { kind: "null", endpointName: "null endpoint", endpointArgs: [], records: STEADY_RECORDS },
    ...LATENCIES_MS.map((latencyMs) => ({
      kind: "latency" as const,
      endpointName: `${latencyMs} ms endpoint`,
      endpointArgs: ["--delay-ms", String(latencyMs)],
      records: STEADY_RECORDS,
      fixedRecords: fixedRecords(latencyMs),
      latencyMs,
    })),
    {
      kind: "bucket",
      endpointName: `token bucket ${BUCKET_PER_SECOND} requests/s, ${BUCKET_LATENCY_MS} ms`,
      endpointArgs: [
        "--delay-ms",
        String(BUCKET_LATENCY_MS),
        "--requests-per-second",
        String(BUCKET_PER_SECOND),
        "--burst",
        String(BUCKET_BURST),
      ],
      // About 20 s at the bucket's rate.
      records: 60_000,
    },
    {
      kind: "jump",
      endpointName: "latency 10 → 200 → 10 ms",
      endpointArgs: ["--delay-schedule", JUMP_SCHEDULE.map((step) => `${step.at}:${step.delayMs}`).join(",")],
      records: JUMP_RECORDS,
    },
  ];
  return endpoints.flatMap(({ fixedRecords, ...endpoint }) => [
    { ...endpoint, mode: "adaptive" as const, maxInFlight: CEILING, name: `${CONCURRENCY_PREFIX} adaptive, ${endpoint.endpointName}` },
    {
      ...endpoint,
      records: fixedRecords ?? endpoint.records,
      mode: "fixed" as const,
      maxInFlight: FIXED,
      name: `${CONCURRENCY_PREFIX} fixed ${FIXED}, ${endpoint.endpointName}`,
    },
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

function throttledShare(result: ConcurrencyResult): number {
  const { requests, throttled } = result.endpoint;
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

/** Side-by-side table and the targets for the scenarios that ran. */
export function concurrencyReport(results: ConcurrencyResult[]): { table: string; checks: Check[] } {
  const pairs = new Map<string, { adaptive?: ConcurrencyResult; fixed?: ConcurrencyResult }>();
  for (const result of results) {
    const pair = pairs.get(result.scenario.endpointName) ?? {};
    pair[result.scenario.mode] = result;
    pairs.set(result.scenario.endpointName, pair);
  }
  const rows = [...pairs].map(([endpointName, { adaptive, fixed }]) => {
    const records = [adaptive, fixed].flatMap((result) => (result ? [fmt(result.scenario.records)] : [])).join(" / ");
    const share = (result?: ConcurrencyResult) => (result ? `${fmt(100 * throttledShare(result), 1)}%` : "");
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
  const table = [
    `| endpoint | records adaptive / fixed | adaptive msgs/s whole run / steady | fixed ${FIXED} msgs/s whole run / steady | adaptive vs fixed whole run / steady | limit min / mean / max | max in flight (endpoint) | throttled requests adaptive / fixed | peak RSS MB adaptive / fixed | CPU ms / 1k msgs adaptive / fixed |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    ...(series.length > 0 ? ["", ...series] : []),
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
    if (kind === "latency" && latencyMs !== undefined && cpuBound > 0) {
      const bound = Math.min(cpuBound, (CEILING * 10) / (latencyMs / 1000));
      const { rate, steady } = steadyOrWhole(adaptive);
      checks.push({
        target: `${endpointName}: ${steady ? "steady" : "whole-run"} rate ≥ 0.8 × min(null endpoint ${cpuBoundIs} rate, ${CEILING} × 10 / ${latencyMs} ms) = ${fmt(0.8 * bound)} msgs/s`,
        measured: `${fmt(rate)} msgs/s (${fmt(rate / bound, 2)}×; whole run ${fmt(adaptive.msgsPerSecond)}, ${fmt(adaptive.msgsPerSecond / bound, 2)}×)`,
        pass: rate >= 0.8 * bound,
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
          measured: `${fmt(100 * throttledShare(adaptive), 1)}% (${fmt(adaptive.endpoint.throttled)} of ${fmt(adaptive.endpoint.requests + adaptive.endpoint.throttled)})`,
          pass: throttledShare(adaptive) <= 0.05,
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
  return { table, checks };
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
