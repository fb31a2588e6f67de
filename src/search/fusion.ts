import type { IndexHit } from "../spec/search-index.js";

/**
 * Reciprocal-rank fusion: each list contributes 1 / (k + rank) for every id it ranks.
 * Scores are divided by the best possible total (rank 1 in every list), so they fall in 0..1
 * and a `threshold` means the same thing whatever k or the number of lists.
 */
export function reciprocalRankFusion(lists: readonly (readonly IndexHit[])[], k: number): IndexHit[] {
  const scores = new Map<string, number>();
  for (const list of lists) {
    list.forEach((hit, index) => {
      scores.set(hit.id, (scores.get(hit.id) ?? 0) + 1 / (k + index + 1));
    });
  }
  const best = lists.length / (k + 1);
  return [...scores.entries()]
    .map(([id, score]) => ({ id, score: score / best }))
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}
