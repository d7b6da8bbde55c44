// Deadlines and retries for every AWS call. The SDK's own request timeout only logs a warning
// (unless told to throw) and restarts on every byte received, so an endpoint that accepts a
// connection and never answers, or trickles its answer a byte at a time, would hold a call forever.

import { pipeline, Readable, Transform } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { NodeHttpHandler, type NodeHttpHandlerOptions } from "@smithy/node-http-handler";
import type { FinalizeRequestMiddleware, HttpHandlerOptions, Pluggable } from "@smithy/types";
import { backoffDelayMs } from "./backoff.js";
import { classifySendError, sendFailureOf } from "./send-failure.js";

/** What a call that outran its deadline fails with: named like the SDK's timeouts, which are retried. */
function deadlineExceeded(timeoutMs: number): Error {
  return Object.assign(new Error(`no complete answer within ${timeoutMs} ms`), { name: "TimeoutError", code: "TimeoutError" });
}

/**
 * A body still arriving at its deadline gets another `timeoutMs` if at least this much of it came
 * in the last one: a large download (an S3 object) goes on, a trickle does not.
 */
const MIN_BODY_BYTES_PER_TIMEOUT = 64 * 1024;

type HandleArguments = Parameters<NodeHttpHandler["handle"]>;
type HandleResult = Awaited<ReturnType<NodeHttpHandler["handle"]>>;

/**
 * An HTTP handler whose every attempt ends within `timeoutMs`: connecting, sending, the answer's
 * headers and its whole body (unless the body keeps arriving at MIN_BODY_BYTES_PER_TIMEOUT or
 * more). The caller's abort signal still works.
 */
export class DeadlineHttpHandler extends NodeHttpHandler {
  constructor(
    private readonly timeoutMs: number,
    options: NodeHttpHandlerOptions,
  ) {
    // No requestTimeout: the SDK's only logs a warning, and stops at the headers.
    super({ ...options, connectionTimeout: timeoutMs });
  }

  override async handle(request: HandleArguments[0], options: HttpHandlerOptions = {}): Promise<HandleResult> {
    const deadline = new AbortController();
    const expired = deadlineExceeded(this.timeoutMs);
    let bodyBytes = 0;
    const onDeadline = (): void => {
      if (bodyBytes < MIN_BODY_BYTES_PER_TIMEOUT) {
        deadline.abort(expired);
        return;
      }
      bodyBytes = 0;
      timer = setTimeout(onDeadline, this.timeoutMs);
    };
    let timer = setTimeout(onDeadline, this.timeoutMs);
    const stopFollowing = follow(options.abortSignal, deadline);
    const done = (): void => {
      clearTimeout(timer);
      stopFollowing();
    };
    let result: HandleResult;
    try {
      result = await super.handle(request, { ...options, abortSignal: deadline.signal });
    } catch (error) {
      done();
      throw deadline.signal.reason === expired ? expired : error;
    }
    const body: unknown = result.response.body;
    if (!(body instanceof Readable)) {
      done();
      return result;
    }
    // The body is read after this returns (by the SDK's deserializer): the deadline covers it too.
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bodyBytes += chunk.length;
        callback(null, chunk);
      },
    });
    pipeline(body, counted, done);
    deadline.signal.addEventListener("abort", () => counted.destroy(deadline.signal.reason as Error), { once: true });
    result.response.body = counted;
    return result;
  }
}

/** Aborts `target` when `source` aborts; returns a function that stops following. */
function follow(source: HttpHandlerOptions["abortSignal"], target: AbortController): () => void {
  if (source === undefined) return () => undefined;
  if (source.aborted) {
    target.abort((source as { reason?: unknown }).reason);
    return () => undefined;
  }
  if (!("addEventListener" in source)) return () => undefined;
  const onAbort = (): void => target.abort(source.reason);
  source.addEventListener("abort", onAbort, { once: true });
  return () => source.removeEventListener("abort", onAbort);
}

/** Whether a failed attempt may succeed when tried again: timeouts, network errors, throttling, 5xx. */
function isRetriable(error: unknown): boolean {
  const name = error instanceof Error ? error.name : "";
  // A caller that gave up, and failures of the credential source (which retries its own calls).
  if (name === "AbortError" || name === "AssumeRoleError" || name === "CredentialsProviderError") return false;
  return classifySendError(sendFailureOf(error)).kind === "retry";
}

export interface RetryBudget {
  /** How long a call may keep failing with retriable errors before its last error is thrown. */
  retryMaxMs: number;
  /** Commands whose callers own their retries, e.g. "SendMessageBatchCommand". */
  exceptCommands?: readonly string[];
}

/**
 * A client plugin that retries a failed call, with backoff, for as long as its budget allows.
 * Clients using it are made with `maxAttempts: 1`, so this is their only retry.
 */
export function retryWithinBudget<Input extends object, Output extends object>(budget: RetryBudget): Pluggable<Input, Output> {
  const except = new Set(budget.exceptCommands);
  const middleware: FinalizeRequestMiddleware<Input, Output> = (next, context) => async (args) => {
    if (except.has(context.commandName ?? "")) return next(args);
    const started = performance.now();
    for (let failures = 1; ; failures++) {
      try {
        return await next(args);
      } catch (error) {
        const failingMs = performance.now() - started;
        if (!isRetriable(error) || failingMs >= budget.retryMaxMs) throw error;
        await sleep(Math.min(backoffDelayMs(failures), budget.retryMaxMs - failingMs));
      }
    }
  };
  return {
    applyToStack(stack) {
      // Before signing, so that every attempt is signed afresh.
      stack.addRelativeTo(middleware, { relation: "before", toMiddleware: "httpSigningMiddleware", name: "retryWithinBudget" });
    },
  };
}
