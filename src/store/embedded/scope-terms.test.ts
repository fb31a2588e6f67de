import { afterEach, describe, expect, it, vi } from "vitest";
import { join } from "node:path";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { LocalEmbedder } from "../../providers/embedding/local-embedder.js";
import type { IndexHit } from "../../spec/search-index.js";
import type { Scope } from "../../spec/types.js";
import { searchTerms } from "../../text/bm25.js";
import { makeRecord } from "../conformance.suite.js";
import { CorpusStats } from "./corpus-stats.js";
import { LanceIndex } from "./lance-index.js";
import { ScopeTerms, type ScopeTextRow } from "./scope-terms.js";

const embedder = new LocalEmbedder({ dimensions: 16 });
const identity = { model: embedder.model, dimensions: 16 };
const alice: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };
const bob: Scope = { ...alice, ownerId: "bob" };

const TEXTS = [
  "I adopted a beagle named Biscuit last spring",
  "Biscuit the beagle loves long walks in the park",
  "We walked to the park and had a picnic",
  "My sister researches marine biology in Lisbon",
  "Researching beagles: they are friendly hounds",
  "The picnic basket had sandwiches and lemonade",
  "I switched from oat milk to soy milk in my coffee",
];

const textRows = (key: string, texts: readonly string[]): ScopeTextRow[] => texts.map((text, i) => ({ id: `${key}-${i}`, scopeKey: key, terms: searchTerms(text) }));

function corpusOf(rows: readonly ScopeTextRow[]): CorpusStats {
  const corpus = new CorpusStats();
  for (const row of rows) corpus.add(row.terms);
  return corpus;
}

/** Reads an owner into `terms` the way the index does: two misses, then the background read. */
async function hold(terms: ScopeTerms, key: string, rows: ScopeTextRow[]): Promise<void> {
  await terms.prefetch(key, rows.length, async () => rows);
  await terms.prefetch(key, rows.length, async () => rows);
}

