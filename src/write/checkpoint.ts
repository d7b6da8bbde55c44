export interface Checkpoint<S> {
  state: S;
  /**
   * Records the STATE covers, not counting rejected ones: for a STATE of one stream, that stream's
   * records since its previous STATE; for a STATE of all streams, every record since the previous STATE.
   */
  recordCount: number;
  /** Of the records the STATE covers, how many were rejected (skipped by policy or sent to the dead-letter queue). */
  rejectedCount: number;
}

/** The records of one stream between two of its STATEs (or of all streams between two STATEs). */
interface Counts {
  records: number;
  rejected: number;
}

interface Segment<S> {
  outstanding: number;
  /** The counts each stream's records of this segment went to, so a rejection later is counted there. */
  counts: Map<string, Counts>;
  state?: S;
  /** The counts the segment's STATE reports. */
  covers?: Counts[];
}

/**
 * Decides when each STATE may be echoed: once every record received before it has settled
 * (acknowledged by SQS, rejected under the policy, or skipped). Records are grouped into
 * segments, one per STATE; a record's ticket is its segment's number, so settling is O(1).
 * Counts are kept per stream, because the platform compares a stream's STATE with that stream's
 * records only.
 */
export class CheckpointTracker<S> {
  private readonly segments: Segment<S>[] = [this.newSegment()];
  /** Ticket of segments[0]. */
  private firstTicket = 0;
  /** Each stream's counts since its last STATE (or the last STATE of all streams). */
  private readonly open = new Map<string, Counts>();

  constructor(private readonly onCheckpoint: (checkpoint: Checkpoint<S>) => void) {}

  /**
   * Registers a record of stream `stream` and returns the ticket to settle it with. Without a
   * stream, the message is one the connector makes itself (a row found removed): the next STATE
   * waits for it but does not count it.
   */
  recordReceived(stream?: string): number {
    const segment = this.segments[this.segments.length - 1]!;
    segment.outstanding++;
    if (stream !== undefined) {
      let counts = this.open.get(stream);
      if (counts === undefined) {
        counts = { records: 0, rejected: 0 };
        this.open.set(stream, counts);
      }
      counts.records++;
      if (!segment.counts.has(stream)) segment.counts.set(stream, counts);
    }
    return this.firstTicket + this.segments.length - 1;
  }

  /** `rejectedFrom` names the stream of a counted record that was rejected. */
  settle(ticket: number, rejectedFrom?: string): void {
    const segment = this.segments[ticket - this.firstTicket];
    if (!segment) throw new Error(`checkpoint ticket ${ticket} was already released`);
    segment.outstanding--;
    if (rejectedFrom !== undefined) {
      const counts = segment.counts.get(rejectedFrom);
      if (counts) counts.rejected++;
    }
    this.release();
  }

  /** A STATE of stream `stream`, or of all streams when `stream` is undefined (GLOBAL and LEGACY). */
  stateReceived(state: S, stream?: string): void {
    const segment = this.segments[this.segments.length - 1]!;
    segment.state = state;
    if (stream === undefined) {
      segment.covers = [...this.open.values()];
      this.open.clear();
    } else {
      const counts = this.open.get(stream);
      segment.covers = counts === undefined ? [] : [counts];
      this.open.delete(stream);
    }
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
      let records = 0;
      let rejected = 0;
      for (const counts of done.covers!) {
        records += counts.records;
        rejected += counts.rejected;
      }
      this.onCheckpoint({ state: done.state!, recordCount: records - rejected, rejectedCount: rejected });
    }
  }

  private newSegment(): Segment<S> {
    return { outstanding: 0, counts: new Map() };
  }
}
