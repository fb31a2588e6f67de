import type { Embedder } from "../spec/embedder.js";
import { ValidationError } from "../spec/errors.js";
import type { MemoryStore } from "../spec/memory-store.js";
import type { IndexHit, SearchIndex } from "../spec/search-index.js";
import type { MemoryRecord, Scope, SearchFilter, SearchMethod } from "../spec/types.js";
import { retrievalJudgementPrompt, retrievalJudgementSchema } from "./retrieval-judgement.js";
import type { Logger } from "../log.js";
import type { StructuredModel } from "../spec/llm.js";
import { liftEpisodes } from "./episode-lift.js";
import { reciprocalRankFusion, scoreFusion } from "./fusion.js";
import { queryTimeWindows, withinWindows } from "./query-time.js";

export interface SearchRequest {
  query: string;
  scope: Scope;
  method: SearchMethod;
  limit: number;
  filter?: SearchFilter;
  /** Hits scoring below this are dropped (the score of the method used). */
  threshold?: number;
  /** When the question is asked (epoch ms): "last week" in the query is resolved against it. Default: now. */
  now?: number;
}

export interface ScoredRecord {
  record: MemoryRecord;
  score: number;
}

export type HybridFusion = "rrf" | "score";

export interface SearchEngineOptions {
  index: SearchIndex;
  store: MemoryStore;
  embedder: Embedder;
  rrfK: number;
  /** Weight of the vector ranking against the keyword ranking's 1 in hybrid fusion. */
  vectorWeight: number;
  /**
   * Weight, in hybrid fusion, of the rankings restricted to the dates the query names ("last
   * week", "in May"): 0 turns time-aware search off.
   */
  timeWeight: number;
  /** How hybrid fuses its rankings: reciprocal rank ("rrf") or normalised scores ("score"). */
  fusion: HybridFusion;
  /** What the vector side embeds for a query (default: the query as it is); see vector-query.ts. */
  vectorQuery?: (query: string) => string;
  /** Judges agentic results and writes follow-up queries; without it agentic is hybrid. */
  llm?: StructuredModel;
  logger?: Logger;
}

/** Agentic search asks the judge at most this many times (each may add up to 3 queries). */
const AGENTIC_ROUNDS = 2;

/**
 * keyword, vector and hybrid retrieval over one owner's memories. The index returns ids and
 * scores; records come from the store, so results always show the current text.
 */
export class SearchEngine {
  constructor(private readonly options: SearchEngineOptions) {}

