/**
 * How delivery gives up on a request: its timeout, or delivery stopping. Delivery makes one per
 * request, and an AbortController with its event listeners cost about 5% of the connector's CPU;
 * this holds a single listener, the one the sender sets.
 */
export class Cancellation {
  private reason: Error | undefined;
  private listener: ((reason: Error) => void) | undefined;

  get cancelled(): boolean {
    return this.reason !== undefined;
  }

  /** Calls `listener` with the reason once cancelled, at once if already; replaces any earlier listener. */
  onCancel(listener: (reason: Error) => void): void {
    if (this.reason) listener(this.reason);
    else this.listener = listener;
  }

  /** The first call wins; later calls do nothing. */
  cancel(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.(reason);
  }

  throwIfCancelled(): void {
    if (this.reason) throw this.reason;
  }

  /** An AbortSignal that aborts with this cancellation, for APIs that take one (the AWS SDK). */
  toSignal(): AbortSignal {
    const controller = new AbortController();
    this.onCancel((reason) => controller.abort(reason));
    return controller.signal;
  }
}

/** The error a cancelled request fails with: named like the SDK's and Node's, which delivery retries. */
export function requestCancelled(why: string): Error {
  return Object.assign(new Error(`Request cancelled: ${why}`), { name: "AbortError" });
}
