import type { BufferedTurn, SessionBuffer, SessionContext, SessionKey } from "../../spec/session-buffer.js";
import type { Role, Scope, SourcePart } from "../../spec/types.js";
import type { StateDb } from "./state-db.js";

const KEY_WHERE = "app_id = ? AND project_id = ? AND owner_type = ? AND owner_id = ? AND session_id = ?";

function keyParams(key: SessionKey): string[] {
  const { scope, sessionId } = key;
  return [scope.appId, scope.projectId, scope.ownerType, scope.ownerId, sessionId];
}

/** Session buffers in the embedded store's SQLite file (WAL: a buffered turn survives the process being killed). */
export class SqliteSessionBuffer implements SessionBuffer {
  constructor(private readonly state: () => StateDb) {}

  async append(key: SessionKey, turns: readonly BufferedTurn[], context: SessionContext): Promise<BufferedTurn[]> {
    const state = this.state();
    const now = Date.now();
    return state.transaction(() => {
      const processed = state.statement("SELECT 1 FROM processed_messages WHERE message_id = ?");
      const insert = state.statement(
        `INSERT OR IGNORE INTO session_buffer
           (message_id, app_id, project_id, owner_type, owner_id, session_id, seq, role, sender_id, ts, text, created_at, source_parts)
         VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM session_buffer), ?, ?, ?, ?, ?, ?)`,
      );
      const appended: BufferedTurn[] = [];
      for (const turn of turns) {
        if (processed.get(turn.messageId) !== undefined) continue;
        const sourceParts = turn.sourceParts === undefined || turn.sourceParts.length === 0 ? null : JSON.stringify(turn.sourceParts);
        const result = insert.run(turn.messageId, ...keyParams(key), turn.role, turn.senderId ?? null, turn.timestamp, turn.text, now, sourceParts);
        if (result.changes > 0) appended.push(turn);
      }
      state
        .statement(
          `INSERT INTO session_status (app_id, project_id, owner_type, owner_id, session_id, last_activity, context)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (app_id, project_id, owner_type, owner_id, session_id)
           DO UPDATE SET last_activity = excluded.last_activity, context = excluded.context`,
        )
        .run(...keyParams(key), now, JSON.stringify(context));
      return appended;
    });
  }

  async pending(key: SessionKey): Promise<BufferedTurn[]> {
    const rows = this.state()
      .statement(`SELECT message_id, role, sender_id, ts, text, source_parts FROM session_buffer WHERE ${KEY_WHERE} ORDER BY ts, seq`)
      .all(...keyParams(key)) as { message_id: string; role: Role; sender_id: string | null; ts: number; text: string; source_parts: string | null }[];
    return rows.map((row) => {
      const turn: BufferedTurn = { messageId: row.message_id, role: row.role, timestamp: row.ts, text: row.text };
      if (row.sender_id !== null) turn.senderId = row.sender_id;
      if (row.source_parts !== null) turn.sourceParts = JSON.parse(row.source_parts) as SourcePart[];
      return turn;
    });
  }

  async context(key: SessionKey): Promise<SessionContext | undefined> {
    const row = this.state().statement(`SELECT context FROM session_status WHERE ${KEY_WHERE}`).get(...keyParams(key)) as
      | { context: string }
      | undefined;
    return row === undefined ? undefined : (JSON.parse(row.context) as SessionContext);
  }

  async markFlushed(key: SessionKey, messageIds: readonly string[], episodeId: string): Promise<void> {
    const state = this.state();
    const now = Date.now();
    state.transaction(() => {
      const remove = state.statement(`DELETE FROM session_buffer WHERE message_id = ? AND ${KEY_WHERE}`);
      const remember = state.statement("INSERT OR IGNORE INTO processed_messages (message_id, episode_id, created_at) VALUES (?, ?, ?)");
      for (const id of messageIds) {
        remove.run(id, ...keyParams(key));
        remember.run(id, episodeId, now);
      }
      state.statement(`UPDATE session_status SET judged_count = 0, extraction_attempts = 0 WHERE ${KEY_WHERE}`).run(...keyParams(key));
    });
  }

  async judgedCount(key: SessionKey): Promise<number> {
    const row = this.state().statement(`SELECT judged_count FROM session_status WHERE ${KEY_WHERE}`).get(...keyParams(key)) as
      | { judged_count: number }
      | undefined;
    return row?.judged_count ?? 0;
  }

  async setJudgedCount(key: SessionKey, count: number): Promise<void> {
    this.state().statement(`UPDATE session_status SET judged_count = ? WHERE ${KEY_WHERE}`).run(count, ...keyParams(key));
  }

  async extractionAttempts(key: SessionKey): Promise<number> {
    const row = this.state().statement(`SELECT extraction_attempts FROM session_status WHERE ${KEY_WHERE}`).get(...keyParams(key)) as
      | { extraction_attempts: number }
      | undefined;
    return row?.extraction_attempts ?? 0;
  }

  async recordFailedExtraction(key: SessionKey): Promise<number> {
    const row = this.state()
      .statement(`UPDATE session_status SET extraction_attempts = extraction_attempts + 1 WHERE ${KEY_WHERE} RETURNING extraction_attempts`)
      .get(...keyParams(key)) as { extraction_attempts: number } | undefined;
    return row?.extraction_attempts ?? 0;
  }

  async idleSessions(before: number): Promise<SessionKey[]> {
    const rows = this.state()
      .statement(
        `SELECT s.app_id, s.project_id, s.owner_type, s.owner_id, s.session_id FROM session_status s
         WHERE s.last_activity < ? AND EXISTS (
           SELECT 1 FROM session_buffer b WHERE b.app_id = s.app_id AND b.project_id = s.project_id
             AND b.owner_type = s.owner_type AND b.owner_id = s.owner_id AND b.session_id = s.session_id)`,
      )
      .all(before) as SessionRow[];
    return rows.map(toSessionKey);
  }

  async discard(scope: Scope, runId?: string): Promise<number> {
    const state = this.state();
    return state.transaction(() => {
      const sessions = state
        .statement("SELECT session_id, context FROM session_status WHERE app_id = ? AND project_id = ? AND owner_type = ? AND owner_id = ?")
        .all(scope.appId, scope.projectId, scope.ownerType, scope.ownerId) as { session_id: string; context: string }[];
      let dropped = 0;
      for (const session of sessions) {
        if (runId !== undefined && (JSON.parse(session.context) as SessionContext).runId !== runId) continue;
        const key = keyParams({ scope, sessionId: session.session_id });
        dropped += state.statement(`DELETE FROM session_buffer WHERE ${KEY_WHERE}`).run(...key).changes;
        state.statement(`DELETE FROM session_status WHERE ${KEY_WHERE}`).run(...key);
      }
      return dropped;
    });
  }

  async ownersOf(appId: string, projectId: string, sessionId: string): Promise<SessionKey[]> {
    const rows = this.state()
      .statement(
        `SELECT DISTINCT app_id, project_id, owner_type, owner_id, session_id FROM session_buffer
         WHERE app_id = ? AND project_id = ? AND session_id = ?`,
      )
      .all(appId, projectId, sessionId) as SessionRow[];
    return rows.map(toSessionKey);
  }
}

interface SessionRow {
  app_id: string;
  project_id: string;
  owner_type: "user" | "agent";
  owner_id: string;
  session_id: string;
}

function toSessionKey(row: SessionRow): SessionKey {
  return { scope: { appId: row.app_id, projectId: row.project_id, ownerType: row.owner_type, ownerId: row.owner_id }, sessionId: row.session_id };
}
