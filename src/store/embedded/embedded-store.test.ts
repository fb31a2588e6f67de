import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { describeMemoryStoreConformance, makeRecord } from "../conformance.suite.js";
import { EmbeddedStore, listQuery } from "./embedded-store.js";
import { StoreLockedError } from "../../spec/errors.js";
import { parseLog } from "./markdown-log.js";

describeMemoryStoreConformance("embedded (markdown + SQLite)", {
  create: async () => new EmbeddedStore({ root: await makeTempRoot() }),
  destroy: async (store) => removeTempRoot((store as EmbeddedStore).root),
});

describe("EmbeddedStore specifics", () => {
  it("keeps one daily log per owner, kind and day, and drops a file when its last entry goes", async () => {
    const root = await makeTempRoot();
    const store = new EmbeddedStore({ root });
    await store.open();
    try {
      const scope = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
      const day1 = makeRecord(scope, "day one", { timestamp: Date.UTC(2026, 2, 1, 12) });
      const day2 = makeRecord(scope, "day two", { timestamp: Date.UTC(2026, 2, 2, 12) });
      await store.apply([{ op: "add", record: day1 }, { op: "add", record: day2 }]);
      expect(await store.logFiles()).toEqual([
        "default/default/users/alice/episodes/2026-03-01.md",
        "default/default/users/alice/episodes/2026-03-02.md",
      ]);
      const log = parseLog(await readFile(join(root, "default/default/users/alice/episodes/2026-03-01.md"), "utf8"));
      expect(log.entries).toEqual([day1]);
      await store.apply([{ op: "delete", id: day1.id }]);
      expect(await store.logFiles()).toEqual(["default/default/users/alice/episodes/2026-03-02.md"]);
    } finally {
      await store.close();
      await removeTempRoot(root);
    }
  });

  it("starts the WAL checkpoint worker with the first write, not at open (a reading process never starts it)", async () => {
    const root = await makeTempRoot();
    const store = new EmbeddedStore({ root });
    await store.open();
    try {
      // SQLite's own checkpoints until then (1,000 pages); the worker's connection takes over after.
      expect(store.stateDb.db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
      const scope = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
      await store.apply([{ op: "add", record: makeRecord(scope, "first write") }]);
      expect(store.stateDb.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    } finally {
      await store.close();
      await removeTempRoot(root);
    }
  });

  it("answers owed records from memory exactly as SQLite does, through adds, updates and deletes", async () => {
    const root = await makeTempRoot();
    let store = new EmbeddedStore({ root });
    await store.open();
    try {
      const scope = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
      const other = { ...scope, ownerId: "bob" };
      const kept = makeRecord(scope, "kept as written", { metadata: { topic: "tea", n: 2 }, sessionId: "s1", role: "user", senderId: "Alice" });
      const edited = makeRecord(scope, "edited later", { sourceParts: [{ type: "image", format: "png", parser: "image/ocr", sha256: "ab".repeat(32), bytes: 1234 }] });
      const removed = makeRecord(scope, "deleted later");
      await store.apply([{ op: "add", record: kept }, { op: "add", record: edited }, { op: "add", record: removed }, { op: "add", record: makeRecord(other, "bob's") }]);
      await store.apply([{ op: "update", record: { ...edited, text: "edited now", createdAt: 1, updatedAt: edited.updatedAt + 5 } }, { op: "delete", id: removed.id }]);
      const held = store.owedRecords(scope, undefined, 100);
      expect(held.map((record) => record.text)).toEqual(["edited now", "kept as written"]);
      expect(store.owedRecords(scope, undefined, 1)).toEqual(held.slice(0, 1));
      // After a reopen the owed ids come from the outbox with no record: SQLite answers.
      await store.close();
      store = new EmbeddedStore({ root });
      await store.open();
      expect(store.owedRecords(scope, undefined, 100)).toEqual(held);
      // A filter is always SQLite's, and agrees.
      expect(store.owedRecords(scope, { topic: "tea" } as never, 100).map((record) => record.id)).toEqual([kept.id]);
    } finally {
      await store.close();
      await removeTempRoot(root);
    }
  });

  it("lets one process at a time own a root", async () => {
    const root = await makeTempRoot();
    const first = new EmbeddedStore({ root });
    await first.open();
    const second = new EmbeddedStore({ root });
    await expect(second.open()).rejects.toBeInstanceOf(StoreLockedError);
    await expect(second.open()).rejects.toThrow(String(process.pid));
    await first.close();
    await second.open();
    await second.close();
    await removeTempRoot(root);
  });
});

describe("EmbeddedStore owed records (what search merges in before the index has them)", () => {
  const alice = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
  const bob = { ...alice, ownerId: "bob" };

  it("lists an owner's owed memories by id, until every job for them is complete, and again after a reopen", async () => {
    const root = await makeTempRoot();
    let store = new EmbeddedStore({ root });
    await store.open();
    try {
      const first = makeRecord(alice, "first", { createdAt: 1 });
      const second = makeRecord(alice, "second", { createdAt: 2 });
      const bobs = makeRecord(bob, "bob's");
      const written = await store.apply([{ op: "add", record: first }, { op: "add", record: second }, { op: "add", record: bobs }]);
      // Written again before the index took it: owed until both jobs are done.
      const again = await store.apply([{ op: "update", record: { ...first, text: "first, edited", updatedAt: 5 } }]);
      const ids = () => store.owedRecords(alice, undefined, 10).map((record) => record.id);
      expect(ids()).toEqual([second.id, first.id]);
      expect(store.owedRecords(alice, undefined, 10)[1]?.text).toBe("first, edited");
      expect(store.owedRecords(bob, undefined, 10).map((record) => record.id)).toEqual([bobs.id]);
      expect(store.owedRecords(alice, undefined, 1).map((record) => record.id)).toEqual([second.id]);
      expect(store.owedRecords(alice, { createdAt: { lt: 2 } }, 10).map((record) => record.id)).toEqual([first.id]);

      await store.completeIndexJobs([written.jobs[0]!.seq, written.jobs[1]!.seq]);
      expect(ids()).toEqual([first.id]);
      // The outbox is the truth: a reopen finds the same owed jobs.
      await store.close();
      store = new EmbeddedStore({ root });
      await store.open();
      expect(ids()).toEqual([first.id]);
      await store.completeIndexJobs(again.jobs.map((job) => job.seq));
      expect(ids()).toEqual([]);
      // A deleted memory is not owed (its delete job is not an upsert), and nothing is listed for it.
      await store.apply([{ op: "delete", id: bobs.id }]);
      expect(store.owedRecords(bob, undefined, 10)).toEqual([]);
    } finally {
      await store.close();
      await removeTempRoot(root);
    }
  });
});

describe("EmbeddedStore list paging", () => {
  it("walks an index for every sort (no sort of all the owner's rows) and skips in SQLite", async () => {
    const root = await makeTempRoot();
    const store = new EmbeddedStore({ root });
    await store.open();
    try {
      const scope = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
      for (const by of ["timestamp", "created_at", "updated_at"] as const) {
        for (const order of ["asc", "desc"] as const) {
          const { sql, params } = listQuery({ scope, limit: 20, offset: 40, sort: { by, order } });
          const plan = (store.stateDb.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail).join("; ");
          expect(plan, `${by} ${order}`).toMatch(/USING INDEX catalog_by_owner/);
          expect(plan, `${by} ${order}`).not.toMatch(/TEMP B-TREE/);
          expect(sql).toMatch(/LIMIT \? OFFSET \?$/);
        }
      }
    } finally {
      await store.close();
      await removeTempRoot(root);
    }
  });
});
