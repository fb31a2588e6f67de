import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { LocalEmbedder } from "../../providers/embedding/local-embedder.js";
import { IndexMismatchError } from "../../spec/errors.js";
import type { Scope } from "../../spec/types.js";
import { makeRecord } from "../conformance.suite.js";
import { LanceIndex } from "./lance-index.js";

const embedder = new LocalEmbedder({ dimensions: 64 });
const identity = { model: embedder.model, dimensions: 64 };
const alice: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };
const bob: Scope = { ...alice, ownerId: "bob" };

describe("LanceIndex", () => {
  let root: string;
  let index: LanceIndex;

  beforeEach(async () => {
    root = await makeTempRoot();
  });
  afterEach(async () => {
    await index.close();
    await removeTempRoot(root);
  });

  const documents = (scope: Scope, texts: string[]) =>
    texts.map((text) => ({ record: makeRecord(scope, text), vector: embedder.embedOne(text) }));

  it("builds an ANN index past the threshold and still finds exact matches, scoped", async () => {
    index = new LanceIndex({ directory: join(root, "lance"), annMinRows: 600, annMinScopeRows: 1, maintainEveryRows: 1_000_000 });
    await index.open(identity);
    const texts = Array.from({ length: 700 }, (_, i) => `memory ${i} about topic${i % 37} and item${i}`);
    const docs = documents(alice, texts);
    await index.insert(docs);
    await index.insert(documents(bob, ["bob item5 secret"]));
    expect(index.hasAnnIndex).toBe(false);
    await index.maintain();
    expect(index.hasAnnIndex).toBe(true);
    const reopened = new LanceIndex({ directory: join(root, "lance"), annMinScopeRows: 1 });
    await index.close();
    index = reopened;
    await index.open(identity);
    expect(index.hasAnnIndex).toBe(true);
    for (const i of [5, 123, 650]) {
      const hits = await index.vector(embedder.embedOne(texts[i]!), { scope: alice, limit: 5, scopeSize: 700 });
      expect(hits[0]?.id).toBe(docs[i]!.record.id);
      expect(hits[0]!.score).toBeCloseTo(1, 3);
    }
    const keyword = await index.keyword("item5", { scope: alice, limit: 10 });
    expect(keyword.map((hit) => hit.id)).toEqual([docs[5]!.record.id]);
  });

  it("leaves compaction to a maintenance of its own after building the ANN graph, due at once", async () => {
    index = new LanceIndex({ directory: join(root, "lance"), annMinRows: 600, annMinScopeRows: 1, maintainEveryRows: 1_000_000, maintenanceSpacing: 0 });
    await index.open(identity);
    const table = (index as unknown as { table: lancedb.Table }).table;
    const optimize = vi.spyOn(table, "optimize");
    await index.insert(documents(alice, Array.from({ length: 700 }, (_, i) => `memory ${i}`)));
    await index.maintain();
    expect(index.hasAnnIndex).toBe(true);
    expect(optimize).not.toHaveBeenCalled();
    // No row written since: the owed compaction is due all the same.
    await index.idle();
    expect(optimize).toHaveBeenCalledTimes(1);
  });

  it("builds the ANN graph only once some owner is big enough for a query to use it, also after a reopen", async () => {
    const options = { directory: join(root, "lance"), annMinRows: 600, annMinScopeRows: 400, maintainEveryRows: 1_000_000 };
    index = new LanceIndex(options);
    await index.open(identity);
    // 700 rows over 7 owners of 100: past annMinRows, but every owner is scanned exactly.
    for (let owner = 0; owner < 7; owner++) {
      await index.insert(documents({ ...alice, ownerId: `owner${owner}` }, Array.from({ length: 100 }, (_, i) => `note ${i} of owner ${owner}`)));
    }
    await index.maintain();
    expect(index.hasAnnIndex).toBe(false);
    // A new process counts the owners from the table.
    await index.close();
    index = new LanceIndex(options);
    await index.open(identity);
    await index.maintain();
    expect(index.hasAnnIndex).toBe(false);
    // owner0 grows to 400 rows: now a query of theirs would use the graph.
    await index.insert(documents({ ...alice, ownerId: "owner0" }, Array.from({ length: 300 }, (_, i) => `later note ${i}`)));
    await index.maintain();
    expect(index.hasAnnIndex).toBe(true);
  });

  it("maintains rows written during a maintenance without waiting for another write, and idle() waits for it", async () => {
    index = new LanceIndex({ directory: join(root, "lance"), maintainEveryRows: 10, maintainEveryWrites: 1_000 });
    await index.open(identity);
    await index.insert(documents(alice, ["first fact"]));
    // Ten rows: due, so a maintenance starts; the next insert lands while it runs (its index
    // builds take far longer than one append).
    await index.insert(documents(alice, Array.from({ length: 10 }, (_, i) => `fact ${i}`)));
    await index.insert(documents(alice, Array.from({ length: 10 }, (_, i) => `later fact ${i}`)));
    await index.idle();
    // Without a second maintenance the rows of that last insert would stay out of the full-text
    // index. (Not counted in fragments: whether LanceDB's compaction has merged them yet depends
    // on whether they landed before or after the first maintenance folded in the rows before.)
    expect(await index.count()).toBe(21);
    expect(await unindexedRows(root)).toBe(0);
  });

  it("keeps a small table's keyword index current: maintenance is due after a quarter of the table, 250 rows at least", async () => {
    index = new LanceIndex({ directory: join(root, "lance"), maintainEveryWrites: 1_000 });
    await index.open(identity);
    const batch = (from: number) => documents(alice, Array.from({ length: 100 }, (_, i) => `fact number ${from + i}`));
    // The first write creates the full-text index over its rows; 200 rows written are not due.
    await index.insert(batch(0));
    await index.insert(batch(100));
    await index.idle();
    expect(await unindexedRows(root)).toBe(100);
    // 300 rows written: due (a fixed 2,000 rows left every one of them unindexed).
    await index.insert(batch(200));
    await index.idle();
    expect(await unindexedRows(root)).toBe(0);
    expect((await index.keyword("number 250", { scope: alice, limit: 1 })).length).toBe(1);
  });

  it("puts a due maintenance off while the last one is recent, and idle() runs it", async () => {
    // Spacing a million: after a maintenance of t ms the next waits a million t (over 15 minutes).
    index = new LanceIndex({ directory: join(root, "lance"), maintainEveryRows: 10, maintainEveryWrites: 1_000, maintenanceSpacing: 1_000_000 });
    await index.open(identity);
    await index.insert(documents(alice, Array.from({ length: 10 }, (_, i) => `first ${i}`)));
    await index.idle();
    const maintain = vi.spyOn(index, "maintain");
    // Due once the write returns: decided then, and put off, not started.
    await index.insert(documents(alice, Array.from({ length: 10 }, (_, i) => `second ${i}`)));
    expect(maintain).not.toHaveBeenCalled();
    expect(await unindexedRows(root)).toBe(10);
    await index.idle();
    expect(maintain).toHaveBeenCalledTimes(1);
    expect(await unindexedRows(root)).toBe(0);
  });

  it("records the embedding identity and refuses another", async () => {
    index = new LanceIndex({ directory: join(root, "lance") });
    await index.open(identity);
    await index.insert(documents(alice, ["hello"]));
    await index.close();
    index = new LanceIndex({ directory: join(root, "lance") });
    await expect(index.open({ model: "text-embedding-3-small", dimensions: 64 })).rejects.toBeInstanceOf(IndexMismatchError);
    await expect(index.open({ ...identity, dimensions: 32 })).rejects.toThrow(/reindex/);
    await index.open(identity);
    expect(await index.count()).toBe(1);
  });

  it("upserts by id and removes", async () => {
    index = new LanceIndex({ directory: join(root, "lance") });
    await index.open(identity);
    const [doc] = documents(alice, ["the old text about apples"]);
    await index.insert([doc!]);
    const changed = { ...doc!, record: { ...doc!.record, text: "the new text about pears" }, vector: embedder.embedOne("the new text about pears") };
    await index.upsert([changed]);
    await index.upsert([changed]);
    expect(await index.count()).toBe(1);
    expect(await index.keyword("apples", { scope: alice, limit: 5 })).toEqual([]);
    expect((await index.keyword("pears", { scope: alice, limit: 5 })).map((hit) => hit.id)).toEqual([doc!.record.id]);
    await index.remove([doc!.record.id]);
    expect(await index.count()).toBe(0);
  });

  it("answers a small owner's vector query from memory exactly as LanceDB does, through inserts, updates and deletes", async () => {
    index = new LanceIndex({ directory: join(root, "cached") });
    const uncached = new LanceIndex({ directory: join(root, "uncached"), vectorCacheBytes: 0 });
    await index.open(identity);
    await uncached.open(identity);
    try {
      const both = async (write: (target: LanceIndex) => Promise<void>) => {
        await write(index);
        await write(uncached);
      };
      const texts = Array.from({ length: 60 }, (_, i) => `note ${i} about topic${i % 7} with item${i} and colour${i % 5}`);
      const docs = documents(alice, texts);
      await both((target) => target.insert(docs));
      await both((target) => target.insert(documents(bob, ["bob note about topic3 and item3"])));
      const compare = async () => {
        for (const query of ["topic3 item3", "colour2", "note about topic5 and colour0", "something else entirely"]) {
          const request = { scope: alice, limit: 10, scopeSize: 60 };
          const [fromMemory, fromLance] = await Promise.all([index.vector(embedder.embedOne(query), request), uncached.vector(embedder.embedOne(query), request)]);
          expect(fromMemory.map((hit) => hit.score)).toEqual(fromLance.map((hit) => expect.closeTo(hit.score, 5)));
          // Where two scores are equal to float32 precision the two may order them differently.
          const clearlyRanked = (hits: typeof fromLance) =>
            hits.filter((hit, i) => [hits[i - 1], hits[i + 1]].every((next) => next === undefined || Math.abs(next.score - hit.score) > 1e-6)).map((hit) => hit.id);
          expect(clearlyRanked(fromMemory)).toEqual(clearlyRanked(fromLance));
          expect(clearlyRanked(fromLance).length).toBeGreaterThan(5);
        }
      };
      await compare();
      const changed = { ...docs[3]!, record: { ...docs[3]!.record, text: "colour2 colour2" }, vector: embedder.embedOne("colour2 colour2") };
      const added = documents(alice, ["a new note about colour2 and topic3"]);
      await both((target) => target.upsert([changed, ...added]));
      await both((target) => target.remove([docs[10]!.record.id, docs[17]!.record.id]));
      await compare();
      const hits = await index.vector(embedder.embedOne("colour2 colour2"), { scope: alice, limit: 100, scopeSize: 60 });
      expect(hits[0]!.id).toBe(docs[3]!.record.id);
      expect(hits.map((hit) => hit.id)).not.toContain(docs[10]!.record.id);
      expect(hits).toHaveLength(59);
    } finally {
      await uncached.close();
    }
  });
});

/** Rows of the table at `root`/lance that its full-text index does not cover yet. */
async function unindexedRows(root: string): Promise<number | undefined> {
  const connection = await lancedb.connect(join(root, "lance"));
  const table = await connection.openTable("memories");
  try {
    const fts = (await table.listIndices()).find((entry) => entry.indexType === "FTS")!;
    return (await table.indexStats(fts.name))?.numUnindexedRows;
  } finally {
    table.close();
    connection.close();
  }
}
