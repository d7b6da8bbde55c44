/** How late the connector's own thread has been running: a round trip includes the wait for it. */
export interface LagMeter {
  /** Starts measuring (idempotent). */
  start(): void;
  stop(): void;
  /** The longest stall since the last call, in ms. */
  takeLongestMs(): number;
}

const TICK_MS = 10;

/**
 * A timer ticking every 10 ms while started: how much later than due a tick runs is how long the
 * event loop could not answer, whether busy or descheduled by the OS. The timer never keeps the
 * process alive.
 */
export class EventLoopLag implements LagMeter {
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  private longest = 0;

  start(): void {
    if (this.timer !== undefined) return;
    this.dueAt = performance.now() + TICK_MS;
    this.timer = setInterval(this.tick, TICK_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  takeLongestMs(): number {
    const longest = Math.max(this.longest, this.timer === undefined ? 0 : performance.now() - this.dueAt);
    this.longest = 0;
    return Math.max(0, longest);
  }

  private readonly tick = (): void => {
    const now = performance.now();
    this.longest = Math.max(this.longest, now - this.dueAt);
    this.dueAt = now + TICK_MS;
  };
}
