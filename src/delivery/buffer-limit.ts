import { getHeapStatistics } from "node:v8";

/** The most message bytes delivery holds unsettled, whatever the heap. */
export const MAX_BUFFERED_BYTES = 128 * 1024 * 1024;

/**
 * The share of the heap that unsettled message bytes may take. Each buffered byte costs several
 * on the heap: the input line, the parsed record, the message body, and the request body a batch
 * is serialized into while it is in flight.
 */
const HEAP_SHARE = 1 / 16;

/** How many message bytes delivery may hold unsettled in a process whose heap is limited to `heapLimitBytes`. */
export function maxBufferedBytes(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  return Math.min(MAX_BUFFERED_BYTES, Math.floor(heapLimitBytes * HEAP_SHARE));
}
