/**
 * The behaviour every SearchIndex must show, driven the way Memory drives it: the store applies
 * the change, then the index gets the document (MemoryWriter's order). A backend's test calls
 * `describeSearchIndexConformance` with a factory for a fresh, empty store + index pair.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalEmbedder } from "../providers/embedding/local-embedder.js";
import { IndexMismatchError, ValidationError } from "../spec/errors.js";
import type { MemoryStore } from "../spec/memory-store.js";
import type { EmbeddingIdentity, SearchIndex } from "../spec/search-index.js";
import type { MemoryRecord, Scope, SearchFilter } from "../spec/types.js";
import { makeRecord } from "./conformance.suite.js";

export interface IndexPair {
  store: MemoryStore;
  index: SearchIndex;
}

export interface SearchIndexConformanceFactory {
  /** A new, empty, not yet opened store and index that belong together. */
  create(): Promise<IndexPair>;
  destroy?(pair: IndexPair): Promise<void>;
  /** Set when the index cannot search by vector here: the vector tests are skipped, saying why. */
  vectorsUnavailable?: string;
}

const embedder = new LocalEmbedder({ dimensions: 64 });
const identity: EmbeddingIdentity = { model: embedder.model, dimensions: 64 };
const alice: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };
const bob: Scope = { ...alice, ownerId: "bob" };

