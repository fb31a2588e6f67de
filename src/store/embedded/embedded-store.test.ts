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
