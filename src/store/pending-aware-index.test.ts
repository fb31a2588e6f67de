import { describe, expect, it } from "vitest";
import type { Embedder } from "../spec/embedder.js";
import type { IndexHit, IndexQuery, SearchIndex } from "../spec/search-index.js";
import type { MemoryRecord, Scope } from "../spec/types.js";
import { PendingAwareIndex, PendingVectors } from "./pending-aware-index.js";

const scope: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };

function record(id: string, text: string): MemoryRecord {
  return { id, kind: "fact", scope, text, timestamp: 0, createdAt: 0, updatedAt: 0, metadata: {}, hash: `h-${text}` };
}

/** An index that answers fixed hits, as if it held older versions of some records. */
function fixedIndex(keyword: IndexHit[], vector: IndexHit[]): SearchIndex {
  const unused = () => Promise.reject(new Error("not used here"));
  return {
    open: unused, close: unused, insert: unused, upsert: unused, remove: unused, count: unused, reset: unused, maintain: unused, idle: unused,
    keyword: async (_text: string, query: IndexQuery) => keyword.slice(0, query.limit),
    vector: async (_vector: Float32Array, query: IndexQuery) => vector.slice(0, query.limit),
  };
}

/** One axis per known word: texts sharing words are similar. */
const AXES = ["cat", "dog", "piano", "tuesday"];
const embedder: Embedder & { calls: number } = {
  model: "axes",
  dimensions: AXES.length,
  calls: 0,
  ready: async () => undefined,
  async embed(texts) {
    this.calls++;
    return texts.map((text) => Float32Array.from(AXES.map((axis) => (text.toLowerCase().includes(axis) ? 1 : 0))));
  },
};

describe("PendingAwareIndex", () => {
  const pending = [record("p1", "Alice feeds the cat on Tuesday"), record("p2", "The piano lesson is at noon")];
  const make = (vectors = new PendingVectors()) =>
    new PendingAwareIndex(
      fixedIndex(
        [{ id: "p1", score: 9 }, { id: "old", score: 1.5 }],
        [{ id: "p1", score: 0.99 }, { id: "old", score: 0.2 }],
      ),
      async () => pending,
      embedder,
      vectors,
      async () => 50,
    );

  it("reads the store once for a keyword and a vector query asked together, and afresh for the next", async () => {
    let reads = 0;
    const index = new PendingAwareIndex(fixedIndex([], []), async () => (reads++, pending), embedder, new PendingVectors(), async () => 50);
    const vector = Float32Array.from([1, 0, 0, 0]);
    await Promise.all([index.keyword("cat", { scope, limit: 5 }), index.vector(vector, { scope, limit: 5, scopeSize: 50 })]);
    expect(reads).toBe(1);
    // Another filter is another read; a later query reads again (nothing is kept once a read settles).
    await Promise.all([index.keyword("cat", { scope, limit: 5 }), index.keyword("cat", { scope, limit: 5, filter: { role: "user" } })]);
    expect(reads).toBe(3);
  });

  it("keyword: scores pending records by BM25, replaces the index's stale hit for them, skips stop-word-only matches", async () => {
    const hits = await make().keyword("the cat", { scope, limit: 10 });
    // p1 scored on its current text, not the index's 9; p2 shares only "the" (a stop word).
    expect(hits.map((hit) => hit.id)).toEqual(["p1", "old"]);
    expect(hits[0]!.score).toBeGreaterThan(1.5);
    expect(hits[0]!.score).toBeLessThan(9);
    expect(await make().keyword("the a of", { scope, limit: 10 })).toEqual([{ id: "old", score: 1.5 }]);
  });

  it("vector: cosine over pending vectors, remembered ones not embedded again, limit applied", async () => {
    const vectors = new PendingVectors();
    vectors.remember(pending.map((r) => ({ record: r, vector: Float32Array.from([0, 0, 1, 0]) })));
    const before = embedder.calls;
    const hits = await make(vectors).vector(Float32Array.from([0, 0, 1, 0]), { scope, limit: 2 });
    expect(embedder.calls).toBe(before);
    expect(hits).toEqual([
      { id: "p1", score: 1 },
      { id: "p2", score: 1 },
    ]);
    // A text changed since (another hash) is embedded afresh.
    const fresh = await make().vector(Float32Array.from([1, 0, 0, 0]), { scope, limit: 3 });
    expect(embedder.calls).toBe(before + 1);
    expect(fresh.map((hit) => hit.id)).toEqual(["p1", "old", "p2"]);
  });
});
