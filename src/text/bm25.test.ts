import { tokenize } from "@lancedb/lancedb";
import { describe, expect, it } from "vitest";
import { inverseDocumentFrequency, searchTerms, termScore } from "./bm25.js";

describe("searchTerms", () => {
  // Texts chosen for what a tokenizer gets wrong: stop words before and after stemming, digits
  // (wink's stemmer used "3" as a marker), accents folded after stemming, long tokens, CJK.
  const texts = [
    "I'm looking to upgrade my camera flash. Does it work with the Sony A7R IV?",
    "We were researching 300 words for cs231n in the 1930s; she has been running since 2023.",
    "Sauté the onions, then the crème brûlée; a cœur ouvert. Großartig!",
    "eb08c120d364e908646731d60b4e4c6c1712ff63 is a hash, 0123456789012345678901234567890123456789 too",
    "Ourselves, yourselves and themselves: who's doing what, having had it all?",
    "선물하기 좋은 손목시계 추천 and 東京の天気 with emoji 🎉 and tabs\tand\nnewlines",
  ];

  it.each(texts)("makes the terms LanceDB's full-text index makes: %s", async (text) => {
    const lance = (await tokenize(text)).map((token) => token.text);
    expect(searchTerms(text)).toEqual(lance);
  });
});

describe("BM25 parts", () => {
  it("gives a rarer term a higher IDF, always positive", () => {
    expect(inverseDocumentFrequency(1000, 1)).toBeGreaterThan(inverseDocumentFrequency(1000, 100));
    expect(inverseDocumentFrequency(1000, 1000)).toBeGreaterThan(0);
  });

  it("saturates with repeats and favours the shorter document", () => {
    const idf = inverseDocumentFrequency(100, 5);
    expect(termScore(idf, 2, 10, 10)).toBeGreaterThan(termScore(idf, 1, 10, 10));
    expect(termScore(idf, 20, 10, 10)).toBeLessThan(20 * termScore(idf, 1, 10, 10));
    expect(termScore(idf, 1, 5, 10)).toBeGreaterThan(termScore(idf, 1, 20, 10));
  });
});
