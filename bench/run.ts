// Throughput and memory benchmark: runs the built CLI (dist/main.js) against a null SQS endpoint
// and a 20 ms latency endpoint, next to a bare SDK loop, and checks the results against targets;
// then adaptive against fixed concurrency on endpoints of several latencies, throttling ones, one
// whose latency jumps and ones that fail a share of requests at random (bench/concurrency.ts).
//
//   npm run bench [-- --records 200000] [--memory-records 1000000 | --skip-memory] [--runs 2]
//                 [--only "80 ms|token bucket"]   (scenarios whose name matches, case-insensitive)
//
// Prints a markdown table and writes it to bench/results.md.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import {
  concurrencyReport,
  concurrencyScenarios,
  summaryFromStdout,
  throttledShare,
  type ConcurrencyResult,
  type ConcurrencyScenario,
} from "./concurrency.js";
import type { EndpointStats } from "./endpoint.js";
import { catalog, connectorConfig, writeInput, type ScenarioConfig } from "./input.js";
import { measureProcess, type ProcessMeasurement } from "./measure.js";
import { measureSnapshotInS3, snapshotS3Table } from "./snapshot-s3.js";
import {
  RESULTS_ALL_SCENARIO,
  RESULTS_REJECTED_SCENARIO,
  startResultsBucket,
  syncResultsChecks,
  type ResultsBucket,
} from "./sync-results.js";
import { entrypointNodeArgs } from "../scripts/entrypoint-command.js";

const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
const ENDPOINT_SCRIPT = fileURLToPath(new URL("./endpoint.ts", import.meta.url));
const BASELINE_SCRIPT = fileURLToPath(new URL("./baseline.ts", import.meta.url));
const CLI = join(REPO_ROOT, "dist", "main.js");
const RESULTS = fileURLToPath(new URL("./results.md", import.meta.url));

const LATENCY_MS = 20;
const MAX_IN_FLIGHT = 64;
const LATENCY_BOUND = (MAX_IN_FLIGHT * 10) / (LATENCY_MS / 1000);
const MAX_MEMORY_RSS_MB = 150;
/** How much CPU per message snapshot change detection may add to a plain write. */
const MAX_SNAPSHOT_CPU_RATIO = 1.3;

/**
 * The connector is measured as the container image runs it on a host without a memory limit: with
 * the Dockerfile's NODE_OPTIONS and the flags docker/entrypoint.sh passes to node.
 */
function imageNodeOptions(): string[] {
  const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
  const options = /^\s+NODE_OPTIONS="([^"]*)"/m.exec(dockerfile)?.[1];
  if (options === undefined) throw new Error('the Dockerfile sets no NODE_OPTIONS="…"');
  const entrypointFlags = entrypointNodeArgs([])
    .split(/\s+/)
    .filter((arg) => arg.startsWith("--"));
  return [...options.split(/\s+/).filter((option) => option !== ""), ...entrypointFlags];
}

