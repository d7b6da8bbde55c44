// Runs the built connector with stdin held open, so a test can feed it bit by bit, watch its
// output as it comes, and signal or kill it mid-write.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import type { AirbyteMessage } from "../../src/protocol/messages.js";
import { REPO_ROOT } from "./cli.js";
import { assertProtocolOutput, protocolViolation } from "./protocol-schema.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LiveConnector {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every complete stdout line so far that parsed as JSON. */
  readonly messages: AirbyteMessage[];
  /** Complete stdout lines that did not parse as JSON. */
  readonly nonJsonLines: string[];
  /** Complete stdout lines that are not valid protocol messages, each with the reason; `exit` fails when there are any. */
  readonly protocolViolations: string[];
  stdout(): string;
  stderr(): string;
  /** Writes to stdin, waiting while the pipe is full; resolves false if stdin closed first. */
  write(text: string): Promise<boolean>;
  endInput(): void;
  /** Resolves once `predicate` holds for the messages seen; fails if the connector exits or `timeoutMs` passes first. */
  waitFor(predicate: (messages: AirbyteMessage[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves when the process has exited; fails (and kills it) after `timeoutMs`. */
  exit(timeoutMs?: number): Promise<Exit>;
}

export function startConnector(args: string[], env: Record<string, string> = {}): LiveConnector {
  const child = spawn(process.execPath, [join(REPO_ROOT, "dist", "main.js"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const messages: AirbyteMessage[] = [];
  const nonJsonLines: string[] = [];
  const protocolViolations: string[] = [];
  let stdout = "";
  let stderr = "";
  let partial = "";
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of listeners) listener();
  };
  child.stdin.on("error", () => {});
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      const violation = protocolViolation(line);
      if (violation !== undefined) protocolViolations.push(`${violation}: ${line.slice(0, 2000)}`);
      try {
        messages.push(JSON.parse(line) as AirbyteMessage);
      } catch {
        nonJsonLines.push(line);
      }
    }
    notify();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    notify();
  });

  return {
    child,
    messages,
    nonJsonLines,
    protocolViolations,
    stdout: () => stdout,
    stderr: () => stderr,
    async write(text) {
      if (child.stdin.destroyed || child.stdin.writableEnded) return false;
      if (child.stdin.write(text)) return true;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          child.stdin.off("drain", done);
          child.stdin.off("close", done);
          resolve();
        };
        child.stdin.on("drain", done);
        child.stdin.on("close", done);
      });
      return !child.stdin.destroyed;
    },
    endInput() {
      child.stdin.end();
    },
    waitFor(predicate, what, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`timed out waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`)),
          timeoutMs,
        );
        const check = (): void => {
          if (predicate(messages)) finish();
          else if (hasExited) finish(new Error(`the connector exited before ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        };
        const finish = (error?: Error): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
    async exit(timeoutMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`the connector did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
      });
      try {
        const exit = await Promise.race([exited, timedOut]);
        if (protocolViolations.length > 0) {
          throw new Error(
            `the connector printed ${protocolViolations.length} invalid protocol line(s), the first: ${protocolViolations[0]}`,
          );
        }
        return exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Starts `write` with stdin left open, so that the test decides when the input ends (or kills it). */
export function startWrite(configFile: string, catalogFile: string, env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [join(REPO_ROOT, "dist", "main.js"), "write", "--config", configFile, "--catalog", catalogFile], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
}

/**
 * Everything the process writes to stdout and stderr, once it has closed them; rejects when a
 * complete stdout line is not a valid Airbyte message.
 */
export function outputOf(child: ChildProcessWithoutNullStreams): Promise<string> {
  let stdout = "";
  let text = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    text += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  return new Promise((resolve, reject) =>
    child.once("close", () => {
      try {
        assertProtocolOutput(stdout, "destination-sqs write");
        resolve(text);
      } catch (error) {
        reject(error);
      }
    }),
  );
}

export function exitCodeOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("close", (code) => resolve(code)));
}
