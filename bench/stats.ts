/** Latency summaries shared by the benchmarks. */

export interface LatencySummary {
  /** How many operations were timed. */
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  /** Operations per second over the timed loop (sequential: one at a time). */
  perSecond: number;
}

/** Nearest-rank percentile of an ascending list (p in 0..1). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]!;
}

/** Summary of per-operation times (ms) measured in a loop that took `wallMs` in all. */
export function summarize(timesMs: readonly number[], wallMs: number): LatencySummary {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
    max: sorted.at(-1) ?? Number.NaN,
    perSecond: wallMs > 0 ? (sorted.length / wallMs) * 1000 : Number.NaN,
  };
}
