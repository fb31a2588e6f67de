/**
 * Ranking metrics, with LongMemEval's definitions (xiaowu0162/LongMemEval,
 * src/retrieval/eval_utils.py), so our numbers mean what theirs mean:
 *
 * - recall_any@k: 1 when at least one gold item is in the top k, else 0.
 * - recall_all@k: 1 when every gold item is in the top k, else 0. LongMemEval's summary script
 *   (src/evaluation/print_retrieval_metrics.py) prints recall_all and ndcg_any: the paper's
 *   "Recall@k" is recall_all.
 * - ndcg_any@k: binary-relevance NDCG. Their DCG gives rank 1 weight 1 and rank r >= 2 weight
 *   1/log2(r) (the original Järvelin–Kekäläinen discount, not the more common 1/log2(r + 1)),
 *   so rank 2 counts as much as rank 1.
 *
 * With no gold item, their code gives recall_any 0, recall_all 1 (Python's all([]) is true)
 * and ndcg 0; we keep those values so an average "as their script computes it" can be rebuilt,
 * and report questions without reachable gold separately.
 */

import { percentile } from "../stats.js";

export function recallAny(ranked: readonly string[], gold: ReadonlySet<string>, k: number): number {
  if (gold.size === 0) return 0;
  return ranked.slice(0, k).some((id) => gold.has(id)) ? 1 : 0;
}

export function recallAll(ranked: readonly string[], gold: ReadonlySet<string>, k: number): number {
  const top = new Set(ranked.slice(0, k));
  for (const id of gold) if (!top.has(id)) return 0;
  return 1;
}

/** The weight of a relevant item at 1-based `rank` in LongMemEval's DCG. */
export function rankDiscount(rank: number): number {
  return rank <= 1 ? 1 : 1 / Math.log2(rank);
}

export function ndcgAny(ranked: readonly string[], gold: ReadonlySet<string>, k: number): number {
  if (gold.size === 0) return 0;
  let dcg = 0;
  const counted = new Set<string>();
  // A gold id counts once, at its first rank (a ranking should not repeat ids, but be safe).
  ranked.slice(0, k).forEach((id, i) => {
    if (gold.has(id) && !counted.has(id)) dcg += rankDiscount(i + 1);
    counted.add(id);
  });
  let ideal = 0;
  for (let rank = 1; rank <= Math.min(gold.size, k); rank++) ideal += rankDiscount(rank);
  return dcg / ideal;
}

/**
 * LoCoMo's retrieval recall (snap-research/locomo, task_eval/evaluation.py): the share of a
 * question's evidence turns that are in the top k.
 */
export function evidenceRecall(ranked: readonly string[], gold: ReadonlySet<string>, k: number): number {
  if (gold.size === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  let found = 0;
  for (const id of gold) if (top.has(id)) found += 1;
  return found / gold.size;
}

/** The ids in order of first appearance: a session ranking from a ranking of its turns. */
export function firstOccurrences(ids: Iterable<string>): string[] {
  return [...new Set(ids)];
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The value at quantile `p` (0..1) of the values in any order, nearest-rank. */
export function percentileOf(values: readonly number[], p: number): number {
  return percentile([...values].sort((a, b) => a - b), p);
}

/** The metric names of one granularity, in report order: "recall_any@1", ... "ndcg_any@10". */
export function metricNames(ks: readonly number[]): string[] {
  return ["recall_any", "recall_all", "ndcg_any"].flatMap((metric) => ks.map((k) => `${metric}@${k}`));
}

export type MetricSet = Record<string, number>;

/** recall_any, recall_all and ndcg_any at each k for one ranking. */
export function rankingMetrics(ranked: readonly string[], gold: ReadonlySet<string>, ks: readonly number[]): MetricSet {
  const metrics: MetricSet = {};
  for (const k of ks) {
    metrics[`recall_any@${k}`] = recallAny(ranked, gold, k);
    metrics[`recall_all@${k}`] = recallAll(ranked, gold, k);
    metrics[`ndcg_any@${k}`] = ndcgAny(ranked, gold, k);
  }
  return metrics;
}

/** The mean of each metric over several questions' metric sets (all with the same names). */
export function averageMetrics(sets: readonly MetricSet[]): MetricSet {
  const averaged: MetricSet = {};
  if (sets.length === 0) return averaged;
  for (const name of Object.keys(sets[0]!)) averaged[name] = mean(sets.map((set) => set[name]!));
  return averaged;
}
