// The adaptive concurrency scenarios: each endpoint met by the default configuration (adaptive,
// max_in_flight 512) and, in the same run, by fixed concurrency at 64 (the old default).

import { SUMMARY_PREFIX, type SyncSummary } from "../src/observe/summary.js";
import type { EndpointStats } from "./endpoint.js";

export const CONCURRENCY_PREFIX = "concurrency";
const CEILING = 512;
const FIXED = 64;
const LATENCIES_MS = [5, 20, 80, 150];
const BUCKET_PER_SECOND = 300;
const BUCKET_BURST = 60;
const BUCKET_LATENCY_MS = 20;
/** The jumping endpoint: 10 ms, 200 ms from 4 s after the first request, 10 ms again from 12 s. */
const JUMP_SCHEDULE = [
  { at: 0, delayMs: 10 },
  { at: 4_000, delayMs: 200 },
  { at: 12_000, delayMs: 10 },
];
const JUMP_RECOVERY_S = 5;
const MAX_RSS_MB = 200;

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
  endpoint: EndpointStats;
  summary: SyncSummary | undefined;
}

interface Check {
  target: string;
  measured: string;
  pass: boolean;
}

/** Every scenario, in pairs (adaptive, then fixed 64), records scaled from the main runs' count. */
export function concurrencyScenarios(records: number): ConcurrencyScenario[] {
  const endpoints: Omit<ConcurrencyScenario, "name" | "mode" | "maxInFlight">[] = [
    { kind: "null", endpointName: "null endpoint", endpointArgs: [], records },
    ...LATENCIES_MS.map((latencyMs) => ({
      kind: "latency" as const,
      endpointName: `${latencyMs} ms endpoint`,
      endpointArgs: ["--delay-ms", String(latencyMs)],
      records,
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
      records: Math.min(records, 60_000),
    },
    {
      kind: "jump",
      endpointName: "latency 10 → 200 → 10 ms",
      endpointArgs: ["--delay-schedule", JUMP_SCHEDULE.map((step) => `${step.at}:${step.delayMs}`).join(",")],
      // Enough for the last phase to last well past its recovery time.
      records: 3 * records,
    },
  ];
  return endpoints.flatMap((endpoint) => [
    { ...endpoint, mode: "adaptive" as const, maxInFlight: CEILING, name: `${CONCURRENCY_PREFIX} adaptive, ${endpoint.endpointName}` },
    { ...endpoint, mode: "fixed" as const, maxInFlight: FIXED, name: `${CONCURRENCY_PREFIX} fixed ${FIXED}, ${endpoint.endpointName}` },
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

/** Side-by-side table and the targets for the scenarios that ran. */
export function concurrencyReport(results: ConcurrencyResult[]): { table: string; checks: Check[] } {
  const pairs = new Map<string, { adaptive?: ConcurrencyResult; fixed?: ConcurrencyResult }>();
  for (const result of results) {
    const pair = pairs.get(result.scenario.endpointName) ?? {};
    pair[result.scenario.mode] = result;
    pairs.set(result.scenario.endpointName, pair);
  }
  const rows = [...pairs].map(([endpointName, { adaptive, fixed }]) => {
    const rate = (result?: ConcurrencyResult) => (result ? fmt(result.msgsPerSecond) : "");
    const ratio = adaptive && fixed ? `${fmt(adaptive.msgsPerSecond / fixed.msgsPerSecond, 2)}×` : "";
    const share = (result?: ConcurrencyResult) => (result ? `${fmt(100 * throttledShare(result), 1)}%` : "");
    const rss = (result?: ConcurrencyResult) => (result ? fmt(result.peakRssMb) : "");
    return (
      `| ${endpointName} | ${fmt((adaptive ?? fixed)!.scenario.records)} | ${rate(adaptive)} | ${rate(fixed)} | ${ratio} | ` +
      `${adaptive ? describeLimit(adaptive) : ""} | ${adaptive ? fmt(adaptive.endpoint.maxInFlight) : ""} | ` +
      `${share(adaptive)} / ${share(fixed)} | ${rss(adaptive)} / ${rss(fixed)} |`
    );
  });
  const series = results
    .filter((result) => result.scenario.kind === "jump")
    .map(
      (result) => `Messages per second, ${result.scenario.name}: ${result.endpoint.messagesPerSecond.map((rate) => fmt(rate)).join(", ")}.`,
    );
  const table = [
    `| endpoint | records | adaptive msgs/s | fixed ${FIXED} msgs/s | adaptive vs fixed | limit min / mean / max | max in flight (endpoint) | throttled requests adaptive / fixed | peak RSS MB adaptive / fixed |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    ...(series.length > 0 ? ["", ...series] : []),
  ].join("\n");

  const checks: Check[] = [];
  const nullPair = pairs.get("null endpoint");
  const cpuBound = Math.max(nullPair?.adaptive?.msgsPerSecond ?? 0, nullPair?.fixed?.msgsPerSecond ?? 0);
  if (nullPair?.adaptive && nullPair.fixed) {
    checks.push({
      target: `null endpoint: adaptive ≥ 0.95× fixed ${FIXED}`,
      measured: `${fmt(nullPair.adaptive.msgsPerSecond / nullPair.fixed.msgsPerSecond, 2)}×`,
      pass: nullPair.adaptive.msgsPerSecond >= 0.95 * nullPair.fixed.msgsPerSecond,
    });
  }
  for (const [, { adaptive }] of pairs) {
    if (adaptive === undefined) continue;
    const { kind, latencyMs, endpointName } = adaptive.scenario;
    if (kind === "latency" && latencyMs !== undefined && cpuBound > 0) {
      const bound = Math.min(cpuBound, (CEILING * 10) / (latencyMs / 1000));
      checks.push({
        target: `${endpointName}: ≥ 0.8 × min(null endpoint rate, ${CEILING} × 10 / ${latencyMs} ms) = ${fmt(0.8 * bound)} msgs/s`,
        measured: `${fmt(adaptive.msgsPerSecond)} msgs/s (${fmt(adaptive.msgsPerSecond / bound, 2)}×)`,
        pass: adaptive.msgsPerSecond >= 0.8 * bound,
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
