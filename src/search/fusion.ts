import type { IndexHit } from "../spec/search-index.js";

/**
 * Reciprocal-rank fusion: each list contributes weight / (k + rank) for every id it ranks (weight 1
 * unless given).
 * Scores are divided by the best possible total (rank 1 in every list), so they fall in 0..1
 * and a `threshold` means the same thing whatever k or the number of lists.
 */
export function reciprocalRankFusion(lists: readonly (readonly IndexHit[])[], k: number, weights: readonly number[] = lists.map(() => 1)): IndexHit[] {
  const scores = new Map<string, number>();
  lists.forEach((list, which) => {
    const weight = weights[which] ?? 1;
    list.forEach((hit, index) => {
      scores.set(hit.id, (scores.get(hit.id) ?? 0) + weight / (k + index + 1));
    });
  });
  const best = weights.slice(0, lists.length).reduce((sum, weight) => sum + weight, 0) / (k + 1);
  return [...scores.entries()]
    .map(([id, score]) => ({ id, score: score / best }))
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

/** One ranking for score fusion: its hits, its weight, and the score that counts as full marks. */
export interface WeightedScores {
  hits: readonly IndexHit[];
  weight: number;
  /** Scores are divided by this (the best score of the unrestricted list of the same kind). */
  best: number;
  /** The score that counts as nothing (default 0): shares are (score - floor) / (best - floor). */
  floor?: number;
}

/**
 * Convex combination of normalised scores: each list contributes weight × score / best (clamped
 * to 0..1) for every id it holds, and the sum is divided by the total weight, so 1 means best
 * in every list. Unlike reciprocal rank it keeps how far ahead a hit is: a keyword hit far above
 * the rest stays first unless the vector side agrees on another, while rankings whose scores
 * are nearly flat (a paraphrase BM25 barely matches) are decided by the other list. (The
 * "convex combination" of Bruch, Gai and Ingber, "An Analysis of Fusion Functions for Hybrid
 * Retrieval", ACM TOIS 2023, with the lists' best scores as the upper bounds and 0 as the lower.)
 */
export function scoreFusion(lists: readonly WeightedScores[]): IndexHit[] {
  const total = lists.reduce((sum, list) => sum + list.weight, 0);
  const scores = new Map<string, number>();
  for (const { hits, weight, best, floor = 0 } of lists) {
    if (!(best > 0) || weight === 0) continue;
    for (const hit of hits) {
      // A list whose hits all score alike (one hit, or ties): each gets full marks.
      const share = best > floor ? Math.min(1, Math.max(0, (hit.score - floor) / (best - floor))) : hit.score >= best ? 1 : 0;
      scores.set(hit.id, (scores.get(hit.id) ?? 0) + weight * share);
    }
  }
  return [...scores.entries()]
    .map(([id, score]) => ({ id, score: total > 0 ? score / total : 0 }))
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}
