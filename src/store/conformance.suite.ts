/**
 * The behaviour every MemoryStore must show, whatever keeps its truth (markdown today,
 * Postgres later). A store's test file calls `describeMemoryStoreConformance` with a factory
 * that makes a fresh, empty store.
 */
import { createHash, randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError, StaleRecordError } from "../spec/errors.js";
import type { MemoryStore } from "../spec/memory-store.js";
import type { MemoryRecord, Scope, SearchFilter } from "../spec/types.js";

export interface ConformanceFactory {
  /** A new, empty, not yet opened store. */
  create(): Promise<MemoryStore>;
  /** Removes what `create` made. */
  destroy?(store: MemoryStore): Promise<void>;
  /**
   * True for a store that writes its search index with the record (PostgreSQL: one table), so
   * it keeps no outbox: `apply` returns no index jobs.
   */
  noOutbox?: boolean;
}

const alice: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };
const bob: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "bob" };
const agent: Scope = { appId: "app1", projectId: "proj1", ownerType: "agent", ownerId: "helper-bot" };

let clock = Date.UTC(2026, 0, 15, 9, 0, 0);

export function makeRecord(scope: Scope, text: string, extra: Partial<MemoryRecord> = {}): MemoryRecord {
  clock += 1000;
  return {
    id: randomUUID(),
    kind: "episode",
    scope,
    text,
    timestamp: clock,
    createdAt: clock,
    updatedAt: clock,
    metadata: {},
    hash: createHash("sha256").update(text).digest("hex"),
    ...(scope.ownerType === "user" ? { userId: scope.ownerId } : { agentId: scope.ownerId }),
    ...extra,
  };
}

