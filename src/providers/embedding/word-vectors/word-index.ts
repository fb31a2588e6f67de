/**
 * Word → row of the compact table, as flat typed arrays that are stored in the table's file and
 * used in place when it is read: an open-addressing hash table over the words' UTF-16 code
 * units. Reading a 100k-word table this way costs nothing beyond reading the file; building a
 * Map of 100k strings, and splitting them out of the file first, took 150–300 ms per open on a
 * busy machine (most of a memory's open time).
 */
export class WordIndex {
  /**
   * @param chars every word's UTF-16 code units, one after the other
   * @param starts where word i starts in `chars`; `starts[count]` is the end of the last
   * @param slots hash slots (a power of two in number): a row, or -1 for an empty slot
   */
  constructor(
    readonly chars: Uint16Array,
    readonly starts: Uint32Array,
    readonly slots: Int32Array,
  ) {}

  static build(words: readonly string[]): WordIndex {
    const starts = new Uint32Array(words.length + 1);
    let total = 0;
    words.forEach((word, i) => {
      starts[i] = total;
      total += word.length;
    });
    starts[words.length] = total;
    const chars = new Uint16Array(total);
    words.forEach((word, i) => {
      for (let c = 0; c < word.length; c++) chars[starts[i]! + c] = word.charCodeAt(c);
    });
    // At most a quarter full: probes stay short.
    let slotCount = 1024;
    while (slotCount < words.length * 4) slotCount *= 2;
    const index = new WordIndex(chars, starts, new Int32Array(slotCount).fill(-1));
    words.forEach((word, row) => {
      const mask = slotCount - 1;
      for (let slot = hashWord(word) & mask; ; slot = (slot + 1) & mask) {
        const held = index.slots[slot]!;
        if (held === -1) {
          index.slots[slot] = row;
          break;
        }
        // A repeated word keeps its first (most frequent) row.
        if (index.matches(held, word)) break;
      }
    });
    return index;
  }

  get size(): number {
    return this.starts.length - 1;
  }

  rowOf(word: string): number | undefined {
    const mask = this.slots.length - 1;
    for (let slot = hashWord(word) & mask; ; slot = (slot + 1) & mask) {
      const row = this.slots[slot]!;
      if (row === -1) return undefined;
      if (this.matches(row, word)) return row;
    }
  }

  wordAt(row: number): string {
    return String.fromCharCode(...this.chars.subarray(this.starts[row]!, this.starts[row + 1]!));
  }

  private matches(row: number, word: string): boolean {
    const start = this.starts[row]!;
    if (this.starts[row + 1]! - start !== word.length) return false;
    for (let c = 0; c < word.length; c++) if (this.chars[start + c] !== word.charCodeAt(c)) return false;
    return true;
  }
}

/** FNV-1a over UTF-16 code units. */
function hashWord(word: string): number {
  let hash = 0x811c9dc5;
  for (let c = 0; c < word.length; c++) hash = Math.imul(hash ^ word.charCodeAt(c), 0x01000193);
  return hash >>> 0;
}
