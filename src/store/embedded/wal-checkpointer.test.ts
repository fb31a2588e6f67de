import { statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { WalCheckpointer } from "./wal-checkpointer.js";

/** A WAL database with one table, as the embedded store keeps its state. */
function openWalDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  return db;
}

/** Commits `count` rows of 1 KB, one transaction each (as adds commit). */
function commitRows(db: Database.Database, count: number): void {
  const insert = db.prepare("INSERT INTO rows (body) VALUES (?)");
  for (let i = 0; i < count; i++) insert.run("x".repeat(1024));
}

describe("WalCheckpointer", () => {
  let root: string;
  beforeEach(async () => {
    root = await makeTempRoot();
  });
  afterEach(async () => {
    await removeTempRoot(root);
  });

  it("takes checkpoints off the writing connection and copies the WAL into the database file in the background", async () => {
    const path = join(root, "state.db");
    const db = openWalDb(path);
    const checkpointer = WalCheckpointer.start(db, path);
    try {
      // The writer no longer checkpoints (its file size is not asserted: the worker may already
      // be copying while the commits run, on its own thread).
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
      const before = statSync(path).size;
      commitRows(db, 3_000);
      // The worker notices the commits and copies them over.
      await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before + 2_000_000), { timeout: 20_000, interval: 50 });
      expect(db.prepare("SELECT count(*) AS n FROM rows").get()).toEqual({ n: 3_000 });
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it("copies commits made before its thread started (a worker slow to start on a busy machine)", async () => {
    const path = join(root, "state.db");
    const db = openWalDb(path);
    db.pragma("wal_autocheckpoint = 0");
    const before = statSync(path).size;
    commitRows(db, 3_000);
    const checkpointer = WalCheckpointer.start(db, path);
    try {
      await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before + 2_000_000), { timeout: 20_000, interval: 50 });
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it("gives checkpoints back to the writing connection when the worker cannot open the database", async () => {
    const path = join(root, "state.db");
    const db = openWalDb(path);
    const warnings: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Parameters<typeof WalCheckpointer.start>[2];
    const checkpointer = WalCheckpointer.start(db, join(root, "missing.db"), logger);
    try {
      await vi.waitFor(() => expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000), { timeout: 5_000, interval: 20 });
      expect(warnings).toHaveLength(1);
      // Writes go on, checkpointed by the writer itself.
      const before = statSync(path).size;
      commitRows(db, 3_000);
      expect(statSync(path).size).toBeGreaterThan(before);
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it("closes its connection before the writer closes, leaving a database another process opens cleanly", async () => {
    const path = join(root, "state.db");
    const db = openWalDb(path);
    const checkpointer = WalCheckpointer.start(db, path);
    commitRows(db, 100);
    await checkpointer.close();
    db.close();
    // The last connection to close checkpoints and removes the WAL: nothing of the worker's is left open.
    expect(() => statSync(`${path}-wal`)).toThrow();
    const again = new Database(path, { readonly: true });
    expect(again.prepare("SELECT count(*) AS n FROM rows").get()).toEqual({ n: 100 });
    again.close();
  });
});
