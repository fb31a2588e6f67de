import { describe, expect, it } from "vitest";
import type { Embedder } from "../spec/embedder.js";
import type { MemoryStore } from "../spec/memory-store.js";
import type { IndexHit, SearchIndex } from "../spec/search-index.js";
import type { MemoryRecord, Scope } from "../spec/types.js";
import { SearchEngine } from "./search-engine.js";

const scope: Scope = { appId: "app", projectId: "project", ownerType: "user", ownerId: "alice" };

function engineOver(keyword: IndexHit[], vector: IndexHit[], vectorWeight: number): SearchEngine {
  const ids = [...new Set([...keyword, ...vector].map((hit) => hit.id))];
  const record = (id: string): MemoryRecord => ({ id, kind: "episode", scope, text: id, timestamp: 0, createdAt: 0, updatedAt: 0, metadata: {}, hash: id });
  // Like a real index, each ranking is cut at the depth asked for.
  const index = {
    keyword: async (_text: string, query: { limit: number }) => keyword.slice(0, query.limit),
    vector: async (_vector: Float32Array, query: { limit: number }) => vector.slice(0, query.limit),
  } as unknown as SearchIndex;
  const store = {
    getMany: async (wanted: readonly string[]) => wanted.map(record),
    count: async () => ids.length,
  } as unknown as MemoryStore;
  const embedder: Embedder = { model: "fake", dimensions: 2, ready: async () => undefined, embed: async (texts) => texts.map(() => Float32Array.from([1, 0])) };
  return new SearchEngine({ index, store, embedder, rrfK: 60, vectorWeight, timeWeight: 0, fusion: "score" });
}

describe("hybrid search with score fusion", () => {
  it("lets the vectors' clear first choice pass weak keyword matches: cosines count from the pool's last one", async () => {
    // One strong keyword match (a), two weak ones (b, c); the vectors' best (paraphrase) shares no
    // word with the query. The other cosines sit in a narrow band, as word-vector averages do.
    const keyword = [{ id: "a", score: 10 }, { id: "b", score: 2 }, { id: "c", score: 1.5 }];
    const vector = [{ id: "paraphrase", score: 0.8 }, { id: "a", score: 0.55 }, { id: "b", score: 0.52 }, { id: "c", score: 0.5 }];
    const hits = await engineOver(keyword, vector, 0.5).search({ query: "q", scope, method: "hybrid", limit: 10 });
    // Divided by the best cosine alone, b and c would get 0.65 and 0.63 of the vectors' share and
    // the paraphrase would come last.
    expect(hits.map((hit) => hit.record.id)).toEqual(["a", "paraphrase", "b", "c"]);
  });

  it("keeps the keyword order where the vectors' best is a weak match: cosines count up to a perfect match", async () => {
    // Nothing in the memory means what the query means: the best cosine is 0.34. Scaled to the
    // pool's best, c would take the vectors' full share and pass b, the better keyword match.
    const keyword = [{ id: "a", score: 10 }, { id: "b", score: 9 }, { id: "c", score: 7 }];
    const vector = [{ id: "c", score: 0.34 }, { id: "x", score: 0.3 }, { id: "a", score: 0.2 }, { id: "y", score: 0.15 }];
    const hits = await engineOver(keyword, vector, 0.5).search({ query: "q", scope, method: "hybrid", limit: 10 });
    expect(hits.map((hit) => hit.record.id).slice(0, 3)).toEqual(["a", "b", "c"]);
  });

  it("ranks the same whatever the limit: the first 10 for limit 10 are the first 10 for limit 50", async () => {
    // 150 hits in each ranking, keyword scores falling, cosines in a narrow band in another order.
    const keyword = Array.from({ length: 150 }, (_, i) => ({ id: `m${String(i).padStart(3, "0")}`, score: 20 / (1 + i / 10) }));
    const vector = Array.from({ length: 150 }, (_, i) => ({ id: `m${String((i * 37) % 150).padStart(3, "0")}`, score: 0.7 - i * 0.003 }));
    const engine = engineOver(keyword, vector, 0.5);
    const ids = async (limit: number) => (await engine.search({ query: "q", scope, method: "hybrid", limit })).map((hit) => hit.record.id);
    expect(await ids(10)).toEqual((await ids(50)).slice(0, 10));
  });
});

describe("hybrid candidate pool", () => {
  /** An engine whose index records the depth each ranking is asked for. */
  function recordingEngine(fusion: "rrf" | "score") {
    const asked: number[] = [];
    const index = {
      keyword: async (_text: string, query: { limit: number }) => (asked.push(query.limit), [{ id: "a", score: 1 }]),
      vector: async (_vector: Float32Array, query: { limit: number }) => (asked.push(query.limit), [{ id: "a", score: 0.5 }]),
    } as unknown as SearchIndex;
    const record = (id: string): MemoryRecord => ({ id, kind: "episode", scope, text: id, timestamp: 0, createdAt: 0, updatedAt: 0, metadata: {}, hash: id });
    const store = { getMany: async (ids: readonly string[]) => ids.map(record), count: async () => 1 } as unknown as MemoryStore;
    const embedder: Embedder = { model: "fake", dimensions: 2, ready: async () => undefined, embed: async (texts) => texts.map(() => Float32Array.from([1, 0])) };
    return { asked, engine: new SearchEngine({ index, store, embedder, rrfK: 60, vectorWeight: 1, timeWeight: 0, fusion }) };
  }

  it("takes 100 from each ranking for score fusion and twice the limit (at least 20) for reciprocal-rank fusion", async () => {
    const score = recordingEngine("score");
    await score.engine.search({ query: "q", scope, method: "hybrid", limit: 10 });
    expect(score.asked).toEqual([100, 100]);
    const rrf = recordingEngine("rrf");
    await rrf.engine.search({ query: "q", scope, method: "hybrid", limit: 5 });
    await rrf.engine.search({ query: "q", scope, method: "hybrid", limit: 30 });
    expect(rrf.asked).toEqual([20, 20, 60, 60]);
  });
});