  async search(request: SearchRequest): Promise<ScoredRecord[]> {
    if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > 1000) {
      throw new ValidationError("limit must be an integer in 1..1000", { details: { path: "limit" } });
    }
    // Fusion returns up to a pool's worth of ids from each ranking (candidatePool); records are
    // read for the best of them only: reading one costs about 10 µs, 1.3 ms for 200 fused ids.
    const hits = (await this.rank(request)).slice(0, hydrationDepth(request.limit));
    const records = await this.options.store.getMany(hits.map((hit) => hit.id));
    const byId = new Map(records.map((record) => [record.id, record]));
    const scored: ScoredRecord[] = [];
    for (const hit of hits) {
      const record = byId.get(hit.id);
      // The index may briefly hold an id the store no longer has (a delete awaiting its index job);
      // and a record outside the scope must never surface, whatever the index returned.
      if (record === undefined || !sameScope(record.scope, request.scope)) continue;
      scored.push({ record, score: hit.score });
    }
    const lifted = request.method === "keyword" || request.method === "vector" ? scored : liftEpisodes(scored);
    return lifted
      .filter((hit) => request.threshold === undefined || hit.score >= request.threshold)
      .slice(0, request.limit);
  }

  private async rank(request: SearchRequest): Promise<IndexHit[]> {
    const { index, store } = this.options;
    const base = { scope: request.scope, filter: request.filter };
    switch (request.method) {
      case "keyword":
        return index.keyword(request.query, { ...base, limit: request.limit, scopeSize: await store.count(request.scope) });
      case "vector":
        return index.vector(await this.embedQuery(request.query), { ...base, limit: request.limit, scopeSize: await store.count(request.scope) });
      case "agentic":
        return this.options.llm === undefined ? this.hybrid(request) : this.agentic(request, this.options.llm);
      case "hybrid":
        return this.hybrid(request);
    }
  }

  /**
   * Keyword and vector rankings fused (weighted reciprocal rank or normalised scores, `fusion`),
   * each taken to the candidate pool's depth. When the query names dates,
   * the same two rankings restricted to those dates join the fusion (weighted `timeWeight`), so
   * what matches and happened then rises, and what matches at other times still ranks.
   */
  private async hybrid(request: SearchRequest): Promise<IndexHit[]> {
    const { index, store, vectorWeight, timeWeight } = this.options;
    const pool = { scope: request.scope, filter: request.filter, limit: candidatePool(request.limit, this.options.fusion) };
    const windows = timeWeight > 0 ? queryTimeWindows(request.query, request.now ?? Date.now()) : [];
    if (index.hasVectors === false) {
      // An index without vectors (keyword-only PostgreSQL): hybrid is keyword, time-aware as ever.
      const lists = await Promise.all([index.keyword(request.query, pool), ...(windows.length === 0 ? [] : [index.keyword(request.query, { ...pool, filter: withinWindows(request.filter, windows) })])]);
      return scoreFusion(lists.map((hits, i) => ({ hits, weight: i === 0 ? 1 : timeWeight, best: lists[0]![0]?.score ?? 0 })));
    }
    const [embedding, scopeSize] = await Promise.all([this.embedQuery(request.query), store.count(request.scope)]);
    const both = (query: typeof pool) => [index.keyword(request.query, { ...query, scopeSize }), index.vector(embedding, { ...query, scopeSize })];
    const lists = await Promise.all(windows.length === 0 ? both(pool) : [...both(pool), ...both({ ...pool, filter: withinWindows(request.filter, windows) })]);
    const weights = [1, vectorWeight, timeWeight, timeWeight * vectorWeight].slice(0, lists.length);
    if (this.options.fusion === "rrf") return reciprocalRankFusion(lists, this.options.rrfK, weights);
    // Restricted lists are scaled like their unrestricted list, so a hit scores alike in both.
    // Keyword: by the best BM25 score. Vector: from the pool's last cosine to a perfect match.
    const best = [lists[0]![0]?.score ?? 0, COSINE_CEILING];
    const floor = [0, poolFloor(lists[1]!)];
    return scoreFusion(lists.map((hits, i) => ({ hits, weight: weights[i]!, best: best[i % 2]!, floor: floor[i % 2]! })));
  }

  /**
   * Hybrid, then the LLM judges whether the top hits answer the query; if not, its follow-up
   * queries are searched too and every list is fused by reciprocal rank.
   */
  private async agentic(request: SearchRequest, llm: StructuredModel): Promise<IndexHit[]> {
    const asked = new Set([normalise(request.query)]);
    const lists: IndexHit[][] = [await this.hybrid(request)];
    let fused = lists[0]!;
    for (let round = 0; round < AGENTIC_ROUNDS; round++) {
      const top = await this.options.store.getMany(fused.slice(0, request.limit).map((hit) => hit.id));
      let judgement;
      try {
        judgement = (
          await llm.generateJson({
            schema: retrievalJudgementSchema,
            schemaName: "retrieval_judgement",
            ...retrievalJudgementPrompt(request.query, top.map((record) => record.text)),
          })
        ).value;
      } catch (error) {
        this.options.logger?.warn({ err: error }, "agentic search: the judge failed; answering with what was found");
        return fused;
      }
      const queries = judgement.queries.filter((query) => !asked.has(normalise(query))).slice(0, 3);
      if (judgement.sufficient || queries.length === 0) return fused;
      for (const query of queries) {
        asked.add(normalise(query));
        lists.push(await this.hybrid({ ...request, query }));
      }
      fused = reciprocalRankFusion(lists, this.options.rrfK);
    }
    return fused;
  }

  private async embedQuery(query: string): Promise<Float32Array> {
    const [vector] = await this.options.embedder.embed([this.options.vectorQuery?.(query) ?? query]);
    return vector!;
  }
}

