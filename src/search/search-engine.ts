import type { Embedder } from "../spec/embedder.js";
import { ValidationError } from "../spec/errors.js";
import type { MemoryStore } from "../spec/memory-store.js";
import type { IndexHit, SearchIndex } from "../spec/search-index.js";
import type { MemoryRecord, Scope, SearchFilter, SearchMethod } from "../spec/types.js";
import { reciprocalRankFusion } from "./fusion.js";

export interface SearchRequest {
  query: string;
  scope: Scope;
  method: SearchMethod;
  limit: number;
  filter?: SearchFilter;
  /** Hits scoring below this are dropped (the score of the method used). */
  threshold?: number;
}

export interface ScoredRecord {
  record: MemoryRecord;
  score: number;
}

export interface SearchEngineOptions {
  index: SearchIndex;
  store: MemoryStore;
  embedder: Embedder;
  rrfK: number;
}

/** A fact found by search lends this share of its fused score to the episode it came from. */
const FACT_LIFT = 0.5;

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
    const hits = await this.rank(request);
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
        return index.keyword(request.query, { ...base, limit: request.limit });
      case "vector":
        return index.vector(await this.embedQuery(request.query), { ...base, limit: request.limit, scopeSize: await store.count(request.scope) });
      case "hybrid":
      case "agentic": {
        // A deeper pool than the limit lets fusion promote items that rank well in both lists.
        const pool = { ...base, limit: Math.max(request.limit * 2, 20) };
        const [keyword, vector] = await Promise.all([
          index.keyword(request.query, pool),
          Promise.all([this.embedQuery(request.query), store.count(request.scope)]).then(([embedding, scopeSize]) =>
            index.vector(embedding, { ...pool, scopeSize }),
          ),
        ]);
        return reciprocalRankFusion([keyword, vector], this.options.rrfK);
      }
    }
  }

  private async embedQuery(query: string): Promise<Float32Array> {
    const [vector] = await this.options.embedder.embed([query]);
    return vector!;
  }
}

function sameScope(a: Scope, b: Scope): boolean {
  return a.appId === b.appId && a.projectId === b.projectId && a.ownerType === b.ownerType && a.ownerId === b.ownerId;
}

function liftEpisodes(hits: ScoredRecord[]): ScoredRecord[] {
  const episodes = new Map(hits.filter((hit) => hit.record.kind === "episode").map((hit) => [hit.record.id, hit]));
  for (const hit of hits) {
    const episode = hit.record.episodeId === undefined ? undefined : episodes.get(hit.record.episodeId);
    if (episode !== undefined) episode.score += hit.score * FACT_LIFT;
  }
  return hits.sort((a, b) => b.score - a.score);
}
