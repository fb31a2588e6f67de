/**
 * Memory itself over every backend: the same calls (add, search, get, update, delete, history,
 * getAll, flush, deleteAll) give the same answers on the embedded backend and on PostgreSQL
 * (PGlite + pgvector over the wire protocol, and a real server when OMNIMEM_TEST_PG_URL names
 * one), so Memory is proven to use nothing but the Backend interface.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { rebuildIndex } from "../src/ingest/reindex.js";
import { LocalEmbedder, Memory } from "../src/index.js";
import type { MemoryOptions } from "../src/memory.js";
import { createBackend } from "../src/store/create-backend.js";
import { memoryConfigSchema } from "../src/config/schema.js";
import { PostgresMemoryBackend } from "../src/store/postgres/postgres-memory-backend.js";
import { REAL_PG_URL, dropSchema, freshSchema, pgliteTarget, realPostgresTarget, serverHasVector, type PostgresTarget } from "./support/postgres-targets.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const silent = { logLevel: "silent" as const };

interface Target {
  name: string;
  unavailable?: string;
  /** false: the backend serves keyword search only (a PostgreSQL server without pgvector). */
  vectors?: boolean;
  /**
   * Memory options for a fresh, empty backend, and how to throw it away afterwards; for a shared
   * backend, `another` gives options for a second process's Memory on the same data.
   */
  open(): Promise<{ options: MemoryOptions; dispose(): Promise<void>; another?: () => MemoryOptions }>;
}

const embedded: Target = {
  name: "embedded",
  async open() {
    const root = await makeTempRoot();
    return { options: { root }, dispose: () => removeTempRoot(root), another: () => ({ root }) };
  },
};

function postgres(target: PostgresTarget): Target {
  return {
    // A server without pgvector (Debian's) hosts Memory keyword-only ([store] vectors = false).
    name: target.vectors ? target.name : `${target.name}, keyword-only`,
    ...(target.unavailable !== undefined ? { unavailable: target.unavailable } : {}),
    vectors: target.vectors,
    async open() {
      const root = await makeTempRoot();
      const schema = freshSchema();
      const url = target.url();
      const backend = new PostgresMemoryBackend({ url, schema, poolSize: target.poolSize, index: { vectors: target.vectors } });
      return {
        options: { root, backend },
        dispose: async () => {
          await dropSchema(url, schema);
          await removeTempRoot(root);
        },
        another: () => ({ root, backend: new PostgresMemoryBackend({ url, schema, poolSize: target.poolSize, index: { vectors: target.vectors } }) }),
      };
    },
  };
}

const pglite = pgliteTarget();
const realPostgres = realPostgresTarget(await serverHasVector(REAL_PG_URL));
beforeAll(() => pglite.start(), 180_000);
afterAll(() => pglite.stop());

describe("[store] config picks the backend", () => {
  it("embedded by default; postgres with a url; postgres without one is refused naming store.url", () => {
    expect(createBackend(memoryConfigSchema.parse({ root: "/tmp/x" })).kind).toBe("embedded");
    const keywordOnly = createBackend(memoryConfigSchema.parse({ root: "/tmp/x", store: { backend: "postgres", url: "postgres://db/m", vectors: false } }));
    expect(keywordOnly.index.hasVectors).toBe(false);
    const pg = createBackend(memoryConfigSchema.parse({ root: "/tmp/x", store: { backend: "postgres", url: "postgres://u:secret@db:5432/m" } }));
    expect(pg.kind).toBe("postgres");
    expect(pg.describe().location).not.toContain("secret");
    const refused = memoryConfigSchema.safeParse({ store: { backend: "postgres" } });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(["store", "url"]);
  });
});

