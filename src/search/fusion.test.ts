import { describe, expect, it } from "vitest";
import { reciprocalRankFusion, scoreFusion } from "./fusion.js";

describe("reciprocalRankFusion", () => {
  it("puts an id ranked well in both lists first and scales the best to 1", () => {
    const fused = reciprocalRankFusion(
      [
        [{ id: "a", score: 9 }, { id: "b", score: 5 }, { id: "c", score: 1 }],
        [{ id: "a", score: 0.9 }, { id: "c", score: 0.8 }],
      ],
      60,
    );
    expect(fused.map((hit) => hit.id)).toEqual(["a", "c", "b"]);
    expect(fused[0]!.score).toBeCloseTo(1, 10);
    // c: 1/63 + 1/62, b: 1/62, normalised by 2/61
    expect(fused[1]!.score).toBeCloseTo((1 / 63 + 1 / 62) / (2 / 61), 10);
    expect(fused[2]!.score).toBeCloseTo(1 / 62 / (2 / 61), 10);
  });

  it("weighs each list's ranks by its weight and still scales the best possible to 1", () => {
    const keyword = [{ id: "a", score: 3 }, { id: "b", score: 2 }];
    const vector = [{ id: "c", score: 0.9 }, { id: "d", score: 0.5 }];
    // Equal weights interleave the two lists; at a quarter weight the vector-only hits come after
    // every keyword hit.
    expect(reciprocalRankFusion([keyword, vector], 60).map((hit) => hit.id)).toEqual(["a", "c", "b", "d"]);
    const weighted = reciprocalRankFusion([keyword, vector], 60, [1, 0.25]);
    expect(weighted.map((hit) => hit.id)).toEqual(["a", "b", "c", "d"]);
    expect(weighted[0]!.score).toBeCloseTo(1 / 61 / (1.25 / 61), 10);
    expect(weighted[2]!.score).toBeCloseTo(0.25 / 61 / (1.25 / 61), 10);
  });

  it("returns nothing for empty lists", () => {
    expect(reciprocalRankFusion([[], []], 60)).toEqual([]);
  });
});

describe("scoreFusion", () => {
  it("keeps a clear keyword winner first where reciprocal rank lets a weak second list overturn it", () => {
    // BM25 has one strong match (a); the vector list ranks b first by a hair and a nowhere.
    const keyword = [{ id: "a", score: 12 }, { id: "b", score: 3 }, { id: "c", score: 2.9 }];
    const vector = [{ id: "b", score: 0.61 }, { id: "c", score: 0.6 }, { id: "d", score: 0.59 }];
    expect(reciprocalRankFusion([keyword, vector], 60, [1, 0.5])[0]!.id).toBe("b");
    const fused = scoreFusion([{ hits: keyword, weight: 1, best: 12 }, { hits: vector, weight: 0.5, best: 0.61 }]);
    expect(fused[0]).toEqual({ id: "a", score: 1 / 1.5 });
    expect(fused[1]!.id).toBe("b");
    expect(fused[1]!.score).toBeCloseTo((3 / 12 + 0.5) / 1.5, 12);
  });

  it("lets the vectors decide where keyword scores are flat, and stays in 0..1", () => {
    const keyword = [{ id: "a", score: 2.0 }, { id: "b", score: 1.98 }];
    const vector = [{ id: "b", score: 0.8 }, { id: "a", score: 0.3 }];
    const fused = scoreFusion([{ hits: keyword, weight: 1, best: 2 }, { hits: vector, weight: 0.5, best: 0.8 }]);
    expect(fused.map((hit) => hit.id)).toEqual(["b", "a"]);
    for (const hit of fused) expect(hit.score).toBeLessThanOrEqual(1);
    // A list restricted to some dates is scaled by its unrestricted list's best, so hits score alike in both.
    const withTime = scoreFusion([
      { hits: keyword, weight: 1, best: 2 },
      { hits: vector, weight: 0.5, best: 0.8 },
      { hits: [{ id: "a", score: 2.0 }], weight: 1, best: 2 },
    ]);
    expect(withTime[0]).toEqual({ id: "a", score: (1 + 0.5 * (0.3 / 0.8) + 1) / 2.5 });
  });

  it("returns nothing for empty lists and ignores a list with no positive best", () => {
    expect(scoreFusion([{ hits: [], weight: 1, best: 0 }])).toEqual([]);
    expect(scoreFusion([{ hits: [{ id: "a", score: -0.2 }], weight: 1, best: -0.2 }])).toEqual([]);
  });

  it("scales a list from its floor to its best, so that where a hit ranks in a narrow band of cosines counts", () => {
    // Cosines of word-vector averages: all near 0.5. Divided by the best alone, the vectors' first
    // (c) and last (a) hit get nearly the same share; from the pool's floor, 1 and 0.
    const keyword = [{ id: "a", score: 10 }, { id: "b", score: 6 }];
    const vector = [{ id: "c", score: 0.62 }, { id: "b", score: 0.55 }, { id: "a", score: 0.5 }];
    const plain = scoreFusion([{ hits: keyword, weight: 1, best: 10 }, { hits: vector, weight: 0.25, best: 0.62 }]);
    expect(plain.find((hit) => hit.id === "a")!.score).toBeCloseTo((1 + 0.25 * (0.5 / 0.62)) / 1.25, 12);
    const floored = scoreFusion([{ hits: keyword, weight: 1, best: 10 }, { hits: vector, weight: 0.25, best: 0.62, floor: 0.5 }]);
    expect(floored.map((hit) => [hit.id, hit.score])).toEqual([
      ["a", 1 / 1.25],
      ["b", expect.closeTo((0.6 + 0.25 * (0.05 / 0.12)) / 1.25, 12)],
      ["c", 0.25 / 1.25],
    ]);
    // A list whose hits all score the same (one hit): full marks, not a division by zero.
    expect(scoreFusion([{ hits: [{ id: "x", score: 0.4 }], weight: 1, best: 0.4, floor: 0.4 }])).toEqual([{ id: "x", score: 1 }]);
  });
});
