// Runs the built connector (dist/main.js) as Airbyte runs it: a child process fed on stdin.
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Writable } from "node:stream";
import type { AirbyteMessage } from "../../src/protocol/messages.js";
import { assertProtocolOutput } from "./protocol-schema.js";
import { tempDirectory } from "./temp-directory.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUILT_CLI = join(REPO_ROOT, "dist", "main.js");

export interface CliOptions {
  /** Written to the CLI's stdin, then stdin is closed. Nothing means an empty stdin. */
  stdin?: string | AsyncIterable<string>;
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string | undefined>;
  /** The run is killed and the call fails after this long; default 60 s. */
  timeoutMs?: number;
  /** "protocol" (default): every stdout line must be an Airbyte message; "text": stdout is a report for people or scripts. */
  output?: "protocol" | "text";
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every stdout line that parsed as JSON. */
  messages: AirbyteMessage[];
  /** stdout lines that did not parse as JSON (the protocol allows none). */
  nonJsonLines: string[];
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} not found: run "npm run build" first`);
  const child = spawn(process.execPath, [BUILT_CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // The CLI may exit (e.g. on a config error) before it has read all of stdin.
  child.stdin.on("error", () => {});

  const timeoutMs = options.timeoutMs ?? 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });

  try {
    await feed(child.stdin, options.stdin);
    const code = await exited;
    if (timedOut) {
      throw new Error(`destination-sqs ${args.join(" ")} ran longer than ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    }
    // Every complete stdout line must be a valid Airbyte message: the call fails on the first that is not.
    if (options.output !== "text") assertProtocolOutput(stdout, `destination-sqs ${args.join(" ")}`);
    return { code, stdout, stderr, ...parseLines(stdout) };
  } finally {
    clearTimeout(timer);
  }
}

async function feed(stdin: Writable, input: CliOptions["stdin"]): Promise<void> {
  if (typeof input === "string") {
    stdin.end(input);
    return;
  }
  if (input !== undefined) {
    for await (const chunk of input) {
      if (stdin.destroyed) break;
      if (!stdin.write(chunk)) await waitForDrainOrClose(stdin);
    }
  }
  stdin.end();
}

function waitForDrainOrClose(stdin: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stdin.off("drain", done);
      stdin.off("close", done);
      resolve();
    };
    stdin.on("drain", done);
    stdin.on("close", done);
  });
}

function parseLines(stdout: string): Pick<CliResult, "messages" | "nonJsonLines"> {
  const messages: AirbyteMessage[] = [];
  const nonJsonLines: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    try {
      messages.push(JSON.parse(line) as AirbyteMessage);
    } catch {
      nonJsonLines.push(line);
    }
  }
  return { messages, nonJsonLines };
}

/** Writes `value` as JSON to a new file in a temporary directory (removed at exit); returns its path. */
export function writeTempJson(value: unknown, fileName = "file.json"): string {
  const path = join(tempDirectory("test"), fileName);
  writeFileSync(path, JSON.stringify(value));
  return path;
}