/**
 * How many hits hybrid takes from each ranking before fusing them: a fixed depth, whatever the
 * limit asked for (unless it asks for more). A pool deeper than the limit lets fusion promote
 * items that rank well in both lists; and the depth is part of the scoring, since score fusion
 * counts cosines from the pool's last one (poolFloor). A pool that grew with the limit (twice
 * the limit, at least 20) ranked differently for limit 10 than for limit 50: the default search
 * (limit 10) scored against a 20-deep pool that the benchmark (limit 25 and 50) never measured.
 * Offline over the dev samples' rankings (both lists fused as here, depth 20 to 200): from 100
 * up, hybrid held LongMemEval-S dev60 session recall_all@5 0.96 and LoCoMo dev3 recall@10
 * 0.788-0.790 (depth 50, what LoCoMo's limit 25 gave: 0.784; depth 20-50: session recall_all@5
 * 0.92). With an ANN index the vector search already explores ef = 100 candidates.
 */
export const CANDIDATE_POOL = 100;

/**
 * Reciprocal-rank fusion (an embedding model, or the hashed embedder) keeps the pool it was
 * measured with: twice the limit, at least 20. Its scores do not depend on the pool's depth,
 * and a deeper pool made it worse where the vector ranking is approximate: with an embedding
 * endpoint and the HNSW graph at 100k memories (bench/reports/speed.md), "source in top 10" for
 * hybrid fell from 100% to 94% with the 100-deep pool, as memories ranked moderately in both
 * lists passed the keyword ranking's first hit.
 */
export function candidatePool(limit: number, fusion: "rrf" | "score"): number {
  return fusion === "rrf" ? Math.max(limit * 2, 20) : Math.max(limit, CANDIDATE_POOL);
}

/**
 * How many of the fused hits search reads records for: twice the limit, at least 40 (what
 * hybrid read with its earlier pool of twice the limit, at least 20, from each list). The rest
 * are cut, not read: they are there for fusion to rank the top, and one of them could only
 * matter as a fact lending a small score to its episode (episode-lift.ts) or by replacing a
 * hit from another scope, which the index never returns.
 */
export function hydrationDepth(limit: number): number {
  return Math.max(limit * 2, 40);
}

/**
 * The cosine that counts as full marks in score fusion's vector list: a perfect match, not the
 * pool's best. Scaled to the pool's best (min-max), the vector side gave its first hit full
 * marks however weak it was: a query whose best cosine is 0.34 (nothing in the memory means the
 * same) spread its vector weight over the pool as widely as one whose best is 0.75 (a close
 * paraphrase), and reordered clear keyword hits by noise. Against the cosine's own maximum the
 * vector side pushes as far as its evidence is strong: a pool's vector shares are only high when
 * its cosines rise well above the pool's last. (Bruch et al.'s "theoretical" bound, used on the
 * upper end, where the cosine has one; the lower end stays the pool's last, see poolFloor.)
 * Measured with the vector weight at 0.5 (bench/reports/retrieval.md): LoCoMo dev3 hybrid
 * recall@10 0.783 -> 0.784, multi-hop @10 0.394 -> 0.415 and temporal @25 0.944 -> 0.956, no longer
 * below keyword; LongMemEval-S dev60 unchanged at session recall_all@5 0.96, turn recall_all@10 0.90.
 */
export const COSINE_CEILING = 1;

/**
 * What counts as no similarity at all in score fusion's vector list: the cosine of the last hit
 * of the pool. Cosines between averaged word vectors sit in a narrow band far above 0 (any two
 * English texts share much of their direction), so dividing by the best cosine alone gives the
 * whole pool nearly the same share: the vector side then adds about the same to every hit it
 * holds and decides nothing. Scaled from the pool's last to its best (min-max, one of the
 * normalisations Bruch et al. analyse), a text the vectors rank high gets a share well above one
 * they barely kept. Measured: LongMemEval-S dev60 hybrid session recall_all@5 0.94 -> 0.96,
 * LoCoMo dev3 recall@10 0.775 -> 0.782 (bench/reports/retrieval.md; the upper end has since
 * become a perfect match, see COSINE_CEILING). BM25 scores keep 0 as
 * their floor: a text that shares no word with the query scores 0, and the scale is already wide.
 */
export function poolFloor(hits: readonly IndexHit[]): number {
  return hits.length >= 2 ? hits[hits.length - 1]!.score : 0;
}

function normalise(query: string): string {
  return query.trim().toLowerCase().replace(/\s+/g, " ");
}

function sameScope(a: Scope, b: Scope): boolean {
  return a.appId === b.appId && a.projectId === b.projectId && a.ownerType === b.ownerType && a.ownerId === b.ownerId;
}