export function describeMemoryStoreConformance(name: string, factory: ConformanceFactory): void {
  describe(`MemoryStore conformance: ${name}`, () => {
    let store: MemoryStore;

    beforeEach(async () => {
      store = await factory.create();
      await store.open();
    });

    afterEach(async () => {
      await store.close();
      await factory.destroy?.(store);
    });

    it("returns exactly what was added, with every optional field", async () => {
      const full = makeRecord(alice, "Alice moved to Berlin.\nShe likes it.", {
        kind: "fact",
        runId: "run-1",
        sessionId: "sess_1",
        senderId: "alice@example.com",
        role: "user",
        episodeId: randomUUID(),
        subject: "Moving",
        summary: "Alice moved to Berlin.",
        metadata: { topic: "moving", confidence: 0.9, verified: true, note: null },
      });
      const bare = makeRecord(agent, "  leading and trailing whitespace \n\n");
      await store.apply([{ op: "add", record: full }, { op: "add", record: bare }]);
      expect(await store.get(full.id)).toEqual(full);
      expect(await store.get(bare.id)).toEqual(bare);
      expect((await store.getMany([bare.id, randomUUID(), full.id])).map((r) => r.id)).toEqual([bare.id, full.id]);
      expect(await store.count()).toBe(2);
      expect(await store.count(alice)).toBe(1);
    });

    it("updates in place and keeps the previous value in history", async () => {
      const record = makeRecord(alice, "Lives in Paris");
      await store.apply([{ op: "add", record }]);
      const updated = { ...record, text: "Lives in Berlin", updatedAt: record.updatedAt + 5000, metadata: { city: "Berlin" } };
      const { history } = await store.apply([{ op: "update", record: updated }]);
      expect(history[0]).toMatchObject({ action: "UPDATE", previous_value: "Lives in Paris", new_value: "Lives in Berlin" });
      expect(await store.get(record.id)).toEqual(updated);
      const rows = await store.history(record.id);
      expect(rows.map((row) => [row.action, row.previous_value, row.new_value, row.is_deleted])).toEqual([
        ["ADD", null, "Lives in Paris", 0],
        ["UPDATE", "Lives in Paris", "Lives in Berlin", 0],
      ]);
    });

    it("deletes, records the deletion, and refuses unknown ids without writing anything", async () => {
      const keep = makeRecord(alice, "keep me");
      const drop = makeRecord(alice, "drop me");
      await store.apply([{ op: "add", record: keep }, { op: "add", record: drop }]);
      await store.apply([{ op: "delete", id: drop.id }]);
      expect(await store.get(drop.id)).toBeUndefined();
      expect((await store.history(drop.id)).at(-1)).toMatchObject({ action: "DELETE", previous_value: "drop me", new_value: null, is_deleted: 1 });

      const before = await store.count();
      const historyBefore = await store.history(keep.id);
      const missing = randomUUID();
      await expect(
        store.apply([
          { op: "update", record: { ...keep, text: "changed" } },
          { op: "delete", id: missing },
        ]),
      ).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.count()).toBe(before);
      expect((await store.get(keep.id))?.text).toBe("keep me");
      expect(await store.history(keep.id)).toEqual(historyBefore);
      await expect(store.apply([{ op: "update", record: { ...keep, scope: bob } }])).rejects.toBeInstanceOf(ValidationError);
      expect(await store.get(keep.id)).toEqual(keep);
    });

    it("shows a memory's history only to its owner, also once it is deleted", async () => {
      const record = makeRecord(alice, "Alice's secret", { agentId: "helper", runId: "run-1" });
      await store.apply([{ op: "add", record }]);
      await store.apply([{ op: "update", record: { ...record, text: "Alice's new secret" } }]);
      await store.apply([{ op: "delete", id: record.id }]);
      const owner = { appId: alice.appId, projectId: alice.projectId, ownerType: alice.ownerType, ownerId: alice.ownerId };
      const actions = async (match?: Parameters<MemoryStore["history"]>[1]) => (await store.history(record.id, match)).map((row) => row.action);
      expect(await actions()).toEqual(["ADD", "UPDATE", "DELETE"]);
      expect(await actions(owner)).toEqual(["ADD", "UPDATE", "DELETE"]);
      expect(await actions({ ...owner, agentId: "helper", runId: "run-1" })).toEqual(["ADD", "UPDATE", "DELETE"]);
      expect(await actions({ appId: "default", projectId: "default" })).toEqual(["ADD", "UPDATE", "DELETE"]);
      expect(await actions({ ...owner, ownerId: bob.ownerId })).toEqual([]);
      expect(await actions({ ...owner, ownerType: "agent" })).toEqual([]);
      expect(await actions({ ...owner, agentId: "other" })).toEqual([]);
      expect(await actions({ ...owner, runId: "run-2" })).toEqual([]);
      expect(await actions({ ...owner, projectId: "elsewhere" })).toEqual([]);
    });

    it("rejects ids that could escape their folder, writing nothing", async () => {
      for (const ownerId of ["../bob", "a/b", "..", ".", "a\\b", ""]) {
        const record = makeRecord({ ...alice, ownerId }, "sneaky");
        await expect(store.apply([{ op: "add", record }])).rejects.toBeInstanceOf(ValidationError);
      }
      await expect(store.apply([{ op: "add", record: { ...makeRecord(alice, "x"), id: "../../etc/passwd" } }])).rejects.toMatchObject({
        code: "INVALID_INPUT",
      });
      await expect(store.apply([{ op: "add", record: makeRecord({ ...alice, appId: "../up" }, "x") }])).rejects.toMatchObject({
        code: "INVALID_INPUT",
      });
      await expect(store.get("../x")).rejects.toMatchObject({ code: "INVALID_INPUT" });
      expect(await store.count()).toBe(0);
    });

    it("lists one owner's records newest first, in pages that cover each record once", async () => {
      const mine = Array.from({ length: 7 }, (_, i) => makeRecord(alice, `alice ${i}`, { sessionId: i % 2 ? "odd" : "even" }));
      const theirs = Array.from({ length: 3 }, (_, i) => makeRecord(bob, `bob ${i}`));
      await store.apply([...mine, ...theirs].map((record) => ({ op: "add" as const, record })));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ scope: alice, limit: 3, cursor });
        seen.push(...page.records.map((r) => r.text));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(seen).toEqual(mine.map((r) => r.text).reverse());
      const odd = await store.list({ scope: alice, limit: 10, filter: { session_id: "odd" } });
      expect(odd.records.map((r) => r.text).sort()).toEqual(["alice 1", "alice 3", "alice 5"]);
      const crafted = await store.list({ scope: alice, limit: 10, filter: { OR: [{ user_id: "bob" }, { owner_id: "bob" }] } });
      expect(crafted.records).toEqual([]);
    });

    it("sorts by timestamp, created_at or updated_at either way, skips by offset, pages by cursor, and counts matches", async () => {
      // Timestamps in another order than creation; some records updated later.
      const records = Array.from({ length: 12 }, (_, i) =>
        makeRecord(alice, `alice ${i}`, { timestamp: Date.UTC(2025, 0, 1) + ((i * 5) % 12) * 1000, metadata: { even: i % 2 === 0 } }),
      );
      const theirs = makeRecord(bob, "bob's");
      await store.apply([...records, theirs].map((record) => ({ op: "add" as const, record })));
      const edited = [records[2]!, records[9]!].map((record, i) => ({ ...record, text: `${record.text} edited`, updatedAt: clock + 10_000 * (i + 1) }));
      await store.apply(edited.map((record) => ({ op: "update" as const, record })));
      const current = records.map((record) => edited.find((e) => e.id === record.id) ?? record);
      const fields = { timestamp: "timestamp", created_at: "createdAt", updated_at: "updatedAt" } as const;
      for (const by of ["timestamp", "created_at", "updated_at"] as const) {
        for (const order of ["asc", "desc"] as const) {
          const direction = order === "asc" ? 1 : -1;
          const expected = [...current]
            .sort((a, b) => direction * (a[fields[by]] - b[fields[by]] || (a.id < b.id ? -1 : 1)))
            .map((record) => record.text);
          const sort = { by, order };
          const paged: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await store.list({ scope: alice, limit: 5, cursor, sort });
            paged.push(...page.records.map((record) => record.text));
            cursor = page.nextCursor;
          } while (cursor !== undefined);
          expect(paged, `${by} ${order} by cursor`).toEqual(expected);
          const third = await store.list({ scope: alice, limit: 4, offset: 8, sort });
          expect(third.records.map((record) => record.text), `${by} ${order} by offset`).toEqual(expected.slice(8, 12));
          expect(third.nextCursor).toBeUndefined();
        }
      }
      expect((await store.list({ scope: alice, limit: 5, offset: 12 })).records).toEqual([]);
      const first = await store.list({ scope: alice, limit: 5, sort: { by: "timestamp", order: "asc" } });
      await expect(store.list({ scope: alice, limit: 5, cursor: first.nextCursor, sort: { by: "updated_at", order: "asc" } })).rejects.toBeInstanceOf(ValidationError);
      expect(await store.count(alice)).toBe(12);
      expect(await store.count(alice, { even: true })).toBe(6);
      expect(await store.count(alice, { OR: [{ user_id: "bob" }] })).toBe(0);
      expect(await store.count(bob, { even: true })).toBe(0);
    });

    it("filters on metadata equality and time ranges", async () => {
      const a = makeRecord(alice, "a", { metadata: { tag: "x", n: 1 } });
      const b = makeRecord(alice, "b", { metadata: { tag: "y", n: 2, flag: true } });
      await store.apply([{ op: "add", record: a }, { op: "add", record: b }]);
      const texts = async (filter: SearchFilter) =>
        (await store.list({ scope: alice, limit: 10, filter })).records.map((r) => r.text).sort();
      expect(await texts({ tag: "x" })).toEqual(["a"]);
      expect(await texts({ metadata: { n: 2 } })).toEqual(["b"]);
      expect(await texts({ flag: true })).toEqual(["b"]);
      expect(await texts({ n: "1" })).toEqual([]);
      expect(await texts({ timestamp: { gte: b.timestamp } })).toEqual(["b"]);
      expect(await texts({ OR: [{ tag: "x" }, { tag: "y" }] })).toEqual(["a", "b"]);
    });

    it("refuses an update made from a version that changed since (expectedUpdatedAt), writing nothing", async () => {
      const record = makeRecord(alice, "first text");
      await store.apply([{ op: "add", record }]);
      const changed = { ...record, text: "second text", updatedAt: record.updatedAt + 5 };
      await store.apply([{ op: "update", record: changed, expectedUpdatedAt: record.updatedAt }]);
      const stale = store.apply([{ op: "update", record: { ...record, text: "from an old read", updatedAt: record.updatedAt + 9 }, expectedUpdatedAt: record.updatedAt }]);
      await expect(stale).rejects.toBeInstanceOf(StaleRecordError);
      expect((await store.get(record.id))?.text).toBe("second text");
      expect((await store.history(record.id)).map((row) => row.action)).toEqual(["ADD", "UPDATE"]);
    });

    it("filters on metadata keys named like Object.prototype members (constructor, toString) as on any other", async () => {
      const a = makeRecord(alice, "a", { metadata: { constructor: "y", toString: "z" } });
      await store.apply([{ op: "add", record: a }, { op: "add", record: makeRecord(alice, "b") }]);
      const texts = async (filter: SearchFilter) =>
        (await store.list({ scope: alice, limit: 10, filter })).records.map((r) => r.text).sort();
      expect(await texts({ constructor: "y" })).toEqual(["a"]);
      expect(await texts({ metadata: { toString: "z" } })).toEqual(["a"]);
      expect(await texts({ hasOwnProperty: "x" })).toEqual([]);
    });

    it.runIf(factory.noOutbox === true)("keeps no outbox: a write owes the index nothing", async () => {
      const record = makeRecord(alice, "index me");
      expect((await store.apply([{ op: "add", record }])).jobs).toEqual([]);
      expect(await store.pendingIndexJobs(10)).toEqual([]);
      expect((await store.apply([{ op: "delete", id: record.id }])).jobs).toEqual([]);
    });

    it.skipIf(factory.noOutbox === true)("queues index jobs with every write until they are completed", async () => {
      const record = makeRecord(alice, "index me");
      const { jobs } = await store.apply([{ op: "add", record }]);
      expect(jobs).toEqual([expect.objectContaining({ memoryId: record.id, op: "upsert" })]);
      expect(await store.pendingIndexJobs(10)).toEqual(jobs);
      await store.completeIndexJobs(jobs.map((job) => job.seq));
      expect(await store.pendingIndexJobs(10)).toEqual([]);
      const deleted = await store.apply([{ op: "delete", id: record.id }]);
      expect(deleted.jobs).toEqual([expect.objectContaining({ memoryId: record.id, op: "delete" })]);
    });

    it("scans every record and rebuilds the catalog from the truth", async () => {
      const records = Array.from({ length: 25 }, (_, i) => makeRecord(i % 2 ? alice : agent, `memory ${i}`));
      await store.apply(records.map((record) => ({ op: "add" as const, record })));
      await store.apply([{ op: "update", record: { ...records[3]!, text: "memory 3, edited" } }]);
      await store.apply([{ op: "delete", id: records[4]!.id }]);
      const scanned: MemoryRecord[] = [];
      for await (const batch of store.scan(7)) scanned.push(...batch);
      expect(scanned).toHaveLength(24);
      const { records: rebuilt } = await store.rebuildCatalog();
      expect(rebuilt).toBe(24);
      expect((await store.get(records[3]!.id))?.text).toBe("memory 3, edited");
      expect(await store.get(records[4]!.id)).toBeUndefined();
      expect(await store.get(records[5]!.id)).toEqual(records[5]);
      expect(await store.pendingIndexJobs(100)).toEqual([]);
    });

    it("keeps each source part of a memory (file, parser, model) through an update and a catalog rebuild", async () => {
      const receipt = { type: "image" as const, format: "png", name: "receipt.png", parser: "image/ocr", model: "tesseract.js", sha256: "ab".repeat(32), bytes: 2048 };
      const report = { type: "pdf" as const, format: "pdf", parser: "pdf/text-layer", sha256: "cd".repeat(32), bytes: 70_000 };
      const record = makeRecord(alice, "[image: receipt.png]\nTOTAL 42\n\n[pdf]\nQuarterly report", { sourceParts: [receipt, report] });
      const plain = makeRecord(alice, "no files here");
      await store.apply([{ op: "add", record }, { op: "add", record: plain }]);
      expect(await store.get(record.id)).toEqual(record);
      expect((await store.get(plain.id))?.sourceParts).toBeUndefined();
      const updated = { ...record, text: "[image: receipt.png]\nTOTAL 43", updatedAt: record.updatedAt + 1 };
      await store.apply([{ op: "update", record: updated }]);
      await store.rebuildCatalog();
      expect(await store.getMany([record.id, plain.id])).toEqual([updated, plain]);
      expect((await store.list({ scope: alice, limit: 10 })).records.find((r) => r.id === record.id)?.sourceParts).toEqual([receipt, report]);
    });

    it("reset forgets every memory and its history", async () => {
      const record = makeRecord(alice, "forget me");
      await store.apply([{ op: "add", record }]);
      await store.reset();
      expect(await store.count()).toBe(0);
      expect(await store.history(record.id)).toEqual([]);
      expect((await store.rebuildCatalog()).records).toBe(0);
    });
  });
}