interface Options {
  records: number;
  memoryRecords: number;
  /** Runs per scenario; the one with the least CPU per message is reported. */
  runs: number;
  /** Run only scenarios whose name matches (case-insensitive); all when absent. */
  only: RegExp | undefined;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string, fallback: number): number => {
    const index = argv.indexOf(flag);
    if (index < 0) return fallback;
    const parsed = Number(argv[index + 1]);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${flag} needs a positive integer`);
    return parsed;
  };
  return {
    records: value("--records", 200_000),
    memoryRecords: argv.includes("--skip-memory") ? 0 : value("--memory-records", 1_000_000),
    runs: value("--runs", 2),
    only: argv.includes("--only") ? new RegExp(argv[argv.indexOf("--only") + 1] ?? "", "i") : undefined,
  };
}

interface Endpoint {
  url: string;
  child: ChildProcess;
  stats(): Promise<EndpointStats>;
  reset(): Promise<void>;
}

async function startEndpoint(args: string[]): Promise<Endpoint> {
  const child = spawn(process.execPath, ["--import", "tsx", ENDPOINT_SCRIPT, ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = await createInterface({ input: child.stdout! })
    [Symbol.asyncIterator]()
    .next()
    .then((r) => [r.value as string]);
  const { port } = JSON.parse(line ?? "{}") as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    stats: async () => (await (await fetch(`${url}/stats`)).json()) as EndpointStats,
    reset: async () => void (await fetch(`${url}/reset`, { method: "POST" })).arrayBuffer(),
  };
}

interface Scenario {
  name: string;
  kind: "connector" | "baseline";
  endpoint: Endpoint;
  input: string;
  records: number;
  config?: ScenarioConfig & { staticGroup?: boolean };
  env?: Record<string, string>;
  /** Emptied before each run (a snapshot store, so that every run is a first sync). */
  freshDirectory?: string;
  /** Set on the adaptive concurrency scenarios, reported on their own. */
  concurrency?: ConcurrencyScenario;
}

interface Result {
  scenario: Scenario;
  process: ProcessMeasurement;
  endpoint: EndpointStats;
  msgsPerSecond: number;
  requestsPerSecond: number;
  msgsPerRequest: number;
  cpuMsPer1k: number;
}

async function run(scenario: Scenario, workDir: string): Promise<Result> {
  await scenario.endpoint.reset();
  if (scenario.freshDirectory) rmSync(scenario.freshDirectory, { recursive: true, force: true });
  let measured: ProcessMeasurement;
  if (scenario.kind === "baseline") {
    measured = await measureProcess(["--import", "tsx"], [BASELINE_SCRIPT, scenario.endpoint.url], scenario.input, workDir);
  } else {
    const configPath = join(workDir, `${scenario.name.replace(/\W+/g, "-")}.config.json`);
    const config = connectorConfig(scenario.endpoint.url, scenario.config) as Record<string, unknown>;
    if (scenario.config?.staticGroup) config.message_group_id = { source: "static", value: "one" };
    writeFileSync(configPath, JSON.stringify(config));
    const catalogPath = join(workDir, "catalog.json");
    writeFileSync(catalogPath, JSON.stringify(catalog()));
    measured = await measureProcess(
      imageNodeOptions(),
      [CLI, "write", "--config", configPath, "--catalog", catalogPath],
      scenario.input,
      workDir,
      scenario.env,
    );
  }
  const endpoint = await scenario.endpoint.stats();
  // With faults a record can be stored twice (stored, then the connection reset): count each once.
  const arrived = endpoint.faults > 0 ? endpoint.distinctRecords : endpoint.messages;
  if (measured.exitCode !== 0 || arrived < scenario.records) {
    throw new Error(
      `${scenario.name}: exit code ${measured.exitCode}, ${arrived} of ${scenario.records} records arrived\n` +
        `${measured.stdout.slice(-2000)}\n${measured.stderr.slice(-2000)}`,
    );
  }
  const seconds = measured.wallMs / 1000;
  const result: Result = {
    scenario,
    process: measured,
    endpoint,
    msgsPerSecond: endpoint.messages / seconds,
    requestsPerSecond: endpoint.requests / seconds,
    msgsPerRequest: endpoint.messages / endpoint.requests,
    cpuMsPer1k: measured.cpuMs / (endpoint.messages / 1000),
  };
  const throttled = endpoint.throttled > 0 ? `, ${fmt(100 * throttledShare(endpoint), 1)}% of requests throttled` : "";
  process.stderr.write(`  ${scenario.name}: ${Math.round(result.msgsPerSecond)} msgs/s, ${measured.peakRssMb.toFixed(0)} MB${throttled}\n`);
  return result;
}

interface Check {
  target: string;
  measured: string;
  pass: boolean;
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(results: Result[], baseline: Result | undefined): string {
  const rows = results.map((r) => {
    const ratio =
      baseline && r.scenario.kind === "connector" && r.scenario.endpoint === baseline.scenario.endpoint
        ? `${fmt(r.msgsPerSecond / baseline.msgsPerSecond, 2)}×`
        : "";
    return `| ${r.scenario.name} | ${fmt(r.scenario.records)} | ${fmt(r.process.wallMs / 1000, 2)} | ${fmt(r.msgsPerSecond)} | ${ratio} | ${fmt(r.requestsPerSecond)} | ${fmt(r.msgsPerRequest, 2)} | ${fmt(r.endpoint.maxInFlight)} | ${fmt(r.process.peakRssMb)} | ${fmt(r.cpuMsPer1k, 1)} |`;
  });
  return [
    "| scenario | records | wall s | msgs/s | vs baseline | requests/s | msgs/request | max in flight | peak RSS MB | CPU ms / 1k msgs |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

function checks(byName: Map<string, Result>, options: Options): Check[] {
  const needed = [
    "baseline (SDK loop), null endpoint",
    "connector, null endpoint",
    `connector, ${LATENCY_MS} ms endpoint`,
    "connector FIFO 1,000 groups, null endpoint",
    "connector FIFO 1 group, null endpoint",
    SNAPSHOT_SCENARIO,
  ];
  // A filtered run (--only) checks only the concurrency targets.
  if (needed.some((name) => !byName.has(name))) return [];
  const get = (name: string): Result => byName.get(name)!;
  const baseline = get("baseline (SDK loop), null endpoint");
  const plain = get("connector, null endpoint");
  const latency = get(`connector, ${LATENCY_MS} ms endpoint`);
  const fifo1000 = get("connector FIFO 1,000 groups, null endpoint");
  const fifo1 = get("connector FIFO 1 group, null endpoint");
  const snapshot = get(SNAPSHOT_SCENARIO);
  const latencyTarget = 0.8 * Math.min(plain.msgsPerSecond, LATENCY_BOUND);
  const list: Check[] = [
    {
      target: "null endpoint: ≥ 0.9× the baseline loop",
      measured: `${fmt(plain.msgsPerSecond / baseline.msgsPerSecond, 2)}×`,
      pass: plain.msgsPerSecond >= 0.9 * baseline.msgsPerSecond,
    },
    { target: "null endpoint: ≥ 25,000 msgs/s", measured: `${fmt(plain.msgsPerSecond)} msgs/s`, pass: plain.msgsPerSecond >= 25_000 },
    {
      target: `${LATENCY_MS} ms endpoint: ≥ 0.8 × min(CPU-bound rate, ${fmt(LATENCY_BOUND)}) = ${fmt(latencyTarget)} msgs/s`,
      measured: `${fmt(latency.msgsPerSecond)} msgs/s`,
      pass: latency.msgsPerSecond >= latencyTarget,
    },
    {
      target: "FIFO, 1,000 groups: ≥ 0.7× the standard queue",
      measured: `${fmt(fifo1000.msgsPerSecond / plain.msgsPerSecond, 2)}×`,
      pass: fifo1000.msgsPerSecond >= 0.7 * plain.msgsPerSecond,
    },
    {
      target: "FIFO, 1 group: one batch in flight, order kept",
      measured: `max ${fifo1.endpoint.maxInFlight} in flight, ${fifo1.endpoint.orderViolations} out of order`,
      pass: fifo1.endpoint.maxInFlight === 1 && fifo1.endpoint.orderViolations === 0,
    },
    {
      target: "FIFO, 1,000 groups: one batch per group in flight, order kept",
      measured: `max ${fifo1000.endpoint.maxGroupInFlight} per group, ${fifo1000.endpoint.orderViolations} out of order`,
      pass: fifo1000.endpoint.maxGroupInFlight === 1 && fifo1000.endpoint.orderViolations === 0,
    },
    {
      target: `snapshot change detection: ≤ ${MAX_SNAPSHOT_CPU_RATIO}× the CPU per message of a plain write`,
      measured: `${fmt(snapshot.cpuMsPer1k / plain.cpuMsPer1k, 2)}× (${fmt(snapshot.cpuMsPer1k, 1)} vs ${fmt(plain.cpuMsPer1k, 1)} ms / 1k)`,
      pass: snapshot.cpuMsPer1k <= MAX_SNAPSHOT_CPU_RATIO * plain.cpuMsPer1k,
    },
    {
      target: "batches full: ≥ 9.5 messages per request (standard queue)",
      measured: `${fmt(Math.min(plain.msgsPerRequest, latency.msgsPerRequest), 2)}`,
      pass: Math.min(plain.msgsPerRequest, latency.msgsPerRequest) >= 9.5,
    },
  ];
  const memory = byName.get(`connector, ${fmt(options.memoryRecords)} records, null endpoint`);
  if (memory) {
    list.push(
      {
        target: `memory: peak RSS ≤ ${MAX_MEMORY_RSS_MB} MB for ${fmt(options.memoryRecords)} records`,
        measured: `${fmt(memory.process.peakRssMb)} MB`,
        pass: memory.process.peakRssMb <= MAX_MEMORY_RSS_MB,
      },
      {
        target: `memory: not growing with input (${fmt(options.records)} → ${fmt(options.memoryRecords)} records, ≤ +15%)`,
        measured: `${fmt(plain.process.peakRssMb)} → ${fmt(memory.process.peakRssMb)} MB`,
        pass: memory.process.peakRssMb <= plain.process.peakRssMb * 1.15,
      },
    );
  }
  return list;
}

function measuredOf(result: Result | undefined): { cpuMsPer1k: number; peakRssMb: number } | undefined {
  return result && { cpuMsPer1k: result.cpuMsPer1k, peakRssMb: result.process.peakRssMb };
}

function selected(name: string, options: Options): boolean {
  return options.only === undefined || options.only.test(name);
}

const SNAPSHOT_S3_SCENARIO = "snapshot in S3: commit and load";
const SNAPSHOT_SCENARIO = "connector, snapshot backfill (every row diffed and stored), null endpoint";
/** Enough requests in flight that 20 ms of latency cannot be the limit: shows the CPU-bound rate at that endpoint. */
const UNBOUNDED_IN_FLIGHT = 256;
const UNBOUNDED_LATENCY_SCENARIO = `connector, ${LATENCY_MS} ms endpoint, max_in_flight ${UNBOUNDED_IN_FLIGHT}`;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workDir = mkdtempSync(join(tmpdir(), "destination-sqs-bench-"));
  const endpoints: Endpoint[] = [];
  let resultsBucket: ResultsBucket | undefined;
  try {
    process.stderr.write(`Generating ${fmt(options.records)} records…\n`);
    const input = join(workDir, "input.jsonl");
    await writeInput(input, options.records);
    const nullEndpoint = await startEndpoint([]);
    const latencyEndpoint = await startEndpoint(["--delay-ms", String(LATENCY_MS)]);
    endpoints.push(nullEndpoint, latencyEndpoint);

    const base = { input, records: options.records };
    const scenarios: Scenario[] = [
      { ...base, name: "baseline (SDK loop), null endpoint", kind: "baseline", endpoint: nullEndpoint },
      { ...base, name: "connector, null endpoint", kind: "connector", endpoint: nullEndpoint },
      {
        ...base,
        name: "connector (SDK sender), null endpoint",
        kind: "connector",
        endpoint: nullEndpoint,
        env: { DESTINATION_SQS_SENDER: "sdk" },
      },
      { ...base, name: `baseline (SDK loop), ${LATENCY_MS} ms endpoint`, kind: "baseline", endpoint: latencyEndpoint },
      { ...base, name: `connector, ${LATENCY_MS} ms endpoint`, kind: "connector", endpoint: latencyEndpoint },
      {
        ...base,
        name: UNBOUNDED_LATENCY_SCENARIO,
        kind: "connector",
        endpoint: latencyEndpoint,
        config: { maxInFlight: UNBOUNDED_IN_FLIGHT },
      },
      { ...base, name: "connector FIFO 1,000 groups, null endpoint", kind: "connector", endpoint: nullEndpoint, config: { fifo: true } },
      {
        ...base,
        name: "connector FIFO 1 group, null endpoint",
        kind: "connector",
        endpoint: nullEndpoint,
        config: { fifo: true, staticGroup: true },
      },
      {
        ...base,
        name: SNAPSHOT_SCENARIO,
        kind: "connector",
        endpoint: nullEndpoint,
        config: { changeDetection: { mode: "snapshot", state_directory: join(workDir, "snapshot"), initial_sync: "backfill" } },
        freshDirectory: join(workDir, "snapshot"),
      },
    ];
    if (selected(RESULTS_REJECTED_SCENARIO, options) || selected(RESULTS_ALL_SCENARIO, options)) {
      resultsBucket = await startResultsBucket();
      for (const [name, setting] of [
        [RESULTS_REJECTED_SCENARIO, "rejected"],
        [RESULTS_ALL_SCENARIO, "all"],
      ] as const) {
        scenarios.push({
          ...base,
          name,
          kind: "connector",
          endpoint: nullEndpoint,
          config: { syncResults: { storage: resultsBucket.storage, setting } },
        });
      }
    }
    if (options.memoryRecords > 0 && selected(`connector, ${fmt(options.memoryRecords)} records, null endpoint`, options)) {
      const memoryInput = join(workDir, "memory.jsonl");
      process.stderr.write(`Generating ${fmt(options.memoryRecords)} records for the memory run…\n`);
      await writeInput(memoryInput, options.memoryRecords);
      scenarios.push({
        name: `connector, ${fmt(options.memoryRecords)} records, null endpoint`,
        kind: "connector",
        endpoint: nullEndpoint,
        input: memoryInput,
        records: options.memoryRecords,
      });
    }

    const concurrencyInputs = new Map<number, string>();
    const concurrencyEndpoints = new Map<string, Endpoint>();
    for (const concurrency of concurrencyScenarios()) {
      if (!selected(concurrency.name, options)) continue;
      let scenarioInput = concurrency.records === options.records ? input : concurrencyInputs.get(concurrency.records);
      if (scenarioInput === undefined) {
        scenarioInput = join(workDir, `concurrency-${concurrency.records}.jsonl`);
        process.stderr.write(`Generating ${fmt(concurrency.records)} records…\n`);
        await writeInput(scenarioInput, concurrency.records);
        concurrencyInputs.set(concurrency.records, scenarioInput);
      }
      const endpointKey = concurrency.endpointArgs.join(" ");
      let endpoint = endpointKey === "" ? nullEndpoint : concurrencyEndpoints.get(endpointKey);
      if (endpoint === undefined) {
        endpoint = await startEndpoint(concurrency.endpointArgs);
        concurrencyEndpoints.set(endpointKey, endpoint);
        endpoints.push(endpoint);
      }
      scenarios.push({
        name: concurrency.name,
        kind: "connector",
        endpoint,
        input: scenarioInput,
        records: concurrency.records,
        config: {
          maxInFlight: concurrency.maxInFlight,
          concurrency: concurrency.mode,
          ...(concurrency.requestTimeoutSeconds ? { requestTimeoutSeconds: concurrency.requestTimeoutSeconds } : {}),
        },
        concurrency,
      });
    }
    const chosen = scenarios.filter((scenario) => selected(scenario.name, options));
    scenarios.splice(0, scenarios.length, ...chosen);

    // On a shared machine a run is only ever slowed down by its neighbours, never sped up: the run
    // with the least CPU per message is the closest to the scenario's own cost. Runs go round the
    // scenarios, so a slow spell of the machine falls on all of them, not on the ones compared, and
    // every other round goes backwards, so that neither of a compared pair always runs first.
    const best = new Map<Scenario, Result>();
    for (let round = 0; round < options.runs; round++) {
      for (const scenario of round % 2 === 0 ? scenarios : [...scenarios].reverse()) {
        const result = await run(scenario, workDir);
        const kept = best.get(scenario);
        if (kept === undefined || result.cpuMsPer1k < kept.cpuMsPer1k) best.set(scenario, result);
      }
    }
    const allResults = scenarios.map((scenario) => best.get(scenario)!);
    const results = allResults.filter((result) => result.scenario.concurrency === undefined);
    const byName = new Map(results.map((result) => [result.scenario.name, result]));
    const baseline = byName.get("baseline (SDK loop), null endpoint");
    const plainWrite = byName.get("connector, null endpoint");
    const checkList = [
      ...checks(byName, options),
      ...(plainWrite === undefined
        ? []
        : syncResultsChecks(
            { cpuMsPer1k: plainWrite.cpuMsPer1k, peakRssMb: plainWrite.process.peakRssMb },
            measuredOf(byName.get(RESULTS_REJECTED_SCENARIO)),
            measuredOf(byName.get(RESULTS_ALL_SCENARIO)),
            MAX_MEMORY_RSS_MB,
          )),
    ];
    const snapshotRows = options.memoryRecords || options.records;
    let snapshotS3: string | undefined;
    if (selected(SNAPSHOT_S3_SCENARIO, options)) {
      process.stderr.write(`Snapshot in S3: committing and loading ${fmt(snapshotRows)} rows…\n`);
      snapshotS3 = snapshotS3Table(await measureSnapshotInS3(snapshotRows));
    }
    const concurrency = concurrencyReport(
      allResults.flatMap((result): ConcurrencyResult[] =>
        result.scenario.concurrency === undefined
          ? []
          : [
              {
                scenario: result.scenario.concurrency,
                wallSeconds: result.process.wallMs / 1000,
                msgsPerSecond: result.msgsPerSecond,
                peakRssMb: result.process.peakRssMb,
                cpuMsPer1k: result.cpuMsPer1k,
                endpoint: result.endpoint,
                summary: summaryFromStdout(result.process.stdout),
              },
            ],
      ),
    );
    const cpu = cpus();
    const report = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, Node ${process.versions.node}; ` +
        `~250-byte rows, template body, max_in_flight ${MAX_IN_FLIGHT}; the endpoint runs in its own process; ` +
        `the connector runs with the image's node options on a host without a memory limit (\`${imageNodeOptions().join(" ")}\`). ` +
        `"vs baseline" compares with the bare SDK loop on the same endpoint. ` +
        `Each scenario ran ${options.runs} time${options.runs === 1 ? "" : "s"}; the run with the least CPU per message is shown.`,
      "",
      ...(results.length > 0 ? [table(results, baseline), ""] : []),
      ...(concurrency.checks.length > 0 ? [concurrency.table, ""] : []),
      "| target | measured | met |",
      "|---|---|---|",
      ...[...checkList, ...concurrency.checks].map((check) => `| ${check.target} | ${check.measured} | ${check.pass ? "yes" : "**no**"} |`),
      "",
      ...(snapshotS3 === undefined ? [] : [snapshotS3, ""]),
    ].join("\n");
    process.stdout.write(`\n${report}`);
    if (options.only === undefined) {
      writeFileSync(RESULTS, `# Benchmark results\n\n${report}`);
      process.stderr.write(`\nWritten to ${RESULTS}\n`);
    }
  } finally {
    await resultsBucket?.stop();
    for (const endpoint of endpoints) endpoint.child.kill("SIGTERM");
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