for (const target of [embedded, postgres(pglite), postgres(realPostgres)]) {
  describe.skipIf(target.unavailable !== undefined)(`Memory on ${target.name}${target.unavailable ? ` (skipped: ${target.unavailable})` : ""}`, () => {
    let memory: Memory;
    let dispose: () => Promise<void>;
    let another: (() => MemoryOptions) | undefined;

    beforeEach(async () => {
      const opened = await target.open();
      dispose = opened.dispose;
      another = opened.another;
      memory = await Memory.open({ ...opened.options, embedder: new LocalEmbedder({ dimensions: 64 }), ...silent });
    }, 60_000);
    afterEach(async () => {
      await memory.close();
      await dispose();
    });

    it.runIf(target.vectors !== false)("refuses the index a killed reindex left half-built, naming reindex, until reindexed", async () => {
      await memory.add("The team offsite is in Lisbon in September", { userId: "alice", infer: false });
      const embedder = new LocalEmbedder({ dimensions: 64 });
      const dying = { model: embedder.model, dimensions: embedder.dimensions, ready: async () => {}, embed: async (): Promise<Float32Array[]> => Promise.reject(new Error("killed")) };
      await expect(rebuildIndex(memory.backend, dying)).rejects.toThrow("killed");
      await memory.close();
      memory = await Memory.open({ ...another!(), embedder, ...silent });
      await expect(memory.search("offsite", { userId: "alice" })).rejects.toMatchObject({ code: "INDEX_MISMATCH", message: expect.stringMatching(/reindex not finished/) });
      await memory.reindex();
      expect((await memory.search("offsite", { userId: "alice", method: "vector" })).results).toHaveLength(1);
    });

    it.runIf(target !== embedded)("two processes changing one memory at once (text and metadata) keep both changes", async () => {
      const second = await Memory.open({ ...another!(), embedder: new LocalEmbedder({ dimensions: 64 }), ...silent });
      try {
        const ids = [];
        for (let i = 0; i < 10; i++) ids.push((await memory.add(`original ${i}`, { userId: "uma", infer: false })).results[0]!.id);
        await Promise.all(ids.flatMap((id, i) => [memory.update(id, `new text ${i}`), second.update(id, { metadata: { v: i } })]));
        for (const [i, id] of ids.entries()) expect(await memory.get(id), `memory ${i}`).toMatchObject({ memory: `new text ${i}`, metadata: { v: i } });
      } finally {
        await second.close();
      }
    });

    it.runIf(target !== embedded)("two processes repeating an add with the same idempotency key at once: one ADD, one NONE, stored once", async () => {
      const second = await Memory.open({ ...another!(), embedder: new LocalEmbedder({ dimensions: 64 }), ...silent });
      try {
        for (let round = 0; round < 10; round++) {
          const add = (m: Memory) => m.add(`turn of round ${round}`, { userId: "ida", infer: false, idempotencyKey: `k-${round}` });
          const [a, b] = await Promise.all([add(memory), add(second)]);
          expect([a.results[0]!.event, b.results[0]!.event].sort(), `round ${round}`).toEqual(["ADD", "NONE"]);
        }
        expect((await memory.getAll({ userId: "ida", limit: 100 })).results).toHaveLength(10);
      } finally {
        await second.close();
      }
    });

    it("stores text with NUL characters as every backend can (without them), and refuses a NUL in metadata", async () => {
      const { results } = await memory.add("nul\u0000 in the middle", { userId: "nia", infer: false });
      expect((await memory.get(results[0]!.id))?.memory).toBe("nul in the middle");
      await memory.update(results[0]!.id, "changed\u0000 too");
      expect((await memory.get(results[0]!.id))?.memory).toBe("changed too");
      await expect(memory.add("x", { userId: "nia", infer: false, metadata: { tag: "a\u0000b" } })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    });

    it("adds, finds by every method, reads, updates, deletes and keeps history, owner-scoped", async () => {
      const { results } = await memory.add("The team offsite is in Lisbon in September", { userId: "alice", infer: false });
      const id = results[0]!.id;
      await memory.add("Bob's offsite is in Oslo", { userId: "bob", infer: false });
      const methods = target.vectors === false ? (["keyword", "hybrid"] as const) : (["keyword", "vector", "hybrid"] as const);
      for (const method of methods) {
        const hits = (await memory.search("Lisbon offsite", { userId: "alice", method })).results;
        expect(hits.map((hit) => hit.id), method).toEqual([id]);
      }
      if (target.vectors === false) {
        await expect(memory.search("Lisbon offsite", { userId: "alice", method: "vector" })).rejects.toMatchObject({ code: "CAPABILITY_UNAVAILABLE" });
      }
      expect((await memory.get(id))?.memory).toBe("The team offsite is in Lisbon in September");
      expect(await memory.get(id, { userId: "bob" })).toBeNull();
      await memory.update(id, "The team offsite moved to Porto", { userId: "alice" });
      expect((await memory.search("Porto", { userId: "alice", method: "keyword" })).results.map((hit) => hit.id)).toEqual([id]);
      expect((await memory.history(id)).map((entry) => entry.action)).toEqual(["ADD", "UPDATE"]);
      await expect(memory.delete(id, { userId: "bob" })).rejects.toMatchObject({ code: "NOT_FOUND" });
      await memory.delete(id, { userId: "alice" });
      expect(await memory.get(id)).toBeNull();
      expect((await memory.history(id)).map((entry) => entry.action)).toEqual(["ADD", "UPDATE", "DELETE"]);
      expect((await memory.search("Porto", { userId: "alice", method: "hybrid" })).results).toEqual([]);
    });

    it("buffers turns per session until flush, pages getAll, and deleteAll empties one owner", async () => {
      const added = await memory.add([{ role: "user", content: "I started learning the cello" }], { userId: "carol", sessionId: "s1", flush: false });
      expect(added.buffered).toBe(1);
      expect((await memory.pendingTurns({ userId: "carol", sessionId: "s1" })).map((turn) => turn.text)).toEqual(["I started learning the cello"]);
      const flushed = await memory.flush({ userId: "carol", sessionId: "s1" });
      expect(flushed.episodes).toHaveLength(1);
      expect(await memory.pendingTurns({ userId: "carol", sessionId: "s1" })).toEqual([]);
      for (let i = 0; i < 5; i++) await memory.add(`note ${i}`, { userId: "carol", infer: false });
      const first = await memory.getAll({ userId: "carol", limit: 4, withTotal: true });
      expect(first.total).toBe(6);
      const second = await memory.getAll({ userId: "carol", limit: 4, cursor: first.nextCursor! });
      expect(new Set([...first.results, ...second.results].map((item) => item.id)).size).toBe(6);
      expect((await memory.deleteAll({ userId: "carol" })).deleted).toBe(6);
      expect((await memory.getAll({ userId: "carol" })).results).toEqual([]);
    });
  });
}
