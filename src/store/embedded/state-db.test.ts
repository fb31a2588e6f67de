import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { StateDb } from "./state-db.js";

describe("StateDb upgrades", () => {
  it("gives history rows made before owners were recorded the owner of their memory, and leaves a deleted one's unknown", async () => {
    const root = await makeTempRoot();
    const path = join(root, "state.db");
    try {
      // A state.db as the first version wrote it: history rows without owner columns.
      const old = new Database(path);
      old.exec(`
        CREATE TABLE catalog (id TEXT PRIMARY KEY, kind TEXT NOT NULL, app_id TEXT NOT NULL, project_id TEXT NOT NULL,
          owner_type TEXT NOT NULL, owner_id TEXT NOT NULL, user_id TEXT, agent_id TEXT, run_id TEXT, session_id TEXT,
          sender_id TEXT, role TEXT, episode_id TEXT, subject TEXT, summary TEXT, ts REAL NOT NULL, created_at REAL NOT NULL,
          updated_at REAL NOT NULL, file TEXT NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL, meta_kv TEXT NOT NULL);
        CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, memory_id TEXT NOT NULL,
          previous_value TEXT, new_value TEXT, action TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT,
          is_deleted INTEGER NOT NULL DEFAULT 0);
        INSERT INTO catalog VALUES ('m1', 'episode', 'default', 'default', 'user', 'alice', 'alice', 'helper', NULL, NULL,
          NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 'f.md', 'h', 'kept', '{}', '[]');
        INSERT INTO history (id, memory_id, new_value, action, created_at) VALUES ('h1', 'm1', 'kept', 'ADD', 'x');
        INSERT INTO history (id, memory_id, new_value, action, created_at) VALUES ('h2', 'gone', 'deleted', 'ADD', 'x');
      `);
      old.pragma("user_version = 1");
      old.close();

      const state = new StateDb(path);
      try {
        const alice = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
        expect(state.history("m1", { ...alice, agentId: "helper" }).map((row) => row.id)).toEqual(["h1"]);
        expect(state.history("m1", { ...alice, ownerId: "bob" })).toEqual([]);
        expect(state.history("gone", alice)).toEqual([]);
        expect(state.history("gone").map((row) => row.id)).toEqual(["h2"]);
      } finally {
        state.close();
      }
      // Opening again finds the columns there and changes nothing.
      new StateDb(path).close();
    } finally {
      await removeTempRoot(root);
    }
  });
});
