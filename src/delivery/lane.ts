import { MAX_BATCH_ENTRIES } from "../sqs-limits.js";
import { FifoList } from "./fifo-list.js";
import type { BatchEntry, OutgoingMessage } from "./types.js";

/** Entry ids are positions in the first batch an entry was sent in: unique per request, kept on retry. */
const ENTRY_IDS = Array.from({ length: MAX_BATCH_ENTRIES }, (_, position) => String(position));

/** The messages of one message group (FIFO) or of the whole queue (standard) waiting to be sent. */
export interface MessageGroup {
  readonly key: string;
  readonly pending: FifoList<OutgoingMessage>;
  pendingBytes: number;
  /** Entries sent and not yet acknowledged or rejected. On a FIFO queue, more than 0 locks the group. */
  unsettled: number;
  /** Whether the group is in its lane's ready list. */
  ready: boolean;
}

function newGroup(key: string): MessageGroup {
  return { key, pending: new FifoList(), pendingBytes: 0, unsettled: 0, ready: false };
}

/**
 * The messages waiting for one queue URL. Batches are cut when a request slot is free, from the
 * groups in the ready list (oldest first): a FIFO group leaves the list when a batch takes its
 * messages and comes back when all of them are settled, so each batch costs O(its entries),
 * whatever the number of groups.
 */
export class Lane {
  private ready = 0;
  private readyByteCount = 0;
  private readonly groups = new Map<string, MessageGroup>();
  private readonly queueGroup = newGroup("");
  private readonly readyGroups = new FifoList<MessageGroup>();

  constructor(
    readonly queueUrl: string,
    private readonly fifo: boolean,
    private readonly maxBatchBytes: number,
  ) {}

  /** Messages a batch could be cut from now (in ready groups). */
  get readyCount(): number {
    return this.ready;
  }

  /** The bytes of those messages. */
  get readyBytes(): number {
    return this.readyByteCount;
  }

  isFull(): boolean {
    return this.ready >= MAX_BATCH_ENTRIES || this.readyByteCount >= this.maxBatchBytes;
  }

  add(message: OutgoingMessage): void {
    const group = this.fifo ? this.groupOf(message.groupId ?? "") : this.queueGroup;
    group.pending.push(message);
    group.pendingBytes += message.bytes;
    if (group.ready) {
      this.ready++;
      this.readyByteCount += message.bytes;
    } else if (!this.isLocked(group)) {
      this.markReady(group);
    }
  }

  /** Takes the next batch: up to 10 entries and maxBatchBytes, in order within each group. */
  cut(): { entries: BatchEntry[]; groups: MessageGroup[] } {
    const entries: BatchEntry[] = [];
    const groups: MessageGroup[] = [];
    let bytes = 0;
    let full = false;
    while (!full) {
      const group = this.readyGroups.peek();
      if (group === undefined) break;
      for (let message = group.pending.peek(); message !== undefined; message = group.pending.peek()) {
        const tooBig = entries.length > 0 && bytes + message.bytes > this.maxBatchBytes;
        if (entries.length === MAX_BATCH_ENTRIES || tooBig) {
          full = true;
          break;
        }
        group.pending.shift();
        group.pendingBytes -= message.bytes;
        group.unsettled++;
        this.ready--;
        this.readyByteCount -= message.bytes;
        bytes += message.bytes;
        entries.push({ id: ENTRY_IDS[entries.length]!, message });
        groups.push(group);
      }
      if (group.pending.length === 0 || this.isLocked(group)) this.unreadyHead(group);
    }
    return { entries, groups };
  }

  /** One entry of `group` was acknowledged or rejected: a FIFO group with none left unsettled unlocks. */
  settle(group: MessageGroup): void {
    group.unsettled--;
    if (!this.fifo || group.unsettled > 0) return;
    if (group.pending.length > 0) this.markReady(group);
    else this.groups.delete(group.key);
  }

  private groupOf(key: string): MessageGroup {
    let group = this.groups.get(key);
    if (group === undefined) {
      group = newGroup(key);
      this.groups.set(key, group);
    }
    return group;
  }

  private isLocked(group: MessageGroup): boolean {
    return this.fifo && group.unsettled > 0;
  }

  private markReady(group: MessageGroup): void {
    group.ready = true;
    this.readyGroups.push(group);
    this.ready += group.pending.length;
    this.readyByteCount += group.pendingBytes;
  }

  private unreadyHead(group: MessageGroup): void {
    group.ready = false;
    this.readyGroups.shift();
    this.ready -= group.pending.length;
    this.readyByteCount -= group.pendingBytes;
  }
}
