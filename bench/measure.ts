// Runs one benchmarked process with a file on its stdin and measures it from outside (wall time)
// and from inside (CPU time and peak RSS, written at exit by report-usage.mjs).

import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPORT_USAGE = fileURLToPath(new URL("./report-usage.mjs", import.meta.url));

export interface ProcessMeasurement {
  exitCode: number | null;
  wallMs: number;
  /** User plus system CPU time. */
  cpuMs: number;
  peakRssMb: number;
  stdout: string;
  stderr: string;
}

/** Runs `node [nodeArgs] --import report-usage.mjs script args` with `inputPath` as stdin. */
export async function measureProcess(
  nodeArgs: string[],
  scriptAndArgs: string[],
  inputPath: string,
  workDir: string,
  env: Record<string, string> = {},
): Promise<ProcessMeasurement> {
  const usageFile = join(workDir, `usage-${process.hrtime.bigint()}.json`);
  const stdin = openSync(inputPath, "r");
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, "--import", REPORT_USAGE, ...scriptAndArgs], {
    stdio: [stdin, "pipe", "pipe"],
    env: { ...process.env, ...env, BENCH_USAGE_FILE: usageFile },
  });
  closeSync(stdin);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  const wallMs = performance.now() - started;
  let usage = { userCPUTime: 0, systemCPUTime: 0, maxRSS: 0 };
  try {
    usage = JSON.parse(readFileSync(usageFile, "utf8")) as typeof usage;
    rmSync(usageFile);
  } catch {
    stderr += "\n(no resource usage was reported)";
  }
  return {
    exitCode,
    wallMs,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    peakRssMb: usage.maxRSS / 1024,
    stdout,
    stderr,
  };
}
