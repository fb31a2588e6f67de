/**
 * The index is written behind the add (issue 15): an add returns once markdown and SQLite hold
 * it, and one background flusher gives the index every owed memory in one write. A search right
 * after the adds finds them all (from the store while the index has not got them yet), and adds
 * that arrive together share index writes instead of one LanceDB commit each.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalEmbedder, Memory } from "../src/index.js";
import { MemoryWriter } from "../src/ingest/memory-writer.js";
import { makeRecord } from "../src/store/conformance.suite.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import type { IndexDocument } from "../src/spec/search-index.js";
import { LanceIndex } from "../src/store/embedded/lance-index.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

/** A real LanceDB index that counts its writes and can hold them back until released. */
class CountingIndex extends LanceIndex {
  writes = 0;
  documents = 0;
  private gate: Promise<void> | undefined;
  private release: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open_(): void {
    this.release?.();
    this.gate = undefined;
  }

  override async insert(documents: readonly IndexDocument[]): Promise<void> {
    if (documents.length > 0) {
      await this.gate;
      this.writes++;
      this.documents += documents.length;
    }
    return super.insert(documents);
  }
}

describe("write-behind index with group commit", () => {
  let root: string;
  let memory: Memory | undefined;
  afterEach(async () => {
    await memory?.close();
    memory = undefined;
    await removeTempRoot(root);
  });

  it("a search right after 40 concurrent adds finds every one, and the adds share index writes", async () => {
    root = await makeTempRoot();
    const index = new CountingIndex({ directory: join(root, ".index", "lance") });
    memory = await Memory.open({ root, logLevel: "silent", index });
    const m = memory;
    // The index is slow to take writes: adds must neither wait for it nor be missed by search.
    index.hold();
    const added = await Promise.all(
      Array.from({ length: 40 }, (_, i) => m.add(`Parcel ${i} went to locker zq${i}k`, { userId: "alice", infer: false })),
    );
    const ids = added.map((result) => result.results[0]!.id);
    expect(index.writes).toBe(0);
    for (let i = 0; i < 40; i += 1) {
      const { results } = await m.search(`zq${i}k`, { userId: "alice", method: i % 2 === 0 ? "keyword" : "hybrid", limit: 3 });
      expect(results[0]?.id, `zq${i}k`).toBe(ids[i]);
    }
    index.open_();
    await m.idle();
    expect(index.documents).toBe(40);
    // One write was under way when the others arrived; they all went into the next one or two.
    expect(index.writes).toBeLessThanOrEqual(3);
    expect(await index.count()).toBe(40);
    expect(await m.backend.store.pendingIndexJobs(10)).toEqual([]);
    for (const i of [0, 17, 39]) {
      const { results } = await m.search(`zq${i}k`, { userId: "alice", method: "keyword", limit: 3 });
      expect(results[0]?.id).toBe(ids[i]);
    }
  });

  it("adds one after another within the group-commit window share index writes, search finds each at once, and idle() writes at once", async () => {
    root = await makeTempRoot();
    const index = new CountingIndex({ directory: join(root, ".index", "lance") });
    memory = await Memory.open({ root, logLevel: "silent", index });
    const m = memory;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { results } = await m.add(`Invoice ${i} was filed under folder fw${i}x`, { userId: "alice", infer: false });
      ids.push(results[0]!.id);
      // Found at once, whether or not the index has it yet.
      const found = await m.search(`fw${i}x`, { userId: "alice", method: "hybrid", limit: 3 });
      expect(found.results[0]?.id, `fw${i}x`).toBe(ids[i]);
    }
    await m.idle();
    // The first add was written at once; the other 19 waited for the window and went in one write
    // (each would be a LanceDB version of its own, which every later query pays to load).
    expect(index.writes).toBeLessThanOrEqual(3);
    expect(index.documents).toBe(20);
    expect(await index.count()).toBe(20);
  });

  it("idle() and close() write what is owed without sitting out the window (an hour here: waiting it out would time the test out)", async () => {
    root = await makeTempRoot();
    const backend = new EmbeddedBackend({ root });
    const embedder = new LocalEmbedder({ dimensions: 32 });
    await backend.open();
    await backend.index.open({ model: embedder.model, dimensions: embedder.dimensions });
    const writer = new MemoryWriter(backend.store, backend.index, embedder, { indexWriteIntervalMs: 3_600_000 });
    const scope = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
    const record = (text: string) => makeRecord(scope, text, { userId: "alice" });
    try {
      // The first write goes at once and opens the window; the next two are owed until it ends.
      await writer.write([{ op: "add", record: record("first note") }]);
      await writer.idle();
      await writer.write([{ op: "add", record: record("second note") }]);
      await writer.write([{ op: "add", record: record("third note") }]);
      expect((await backend.store.pendingIndexJobs(10)).length).toBeGreaterThan(0);
      await writer.idle();
      expect(await backend.store.pendingIndexJobs(10)).toEqual([]);
      expect(await backend.index.count()).toBe(3);
      await writer.write([{ op: "add", record: record("fourth note") }]);
      await writer.close();
      expect(await backend.store.pendingIndexJobs(10)).toEqual([]);
      expect(await backend.index.count()).toBe(4);
    } finally {
      await backend.close();
    }
  });

  it("close hands the index what it owes, so the next open has nothing to replay", async () => {
    root = await makeTempRoot();
    memory = await Memory.open({ root, logLevel: "silent" });
    await Promise.all(Array.from({ length: 10 }, (_, i) => memory!.add(`note ${i} about kites`, { userId: "bob", infer: false })));
    await memory.close();
    const index = new CountingIndex({ directory: join(root, ".index", "lance") });
    memory = await Memory.open({ root, logLevel: "silent", index });
    expect(await index.count()).toBe(10);
    expect(index.writes).toBe(0);
  });
});
