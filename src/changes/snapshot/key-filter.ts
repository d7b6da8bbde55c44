/** 2^22 bits (512 KiB): under 10% false positives for 400k keys, under 22% for 1M. */
const FILTER_BITS = 1 << 22;

/**
 * The keys saved to a stream that was empty when the sync began, approximately: `mayHave` is false
 * only for a key never added. During a first sync almost every lookup is for a new key, and this
 * answers those without asking the store; a false positive only costs the lookup it would have made.
 */
export class KeyFilter {
  private readonly words = new Int32Array(FILTER_BITS >>> 5);

  add(key: string): void {
    const bit = bitOf(key);
    this.words[bit >>> 5]! |= 1 << (bit & 31);
  }

  mayHave(key: string): boolean {
    const bit = bitOf(key);
    return (this.words[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }
}

/** FNV-1a over the UTF-16 code units: cheap, and spreads short numeric keys well. */
function bitOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & (FILTER_BITS - 1);
}
