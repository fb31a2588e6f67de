import { describe, expect, it } from "vitest";
import { averageMetrics, evidenceRecall, firstOccurrences, ndcgAny, percentileOf, rankingMetrics, recallAll, recallAny } from "./metrics.js";

// Values worked out by hand with LongMemEval's DCG: rank 1 and rank 2 weigh 1, rank r >= 2 weighs 1/log2(r).
describe("recall_any and recall_all", () => {
  const ranked = ["a", "b", "c", "d"];
  const gold = new Set(["b", "d"]);

  it("recall_any is 1 from the rank of the first gold item on", () => {
    expect(recallAny(ranked, gold, 1)).toBe(0);
    expect(recallAny(ranked, gold, 2)).toBe(1);
    expect(recallAny(ranked, gold, 10)).toBe(1);
  });

  it("recall_all is 1 only once every gold item is in", () => {
    expect(recallAll(ranked, gold, 2)).toBe(0);
    expect(recallAll(ranked, gold, 3)).toBe(0);
    expect(recallAll(ranked, gold, 4)).toBe(1);
  });

  it("a gold item that was never retrieved keeps recall_all at 0 for every k", () => {
    expect(recallAll(["a", "b"], new Set(["a", "x"]), 50)).toBe(0);
    expect(recallAny(["a", "b"], new Set(["a", "x"]), 50)).toBe(1);
  });

  it("no gold gives LongMemEval's values: recall_any 0, recall_all 1, ndcg 0", () => {
    expect(recallAny(ranked, new Set(), 5)).toBe(0);
    expect(recallAll(ranked, new Set(), 5)).toBe(1);
    expect(ndcgAny(ranked, new Set(), 5)).toBe(0);
  });
});

describe("ndcg_any", () => {
  it("gold at ranks 2 and 4 of 4: (1 + 1/2) / (1 + 1) = 0.75", () => {
    expect(ndcgAny(["a", "b", "c", "d"], new Set(["b", "d"]), 4)).toBeCloseTo(0.75, 10);
  });

  it("cuts at k: gold at rank 2 only counts, over an ideal of two: 0.5", () => {
    expect(ndcgAny(["a", "b", "c", "d"], new Set(["b", "d"]), 3)).toBeCloseTo(0.5, 10);
    expect(ndcgAny(["a", "b", "c", "d"], new Set(["b", "d"]), 1)).toBe(0);
  });

  it("one gold item at rank 3: 1/log2(3) = 0.6309", () => {
    expect(ndcgAny(["a", "b", "c"], new Set(["c"]), 10)).toBeCloseTo(1 / Math.log2(3), 10);
    expect(ndcgAny(["a", "b", "c"], new Set(["c"]), 10)).toBeCloseTo(0.6309, 4);
  });

  it("rank 2 weighs as much as rank 1 (their discount), so a lone gold item at rank 2 scores 1", () => {
    expect(ndcgAny(["a", "b"], new Set(["b"]), 5)).toBe(1);
  });

  it("the ideal counts at most k gold items; unretrieved gold still lowers the score", () => {
    // Gold a (rank 1) and x (missing): dcg 1, ideal 1 + 1 = 2.
    expect(ndcgAny(["a", "b"], new Set(["a", "x"]), 5)).toBeCloseTo(0.5, 10);
    // k = 1: ideal is one item, and a is at rank 1.
    expect(ndcgAny(["a", "b"], new Set(["a", "x"]), 1)).toBe(1);
  });

  it("perfect ranking of three gold items scores 1", () => {
    expect(ndcgAny(["a", "b", "c", "d"], new Set(["a", "b", "c"]), 10)).toBeCloseTo(1, 10);
  });
});

describe("evidence recall (LoCoMo)", () => {
  it("is the share of evidence turns in the top k", () => {
    const ranked = ["D1:1", "D1:2", "D2:5"];
    const gold = new Set(["D1:2", "D3:1"]);
    expect(evidenceRecall(ranked, gold, 1)).toBe(0);
    expect(evidenceRecall(ranked, gold, 2)).toBe(0.5);
    expect(evidenceRecall(ranked, new Set(["D1:1", "D2:5"]), 3)).toBe(1);
  });
});

describe("helpers", () => {
  it("firstOccurrences turns a turn ranking's sessions into a session ranking", () => {
    expect(firstOccurrences(["s1", "s1", "s2", "s1", "s3"])).toEqual(["s1", "s2", "s3"]);
  });

  it("percentile is nearest-rank", () => {
    expect(percentileOf([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(percentileOf([5, 1, 3, 2, 4], 0.95)).toBe(5);
    expect(percentileOf([7], 0.5)).toBe(7);
  });

  it("rankingMetrics and averageMetrics name metrics metric@k and average them per name", () => {
    const one = rankingMetrics(["a", "b"], new Set(["b"]), [1, 3]);
    expect(one).toEqual({ "recall_any@1": 0, "recall_all@1": 0, "ndcg_any@1": 0, "recall_any@3": 1, "recall_all@3": 1, "ndcg_any@3": 1 });
    const two = rankingMetrics(["b", "a"], new Set(["b"]), [1, 3]);
    expect(averageMetrics([one, two])["recall_any@1"]).toBe(0.5);
    expect(averageMetrics([one, two])["ndcg_any@3"]).toBe(1);
  });
});