export function describeSearchIndexConformance(name: string, factory: SearchIndexConformanceFactory): void {
  describe(`SearchIndex conformance: ${name}`, () => {
    let pair: IndexPair;
    const withVectors = factory.vectorsUnavailable === undefined;

    beforeEach(async () => {
      pair = await factory.create();
      await pair.store.open();
      await pair.index.open(identity);
    });

    afterEach(async () => {
      await pair.index.close();
      await pair.store.close();
      await factory.destroy?.(pair);
    });

    /** Memory's write path: store first, then the index. */
    const add = async (...records: MemoryRecord[]) => {
      await pair.store.apply(records.map((record) => ({ op: "add" as const, record })));
      await pair.index.insert(records.map((record) => ({ record, vector: embedder.embedOne(record.text) })));
      return records;
    };
    const ids = (hits: { id: string }[]) => hits.map((hit) => hit.id);

    it("finds a memory by keyword right after it is written, only in its owner's memories", async () => {
      const [mine] = await add(makeRecord(alice, "Alice adopted a grey cat named Miso"));
      await add(makeRecord(bob, "Bob also adopted a cat named Miso"), makeRecord(alice, "Alice went hiking in the Alps"));
      expect(ids(await pair.index.keyword("Miso cat", { scope: alice, limit: 10 }))).toEqual([mine!.id]);
      expect(await pair.index.keyword("Miso", { scope: { ...alice, ownerId: "carol" }, limit: 10 })).toEqual([]);
      expect(await pair.index.keyword("   ", { scope: alice, limit: 10 })).toEqual([]);
    });

    it("ranks the memory that matches more of a keyword query first, and any word is enough to match", async () => {
      const [both, one] = await add(
        makeRecord(alice, "The quarterly budget review meeting moved to Friday"),
        makeRecord(alice, "Lunch on Friday with the design team"),
        makeRecord(alice, "Nothing in common here"),
      );
      const hits = await pair.index.keyword("budget meeting friday", { scope: alice, limit: 10 });
      expect(ids(hits)).toEqual([both!.id, one!.id]);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    });

    it.skipIf(!withVectors)(`finds a memory by vector, owner-scoped, with cosine similarity as the score${withVectors ? "" : ` (skipped: ${factory.vectorsUnavailable})`}`, async () => {
      const texts = ["paris travel plans in june", "favourite food is ramen", "learning to play the cello", "allergic to peanuts"];
      const records = await add(...texts.map((text) => makeRecord(alice, text)));
      await add(makeRecord(bob, "favourite food is ramen"));
      for (const scopeSize of [undefined, 4]) {
        const hits = await pair.index.vector(embedder.embedOne("favourite food is ramen"), { scope: alice, limit: 2, scopeSize });
        expect(hits).toHaveLength(2);
        expect(hits[0]!.id).toBe(records[1]!.id);
        expect(hits[0]!.score).toBeCloseTo(1, 4);
        expect(hits[1]!.score).toBeLessThan(hits[0]!.score);
      }
      expect(await pair.index.vector(new Float32Array(64), { scope: alice, limit: 5 })).toEqual([]);
    });

    it("follows updates and deletes", async () => {
      const [record] = await add(makeRecord(alice, "the old text about apples"));
      const changed = { ...record!, text: "the new text about pears", updatedAt: record!.updatedAt + 1 };
      await pair.store.apply([{ op: "update", record: changed }]);
      await pair.index.upsert([{ record: changed, vector: embedder.embedOne(changed.text) }]);
      await pair.index.upsert([{ record: changed, vector: embedder.embedOne(changed.text) }]);
      expect(await pair.index.keyword("apples", { scope: alice, limit: 5 })).toEqual([]);
      expect(ids(await pair.index.keyword("pears", { scope: alice, limit: 5 }))).toEqual([record!.id]);
      if (withVectors) {
        expect(await pair.index.count()).toBe(1);
        expect(ids(await pair.index.vector(embedder.embedOne(changed.text), { scope: alice, limit: 1 }))).toEqual([record!.id]);
      }
      await pair.store.apply([{ op: "delete", id: record!.id }]);
      await pair.index.remove([record!.id]);
      expect(await pair.index.keyword("pears", { scope: alice, limit: 5 })).toEqual([]);
      expect(await pair.index.count()).toBe(0);
      if (withVectors) expect(await pair.index.vector(embedder.embedOne(changed.text), { scope: alice, limit: 5 })).toEqual([]);
    });

    it("applies filters inside the query, and a filter never reaches another owner", async () => {
      const [morning, evening, tagged] = await add(
        makeRecord(alice, "coffee in the morning", { sessionId: "s1", timestamp: Date.UTC(2026, 4, 1, 8) }),
        makeRecord(alice, "coffee in the evening", { sessionId: "s2", timestamp: Date.UTC(2026, 4, 1, 20) }),
        makeRecord(alice, "coffee with a tag", { sessionId: "s2", metadata: { topic: "drinks", stars: 5 } }),
      );
      await add(makeRecord(bob, "coffee for bob", { sessionId: "s1" }));
      const keyword = async (filter: SearchFilter) => ids(await pair.index.keyword("coffee", { scope: alice, limit: 10, filter })).sort();
      expect(await keyword({ session_id: "s1" })).toEqual([morning!.id]);
      expect(await keyword({ timestamp: { gte: Date.UTC(2026, 4, 1, 12), lt: Date.UTC(2026, 4, 2) } })).toEqual([evening!.id]);
      expect(await keyword({ topic: "drinks" })).toEqual([tagged!.id]);
      expect(await keyword({ metadata: { stars: 5 } })).toEqual([tagged!.id]);
      expect(await keyword({ stars: "5" })).toEqual([]);
      expect(await keyword({ OR: [{ session_id: "s1" }, { topic: "drinks" }] })).toEqual([morning!.id, tagged!.id].sort());
      expect(await keyword({ topic: { ne: "drinks" } })).toEqual([morning!.id, evening!.id].sort());
      expect(await keyword({ OR: [{ user_id: "bob" }, { owner_id: "bob" }] })).toEqual([]);
      if (withVectors) {
        const hits = await pair.index.vector(embedder.embedOne("coffee"), { scope: alice, limit: 10, filter: { session_id: "s2" } });
        expect(ids(hits).sort()).toEqual([evening!.id, tagged!.id].sort());
      }
    });

    it("treats quotes and SQL in filter values and queries as data, and refuses odd metadata keys", async () => {
      const [record] = await add(makeRecord(alice, "it's O'Brien's notebook", { metadata: { note: "x' OR '1'='1" } }));
      await add(makeRecord(bob, "bob's notebook"));
      const keyword = (query: string, filter?: SearchFilter) => pair.index.keyword(query, { scope: alice, limit: 10, filter });
      expect(ids(await keyword("O'Brien's notebook"))).toEqual([record!.id]);
      expect(ids(await keyword("notebook", { note: "x' OR '1'='1" }))).toEqual([record!.id]);
      expect(await keyword("notebook", { session_id: "' OR owner_id = 'bob" })).toEqual([]);
      expect(await keyword("notebook'); DROP TABLE memories; --")).toHaveLength(1);
      await expect(keyword("notebook", { "note') OR true --": "x" })).rejects.toBeInstanceOf(ValidationError);
      await expect(keyword("notebook", { session_id: { like: "%" } } as unknown as SearchFilter)).rejects.toBeInstanceOf(ValidationError);
      // Keys named like Object.prototype members are metadata keys, not columns.
      const [labelled] = await add(makeRecord(alice, "a labelled notebook", { metadata: { constructor: "y" } }));
      expect(ids(await keyword("notebook", { constructor: "y" }))).toEqual([labelled!.id]);
      expect(await keyword("notebook", { toString: "z" })).toEqual([]);
    });

    it("refuses to open with another embedding model until it is reset", async () => {
      await add(makeRecord(alice, "hello there"));
      await pair.index.close();
      const other: EmbeddingIdentity = { model: "text-embedding-3-small", dimensions: 32 };
      const reopened = pair.index;
      if (withVectors) {
        await expect(reopened.open(other)).rejects.toBeInstanceOf(IndexMismatchError);
        await expect(reopened.open({ ...identity, dimensions: 32 })).rejects.toThrow(/reindex/);
      }
      await reopened.open(identity);
      if (withVectors) {
        await reopened.reset(other);
        expect(await reopened.count()).toBe(0);
        const [record] = await pair.store.getMany((await pair.store.list({ scope: alice, limit: 1 })).records.map((r) => r.id));
        await reopened.upsert([{ record: record!, vector: new Float32Array(32).fill(0.5) }]);
        expect(ids(await reopened.vector(new Float32Array(32).fill(0.5), { scope: alice, limit: 1 }))).toEqual([record!.id]);
        await reopened.reset(identity);
      }
    });
  });
}
