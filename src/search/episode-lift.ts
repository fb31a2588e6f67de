/**
 * A fact found by search lends part of its score to the episode it was drawn from, so an
 * episode whose facts match ranks above one that only shares words with the query.
 *
 * Fused scores are in 0..1 (1: first in every list). The lift an episode receives is
 * `FACT_LIFT` times the sum of its facts' scores, capped at `FACT_LIFT` (a sum of 1: one fact
 * ranked first everywhere, or several weaker ones), and every score is then divided by the best
 * attainable total, 1 + FACT_LIFT. Scores stay in 0..1 whatever the number of facts, order is
 * the additive lift's except where the cap binds, and the scale is the same with or without
 * facts, so a threshold means the same thing in every search.
 */
export const FACT_LIFT = 0.5;

export interface LiftableHit {
  score: number;
  record: { id: string; kind: string; episodeId?: string };
}

export function liftEpisodes<T extends LiftableHit>(hits: T[]): T[] {
  const factScore = new Map<string, number>();
  for (const hit of hits) {
    const episodeId = hit.record.episodeId;
    if (hit.record.kind === "episode" || episodeId === undefined) continue;
    factScore.set(episodeId, (factScore.get(episodeId) ?? 0) + hit.score);
  }
  const best = 1 + FACT_LIFT;
  return hits
    .map((hit) => {
      const lift = hit.record.kind === "episode" ? FACT_LIFT * Math.min(1, factScore.get(hit.record.id) ?? 0) : 0;
      return { ...hit, score: Math.min(1, Math.max(0, (hit.score + lift) / best)) };
    })
    .sort((a, b) => b.score - a.score || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0));
}
