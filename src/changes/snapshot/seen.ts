const INITIAL_WORDS = 1024;

/**
 * The snapshot rows a sync has seen, one bit per row id. Marking a row seen in memory instead of
 * in the store keeps unchanged rows read-only (no page rewritten per record): 1M rows take 125 kB.
 */
export class SeenRows {
  private words = new Uint32Array(INITIAL_WORDS);

  add(rowId: number): void {
    const word = rowId >>> 5;
    if (word >= this.words.length) this.grow(word);
    this.words[word]! |= 1 << (rowId & 31);
  }

  has(rowId: number): boolean {
    const word = rowId >>> 5;
    return word < this.words.length && (this.words[word]! & (1 << (rowId & 31))) !== 0;
  }

  private grow(word: number): void {
    const larger = new Uint32Array(Math.max(word + 1, this.words.length * 2));
    larger.set(this.words);
    this.words = larger;
  }
}