describe("ScopeTerms", () => {
  it("answers only for a held owner, and reads an owner on its second miss", async () => {
    const terms = new ScopeTerms(1 << 20);
    const rows = textRows("alice", TEXTS);
    const corpus = corpusOf(rows);
    let reads = 0;
    const read = async () => (reads++, rows);
    expect(terms.best("alice", "beagle", 5, corpus)).toBeUndefined();
    await terms.prefetch("alice", rows.length, read);
    expect(reads).toBe(0);
    await terms.prefetch("alice", rows.length, read);
    expect(reads).toBe(1);
    const hits = terms.best("alice", "beagle", 5, corpus)!;
    expect(hits.map((hit) => hit.id).sort()).toEqual(["alice-0", "alice-1", "alice-4"]);
  });

  it("stays current with updates and deletes, and tells the corpus what a replaced row held", async () => {
    const terms = new ScopeTerms(1 << 20);
    const rows = textRows("alice", TEXTS);
    const corpus = corpusOf(rows);
    await hold(terms, "alice", rows);
    const [updated] = textRows("alice", ["a parrot called Biscuit"]);
    expect(terms.heldTerms("alice-0")).toEqual(searchTerms(TEXTS[0]!));
    expect(terms.heldTerms("alice-0", "alice")).toEqual(searchTerms(TEXTS[0]!));
    expect(terms.heldTerms("alice-0", "bob")).toBeUndefined();
    terms.upserted([updated!]);
    expect(terms.best("alice", "parrot", 5, corpus)!.map((hit) => hit.id)).toEqual(["alice-0"]);
    expect(terms.best("alice", "adopted", 5, corpus)).toEqual([]);
    terms.removed(["alice-1"]);
    expect(terms.best("alice", "loves", 5, corpus)).toEqual([]);
    expect(terms.heldTerms("alice-1")).toBeUndefined();
  });

  it("keeps to the rows that passed a filter without changing their scores", async () => {
    const terms = new ScopeTerms(1 << 20);
    const rows = textRows("alice", TEXTS);
    const corpus = corpusOf(rows);
    await hold(terms, "alice", rows);
    const all = terms.best("alice", "beagle park", 10, corpus)!;
    const passing = new Set(["alice-1", "alice-2"]);
    expect(terms.best("alice", "beagle park", 10, corpus, passing)).toEqual(all.filter((hit) => passing.has(hit.id)));
  });

  it("does not let a background read evict an owner searched in the last 30 s", async () => {
    vi.useFakeTimers();
    try {
      // Long memories, so that an owner takes more than the budget expects of it before reading.
      const long = TEXTS.map((text, i) => `${text} ${Array.from({ length: 200 }, (_, w) => `word${i}x${w}`).join(" ")}`);
      const probe = new ScopeTerms(1 << 30);
      await hold(probe, "alice", textRows("alice", long));
      // Room for alice alone: bob's expected size does not fit beside her.
      const terms = new ScopeTerms(probe.heldBytes + 1);
      const corpus = corpusOf(textRows("alice", long));
      await hold(terms, "alice", textRows("alice", long));
      expect(terms.best("alice", "beagle", 1, corpus)).toBeDefined();
      await hold(terms, "bob", textRows("bob", long));
      expect(terms.best("bob", "beagle", 1, corpus)).toBeUndefined();
      expect(terms.best("alice", "beagle", 1, corpus)).toBeDefined();
      vi.advanceTimersByTime(31_000);
      await hold(terms, "bob", textRows("bob", long));
      expect(terms.best("bob", "beagle", 1, corpus)).toBeDefined();
      expect(terms.best("alice", "beagle", 1, corpus)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("keyword search from memory (LanceIndex with ScopeTerms)", () => {
  let root: string;
  const indexes: LanceIndex[] = [];
  afterEach(async () => {
    for (const index of indexes.splice(0)) await index.close();
    await removeTempRoot(root);
  });

  async function indexWith(name: string, textCacheBytes?: number): Promise<LanceIndex> {
    const index = new LanceIndex({ directory: join(root, name), ...(textCacheBytes === undefined ? {} : { textCacheBytes }) });
    indexes.push(index);
    await index.open(identity);
    const texts = [...TEXTS, ...Array.from({ length: 40 }, (_, i) => `filler note ${i} about the weather and the garden ${i % 3 === 0 ? "beagle" : ""}`)];
    const documents = (scope: Scope) => texts.map((text, i) => ({ record: { ...makeRecord(scope, text), id: `${scope.ownerId}-${String(i).padStart(3, "0")}`, timestamp: 1_000 * i }, vector: embedder.embedOne(text) }));
    await index.insert(documents(alice));
    await index.insert(documents(bob));
    await index.maintain();
    return index;
  }

  it("ranks and scores as LanceDB's full-text search does, filtered or not, and never crosses owners", async () => {
    root = await makeTempRoot();
    const fromLance = await indexWith("lance", 0);
    const fromMemory = await indexWith("memory");
    const answered = vi.spyOn(ScopeTerms.prototype, "best");
    const queries = ["beagle park", "researching marine biology", "milk in my coffee", "weather garden beagle"];
    const search = (index: LanceIndex, query: string, filter?: { timestamp: { gte: number } }) =>
      index.keyword(query, { scope: alice, limit: 20, scopeSize: 47, ...(filter === undefined ? {} : { filter }) });
    // Two misses put the owner in memory (read in the background).
    await search(fromMemory, "beagle");
    await search(fromMemory, "beagle");
    await vi.waitFor(async () => {
      answered.mockClear();
      await search(fromMemory, "beagle");
      expect(answered.mock.results.at(-1)?.value).toBeDefined();
    });
    for (const query of queries) {
      for (const filter of [undefined, { timestamp: { gte: 20_000 } }]) {
        const expected = await search(fromLance, query, filter);
        const actual: IndexHit[] = await search(fromMemory, query, filter);
        expect(actual.length).toBe(expected.length);
        actual.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]!.score, 4));
        // Hits tied with the last one may differ: which of them LanceDB keeps at the limit is its own choice.
        const cut = expected.at(-1)?.score ?? 0;
        const above = (hits: IndexHit[]) => hits.filter((hit) => hit.score > cut + 1e-4).map((hit) => hit.id);
        expect(above(actual)).toEqual(above(expected));
        expect(actual.every((hit) => hit.id.startsWith("alice-"))).toBe(true);
      }
    }
    expect(answered.mock.results.filter((result) => result.value !== undefined).length).toBeGreaterThanOrEqual(queries.length * 2);
    answered.mockRestore();
  });
});
