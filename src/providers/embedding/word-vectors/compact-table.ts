import { InternalError } from "../../../spec/errors.js";
import type { SourceVectors } from "./wink-source.js";
import { WordIndex } from "./word-index.js";

/**
 * The word vectors in the form the embedder loads: the most frequent words only, each row
 * already multiplied by its SIF weight and stripped of the common component, quantised to int8
 * with one float scale per row. A sentence vector is then just the sum of its words' rows.
 */
export interface CompactTable {
  header: CompactHeader;
  /** Row i is the word `words.wordAt(i)`. */
  words: WordIndex;
  /** `words.length * header.dimensions` int8 values, row-major. */
  rows: Int8Array;
  /** Multiplies row i's int8 values back to floats. */
  scales: Float32Array;
}

export interface CompactHeader {
  format: typeof FORMAT;
  /** `package@version` the vectors came from. */
  source: string;
  dimensions: number;
  /** The SIF smoothing constant a of a / (a + p(w)). */
  sifA: number;
  /** How p(w) was estimated. */
  frequencies: string;
  /** The removed common direction (unit length). */
  commonComponent: number[];
  /** Typical length of a rare word's row: what an unknown word's hashed part is scaled to. */
  rareRowNorm: number;
}

/**
 * SIF's a. Arora et al. found 1e-4..1e-3 best; with Zipf frequencies over this vocabulary, 1e-4
 * ranked the paraphrase probes best and gave LoCoMo dev3 vector-only evidence recall@10 of
 * 0.336, against 0.333 at 3e-4 and 0.325 at 1e-3 (a numpy probe of this same recipe).
 */
export const DEFAULT_SIF_A = 1e-4;

export interface BuildOptions {
  sifA?: number;
  /** Sentence length assumed when estimating the common component (see `commonComponent`). */
  typicalSentenceWords?: number;
}

const FORMAT = "omnimem-word-vectors-2";
const MAGIC = "OMWV";

/**
 * Frequencies: the source lists its words by corpus frequency but gives no counts, so p(w) is
 * Zipf's law over that rank, p(rank r) = 1 / ((r + 1) H), H the harmonic number of the whole
 * vocabulary: the 1/r law fits word counts in large English corpora closely over this range.
 */
export function zipfProbability(rank: number, vocabularySize: number): number {
  return 1 / ((rank + 1) * harmonic(vocabularySize));
}

function harmonic(n: number): number {
  // Euler–Maclaurin: exact to ~1e-12 for n in the thousands and up.
  return Math.log(n) + 0.5772156649015329 + 1 / (2 * n) - 1 / (12 * n * n);
}

export function buildCompactTable(source: SourceVectors, sourceId: string, options: BuildOptions = {}): CompactTable {
  const sifA = options.sifA ?? DEFAULT_SIF_A;
  const sentenceWords = options.typicalSentenceWords ?? 10;
  const { dimensions } = source;
  const count = source.words.length;
  if (count === 0) throw new InternalError("no word vectors to build from");

  // SIF-weighted vectors v_w = a / (a + p(w)) * x_w, and the frequencies to average them with.
  const weighted = new Float64Array(count * dimensions);
  const probability = new Float64Array(count);
  let totalProbability = 0;
  source.words.forEach((entry, i) => {
    const p = zipfProbability(entry.rank, source.vocabularySize);
    probability[i] = p;
    totalProbability += p;
    const weight = sifA / (sifA + p);
    for (let d = 0; d < dimensions; d++) weighted[i * dimensions + d] = weight * entry.vector[d]!;
  });
  for (let i = 0; i < count; i++) probability[i]! /= totalProbability;

  const common = commonComponent(weighted, probability, dimensions, sentenceWords);
  const rows = new Int8Array(count * dimensions);
  const scales = new Float32Array(count);
  const row = new Float64Array(dimensions);
  const norms: number[] = [];
  for (let i = 0; i < count; i++) {
    let projection = 0;
    for (let d = 0; d < dimensions; d++) projection += weighted[i * dimensions + d]! * common[d]!;
    let largest = 0;
    let norm = 0;
    for (let d = 0; d < dimensions; d++) {
      row[d] = weighted[i * dimensions + d]! - projection * common[d]!;
      largest = Math.max(largest, Math.abs(row[d]!));
      norm += row[d]! * row[d]!;
    }
    norms.push(Math.sqrt(norm));
    const scale = largest > 0 ? largest / 127 : 1;
    scales[i] = scale;
    for (let d = 0; d < dimensions; d++) rows[i * dimensions + d] = Math.round(row[d]! / scale);
  }
  // Rare words (the last half of the table) carry weight ~1: an unknown word should count as one of them.
  const rare = norms.slice(Math.floor(count / 2)).sort((a, b) => a - b);
  return {
    header: {
      format: FORMAT,
      source: sourceId,
      dimensions,
      sifA,
      frequencies: "Zipf's law over the source's frequency rank",
      commonComponent: Array.from(common, (value) => Number(value.toFixed(6))),
      rareRowNorm: rare[Math.floor(rare.length / 2)] ?? 1,
    },
    words: WordIndex.build(source.words.map((entry) => entry.word)),
    rows,
    scales,
  };
}

