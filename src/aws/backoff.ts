const BASE_MS = 100;
const CAP_MS = 20_000;

/** Exponential backoff with full jitter: a random wait in [0, min(cap, base × 2^(failures-1))). */
export function backoffDelayMs(failures: number): number {
  return Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, failures - 1));
}
