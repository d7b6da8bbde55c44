/** How many messages may wait for their rows to be journaled before the reader waits too. */
const MAX_HELD = 5000;
/** And how many bytes of message bodies. */
const MAX_HELD_BYTES = 32 * 1024 * 1024;

/**
 * Messages that may leave only once something is durable (a snapshot in S3 journals each row
 * first): each is handed on when its condition holds and every message held before it has been
 * handed on, so the order of messages is kept. The reader waits while too many are held.
 */
export class SendGate {
  private tail: Promise<void> = Promise.resolve();
  private held = 0;
  private heldBytes = 0;
  private waiting: (() => void)[] = [];

  /**
   * Holds a message of `bytes` until `ready` resolves, then runs `send` (which may return a
   * promise to wait on before the next message goes). A failure is reported to `failed`, and no
   * message held after it is sent. Returns a promise when the caller must wait for room.
   */
  hold(
    ready: Promise<void>,
    bytes: number,
    send: () => Promise<void> | undefined,
    failed: (error: Error) => void,
  ): Promise<void> | undefined {
    this.held++;
    this.heldBytes += bytes;
    // Its failure is reported when its turn comes; until then it must not count as unhandled.
    ready.catch(() => undefined);
    const sent = this.tail.then(() => ready).then(send);
    sent.catch(failed);
    this.tail = sent.finally(() => {
      this.held--;
      this.heldBytes -= bytes;
      if (this.hasRoom()) for (const wake of this.waiting.splice(0)) wake();
    });
    this.tail.catch(() => undefined);
    return this.hasRoom() ? undefined : new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Resolves once every held message has been handed on (or given up after a failure). */
  drained(): Promise<void> {
    return this.tail.catch(() => undefined);
  }

  private hasRoom(): boolean {
    return this.held < MAX_HELD && this.heldBytes < MAX_HELD_BYTES;
  }
}