/**
 * The first principal component of sentence vectors, which SIF removes (Arora et al. 2017): a
 * sentence of L words drawn with frequencies p has second moment M = m mᵀ (1 - 1/L) + S / L,
 * m = Σ p v the mean word vector and S = Σ p v vᵀ; its top eigenvector by power iteration.
 * Computed from the vocabulary itself, so it needs no corpus of sentences.
 */
function commonComponent(weighted: Float64Array, probability: Float64Array, dimensions: number, sentenceWords: number): Float64Array {
  const count = probability.length;
  const mean = new Float64Array(dimensions);
  for (let i = 0; i < count; i++) for (let d = 0; d < dimensions; d++) mean[d]! += probability[i]! * weighted[i * dimensions + d]!;
  let u = Float64Array.from(mean);
  normalize(u);
  for (let iteration = 0; iteration < 50; iteration++) {
    const next = new Float64Array(dimensions);
    let meanDot = 0;
    for (let d = 0; d < dimensions; d++) meanDot += mean[d]! * u[d]!;
    for (let d = 0; d < dimensions; d++) next[d] = mean[d]! * meanDot * (1 - 1 / sentenceWords);
    for (let i = 0; i < count; i++) {
      let dot = 0;
      const base = i * dimensions;
      for (let d = 0; d < dimensions; d++) dot += weighted[base + d]! * u[d]!;
      const factor = (probability[i]! * dot) / sentenceWords;
      for (let d = 0; d < dimensions; d++) next[d]! += factor * weighted[base + d]!;
    }
    normalize(next);
    let change = 0;
    for (let d = 0; d < dimensions; d++) change += Math.abs(next[d]! - u[d]!);
    u = next;
    if (change < 1e-9) break;
  }
  return u;
}

function normalize(vector: Float64Array): void {
  let norm = 0;
  for (const value of vector) norm += value * value;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let d = 0; d < vector.length; d++) vector[d]! *= scale;
}

/**
 * Binary layout: "OMWV", u32 header length, the header as JSON, padding to 4 bytes, then the
 * scales (float32), the word index's hash slots (int32), word starts (uint32) and characters
 * (uint16), the rows (int8). Little-endian throughout. Every array starts 4-byte aligned, so a
 * read file is used in place: no parsing, no copies.
 */
export function encodeCompactTable(table: CompactTable): Buffer {
  const { words } = table;
  const header = Buffer.from(
    JSON.stringify({ ...table.header, words: words.size, slots: words.slots.length, chars: words.chars.length }),
    "utf8",
  );
  const parts = [table.scales, words.slots, words.starts, words.chars, table.rows];
  const headerEnd = align4(8 + header.length);
  const out = Buffer.alloc(headerEnd + parts.reduce((sum, part) => sum + part.byteLength, 0));
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  let at = headerEnd;
  for (const part of parts) {
    Buffer.from(part.buffer, part.byteOffset, part.byteLength).copy(out, at);
    at += part.byteLength;
  }
  return out;
}

export function decodeCompactTable(bytes: Buffer): CompactTable {
  if (bytes.length < 8 || bytes.toString("latin1", 0, 4) !== MAGIC) throw new InternalError("not a compact word-vector file");
  const headerLength = bytes.readUInt32LE(4);
  const parsed = JSON.parse(bytes.toString("utf8", 8, 8 + headerLength)) as CompactHeader & { words: number; slots: number; chars: number };
  if (parsed.format !== FORMAT) throw new InternalError(`compact word vectors of format ${String(parsed.format)}, expected ${FORMAT}`);
  const { words: count, slots: slotCount, chars: charCount, ...header } = parsed;
  const expected = align4(8 + headerLength) + count * 4 + slotCount * 4 + (count + 1) * 4 + charCount * 2 + count * header.dimensions;
  if (bytes.length !== expected) throw new InternalError(`compact word vectors: ${bytes.length} bytes, header says ${expected}`);
  // Views into the file's bytes when they are aligned (a file read whole has its own buffer), else a copy.
  const source = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
  let at = source.byteOffset + align4(8 + headerLength);
  const take = <T>(make: (buffer: ArrayBufferLike, offset: number, length: number) => T, length: number, width: number): T => {
    const view = make(source.buffer, at, length);
    at += length * width;
    return view;
  };
  const scales = take((b, o, n) => new Float32Array(b, o, n), count, 4);
  const slots = take((b, o, n) => new Int32Array(b, o, n), slotCount, 4);
  const starts = take((b, o, n) => new Uint32Array(b, o, n), count + 1, 4);
  const chars = take((b, o, n) => new Uint16Array(b, o, n), charCount, 2);
  const rows = take((b, o, n) => new Int8Array(b, o, n), count * header.dimensions, 1);
  return { header, words: new WordIndex(chars, starts, slots), rows, scales };
}

function align4(offset: number): number {
  return (offset + 3) & ~3;
}
