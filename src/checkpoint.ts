import type { StateMessage } from "./protocol/messages.js";

export interface Checkpoint {
  state: StateMessage;
  /** Records received since the previous STATE. */
  recordCount: number;
  /** Of those, how many were rejected (skipped by policy or sent to the dead-letter queue). */
  rejectedCount: number;
}

interface Segment {
  outstanding: number;
  recordCount: number;
  rejectedCount: number;
  state?: StateMessage;
}

/**
 * Decides when each STATE may be echoed: once every record received before it has settled
 * (acknowledged by SQS, rejected under the policy, or skipped). Records are grouped into
 * segments, one per STATE; a record's ticket is its segment's number, so settling is O(1).
 */
export class CheckpointTracker {
  private readonly segments: Segment[] = [this.newSegment()];
  /** Ticket of segments[0]. */
  private firstTicket = 0;

  constructor(private readonly onCheckpoint: (checkpoint: Checkpoint) => void) {}

  /**
   * Registers a record and returns the ticket to settle it with. `counted` is false for messages
   * the connector makes itself (rows found removed), which the next STATE waits for but does not count.
   */
  recordReceived(counted = true): number {
    const segment = this.segments[this.segments.length - 1]!;
    segment.outstanding++;
    if (counted) segment.recordCount++;
    return this.firstTicket + this.segments.length - 1;
  }

  settle(ticket: number, rejected = false): void {
    const segment = this.segments[ticket - this.firstTicket];
    if (!segment) throw new Error(`checkpoint ticket ${ticket} was already released`);
    segment.outstanding--;
    if (rejected) segment.rejectedCount++;
    this.release();
  }

  stateReceived(state: StateMessage): void {
    this.segments[this.segments.length - 1]!.state = state;
    this.segments.push(this.newSegment());
    this.release();
  }

  /** Records received but not yet settled. */
  get pending(): number {
    return this.segments.reduce((sum, segment) => sum + segment.outstanding, 0);
  }

  private release(): void {
    while (this.segments.length > 1 && this.segments[0]!.outstanding === 0) {
      const done = this.segments.shift()!;
      this.firstTicket++;
      this.onCheckpoint({ state: done.state!, recordCount: done.recordCount, rejectedCount: done.rejectedCount });
    }
  }

  private newSegment(): Segment {
    return { outstanding: 0, recordCount: 0, rejectedCount: 0 };
  }
}
