import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { SqliteSessionBuffer } from "./sqlite-session-buffer.js";
import { StateDb, rowToRecord } from "./state-db.js";

/** The catalog table as the first version created it (no source_parts column). */
const FIRST_CATALOG = `CREATE TABLE catalog (id TEXT PRIMARY KEY, kind TEXT NOT NULL, app_id TEXT NOT NULL, project_id TEXT NOT NULL,
  owner_type TEXT NOT NULL, owner_id TEXT NOT NULL, user_id TEXT, agent_id TEXT, run_id TEXT, session_id TEXT,
  sender_id TEXT, role TEXT, episode_id TEXT, subject TEXT, summary TEXT, ts REAL NOT NULL, created_at REAL NOT NULL,
  updated_at REAL NOT NULL, file TEXT NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL, meta_kv TEXT NOT NULL);`;

describe("StateDb upgrades", () => {
  it("gives history rows made before owners were recorded the owner of their memory, and leaves a deleted one's unknown", async () => {
    const root = await makeTempRoot();
    const path = join(root, "state.db");
    try {
      // A state.db as the first version wrote it: history rows without owner columns.
      const old = new Database(path);
      old.exec(`
        ${FIRST_CATALOG}
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
  it("gives a catalog and session buffer made before source parts were kept the column: old rows have none, new ones keep theirs", async () => {
    const root = await makeTempRoot();
    const path = join(root, "state.db");
    try {
      const old = new Database(path);
      old.exec(`
        ${FIRST_CATALOG}
        CREATE TABLE session_buffer (message_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, project_id TEXT NOT NULL,
          owner_type TEXT NOT NULL, owner_id TEXT NOT NULL, session_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL,
          sender_id TEXT, ts REAL NOT NULL, text TEXT NOT NULL, created_at REAL NOT NULL);
        INSERT INTO catalog VALUES ('m1', 'episode', 'default', 'default', 'user', 'alice', 'alice', NULL, NULL, NULL,
          NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 'f.md', 'h', '[image: a.png]', '{}', '[]');
        INSERT INTO session_buffer VALUES ('t1', 'default', 'default', 'user', 'alice', 's1', 1, 'user', NULL, 5, 'old turn', 5);
      `);
      old.pragma("user_version = 1");
      old.close();

      const scope = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
      const receipt = { type: "image" as const, format: "png", name: "receipt.png", parser: "image/ocr", model: "tesseract.js", sha256: "ab", bytes: 3 };
      const state = new StateDb(path);
      try {
        expect(rowToRecord(state.getRow("m1")!).sourceParts).toBeUndefined();
        const record = { ...rowToRecord(state.getRow("m1")!), id: "m2", sourceParts: [receipt] };
        state.putCatalog(record, "f.md");
        expect(rowToRecord(state.getRow("m2")!)).toEqual(record);
        const buffer = new SqliteSessionBuffer(() => state);
        const key = { scope, sessionId: "s1" };
        await buffer.append(key, [{ messageId: "t2", role: "user", timestamp: 6, text: "[image: receipt.png]", sourceParts: [receipt] }], { metadata: {} });
        expect((await buffer.pending(key)).map((turn) => [turn.messageId, turn.sourceParts])).toEqual([
          ["t1", undefined],
          ["t2", [receipt]],
        ]);
      } finally {
        state.close();
      }
      new StateDb(path).close();
    } finally {
      await removeTempRoot(root);
    }
  });
});
