import { randomUUID } from "node:crypto";
import type { BufferedTurn, SessionBuffer, SessionContext, SessionKey } from "../../spec/session-buffer.js";
import type { Role, Scope, SourcePart } from "../../spec/types.js";
import type { PostgresDatabase } from "./pg-database.js";

const KEY_WHERE = "app_id = $1 AND project_id = $2 AND owner_type = $3 AND owner_id = $4 AND session_id = $5";

function keyParams(key: SessionKey): string[] {
  const { scope, sessionId } = key;
  return [scope.appId, scope.projectId, scope.ownerType, scope.ownerId, sessionId];
}

export interface PostgresSessionBufferOptions {
  /** Names this process in idle-flush claims (default: a random id per buffer). */
  instanceId?: string;
  /**
   * How long an idle-flush claim keeps other servers away from a session. A server that dies
   * mid-flush holds it this long; a flush that outlives it is still safe (see PostgresSessionLocks).
   */
  flushLeaseMs?: number;
  /** Sessions one idleSessions() call claims at most. */
  claimBatch?: number;
}

interface TurnRow {
  message_id: string;
  role: Role;
  sender_id: string | null;
  ts: number;
  text: string;
  source_parts: SourcePart[] | null;
}

/**
 * Session buffers shared by every server on the database. Each write to a session first takes
 * the row lock of its `session_status` row, so an append and a flush of the same session never
 * interleave: a turn is either buffered or recognised as processed, never both, and never twice
 * (the message id is the buffer's primary key, so two servers buffering the same retried turn
 * store it once).
 *
 * The idle flush is claimed: `idleSessions` marks the sessions it returns as this server's for
 * `flushLeaseMs` (`FOR UPDATE SKIP LOCKED`, so servers scanning at once split the sessions
 * between them and never wait on each other), and `markFlushed` clears the claim. A server that
 * dies mid-flush leaves its claim to expire; the turns stay buffered until then.
 */
export class PostgresSessionBuffer implements SessionBuffer {
  readonly instanceId: string;
  private readonly flushLeaseMs: number;
  private readonly claimBatch: number;

  constructor(
    private readonly database: PostgresDatabase,
    options: PostgresSessionBufferOptions = {},
  ) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.flushLeaseMs = options.flushLeaseMs ?? 5 * 60_000;
    this.claimBatch = options.claimBatch ?? 100;
  }

  async append(key: SessionKey, turns: readonly BufferedTurn[], context: SessionContext): Promise<BufferedTurn[]> {
    const now = Date.now();
    return this.database.transaction(async (client) => {
      await client.query(
        `INSERT INTO session_status (app_id, project_id, owner_type, owner_id, session_id, last_activity, context)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
         ON CONFLICT (app_id, project_id, owner_type, owner_id, session_id)
         DO UPDATE SET last_activity = excluded.last_activity, context = excluded.context`,
        [...keyParams(key), now, JSON.stringify(context)],
      );
      if (turns.length === 0) return [];
      const { rows } = await client.query<{ message_id: string }>(
        `INSERT INTO session_buffer (message_id, app_id, project_id, owner_type, owner_id, session_id, role, sender_id, ts, text, created_at, source_parts)
         SELECT t.message_id, $1, $2, $3, $4, $5, t.role, t.sender_id, t.ts, t.text, $6, t.source_parts::jsonb
         FROM unnest($7::text[], $8::text[], $9::text[], $10::float8[], $11::text[], $12::text[])
           WITH ORDINALITY AS t(message_id, role, sender_id, ts, text, source_parts, position)
         WHERE NOT EXISTS (SELECT 1 FROM processed_messages p WHERE p.message_id = t.message_id)
         ORDER BY t.position
         ON CONFLICT (message_id) DO NOTHING
         RETURNING message_id`,
        [
          ...keyParams(key),
          now,
          turns.map((turn) => turn.messageId),
          turns.map((turn) => turn.role),
          turns.map((turn) => turn.senderId ?? null),
          turns.map((turn) => turn.timestamp),
          turns.map((turn) => turn.text),
          turns.map((turn) => (turn.sourceParts === undefined || turn.sourceParts.length === 0 ? null : JSON.stringify(turn.sourceParts))),
        ],
      );
      const inserted = new Set(rows.map((row) => row.message_id));
      // A turn listed twice in one call is buffered once, and reported once.
      return turns.filter((turn) => inserted.delete(turn.messageId));
    });
  }

  async pending(key: SessionKey): Promise<BufferedTurn[]> {
    const { rows } = await this.database.query<TurnRow>(
      `SELECT message_id, role, sender_id, ts, text, source_parts FROM session_buffer WHERE ${KEY_WHERE} ORDER BY ts, seq`,
      keyParams(key),
    );
    return rows.map((row) => {
      const turn: BufferedTurn = { messageId: row.message_id, role: row.role, timestamp: row.ts, text: row.text };
      if (row.sender_id !== null) turn.senderId = row.sender_id;
      if (row.source_parts !== null) turn.sourceParts = row.source_parts;
      return turn;
    });
  }

  async context(key: SessionKey): Promise<SessionContext | undefined> {
    const { rows } = await this.database.query<{ context: SessionContext }>(`SELECT context FROM session_status WHERE ${KEY_WHERE}`, keyParams(key));
    return rows[0]?.context;
  }

  async markFlushed(key: SessionKey, messageIds: readonly string[], episodeId: string): Promise<void> {
    await this.database.transaction(async (client) => {
      await client.query(
        `UPDATE session_status SET judged_count = 0, extraction_attempts = 0, flush_claimed_by = NULL, flush_claimed_until = NULL
         WHERE ${KEY_WHERE}`,
        keyParams(key),
      );
      await client.query(`DELETE FROM session_buffer WHERE ${KEY_WHERE} AND message_id = ANY($6::text[])`, [...keyParams(key), [...messageIds]]);
      await client.query(
        `INSERT INTO processed_messages (message_id, episode_id, created_at)
         SELECT id, $2, $3 FROM unnest($1::text[]) AS id
         ON CONFLICT (message_id) DO NOTHING`,
        [[...messageIds], episodeId, Date.now()],
      );
    });
  }

  async judgedCount(key: SessionKey): Promise<number> {
    const { rows } = await this.database.query<{ judged_count: number }>(`SELECT judged_count FROM session_status WHERE ${KEY_WHERE}`, keyParams(key));
    return rows[0]?.judged_count ?? 0;
  }

  async setJudgedCount(key: SessionKey, count: number): Promise<void> {
    await this.database.query(`UPDATE session_status SET judged_count = $6 WHERE ${KEY_WHERE}`, [...keyParams(key), count]);
  }

  async extractionAttempts(key: SessionKey): Promise<number> {
    const { rows } = await this.database.query<{ extraction_attempts: number }>(
      `SELECT extraction_attempts FROM session_status WHERE ${KEY_WHERE}`,
      keyParams(key),
    );
    return rows[0]?.extraction_attempts ?? 0;
  }

  /** One statement, so failures counted by two servers at once both count. */
  async recordFailedExtraction(key: SessionKey): Promise<number> {
    const { rows } = await this.database.query<{ extraction_attempts: number }>(
      `UPDATE session_status SET extraction_attempts = extraction_attempts + 1 WHERE ${KEY_WHERE} RETURNING extraction_attempts`,
      keyParams(key),
    );
    return rows[0]?.extraction_attempts ?? 0;
  }

  /**
   * Claims sessions idle since `before` that have pending turns, for this server: each is
   * returned to exactly one caller until its claim expires or it is flushed.
   */
  async idleSessions(before: number): Promise<SessionKey[]> {
    const { rows } = await this.database.query<SessionRow>(
      `WITH idle AS (
         SELECT s.app_id, s.project_id, s.owner_type, s.owner_id, s.session_id
         FROM session_status s
         WHERE s.last_activity < $1
           AND (s.flush_claimed_until IS NULL OR s.flush_claimed_until < clock_timestamp())
           AND EXISTS (
             SELECT 1 FROM session_buffer b
             WHERE b.app_id = s.app_id AND b.project_id = s.project_id AND b.owner_type = s.owner_type
               AND b.owner_id = s.owner_id AND b.session_id = s.session_id)
         ORDER BY s.last_activity
         LIMIT $2
         FOR UPDATE OF s SKIP LOCKED
       )
       UPDATE session_status s
       SET flush_claimed_by = $3, flush_claimed_until = clock_timestamp() + make_interval(secs => $4)
       FROM idle
       WHERE s.app_id = idle.app_id AND s.project_id = idle.project_id AND s.owner_type = idle.owner_type
         AND s.owner_id = idle.owner_id AND s.session_id = idle.session_id
       RETURNING s.app_id, s.project_id, s.owner_type, s.owner_id, s.session_id, s.last_activity`,
      [before, this.claimBatch, this.instanceId, this.flushLeaseMs / 1000],
    );
    return rows.sort((a, b) => a.last_activity - b.last_activity).map(toSessionKey);
  }

  /** Gives a claimed session back at once (a flush that failed), instead of at the end of its lease. */
  async releaseClaim(key: SessionKey): Promise<void> {
    await this.database.query(
      `UPDATE session_status SET flush_claimed_by = NULL, flush_claimed_until = NULL WHERE ${KEY_WHERE} AND flush_claimed_by = $6`,
      [...keyParams(key), this.instanceId],
    );
  }

  async discard(scope: Scope, runId?: string): Promise<number> {
    const owner = [scope.appId, scope.projectId, scope.ownerType, scope.ownerId, runId ?? null];
    const ofOwner = "app_id = $1 AND project_id = $2 AND owner_type = $3 AND owner_id = $4 AND ($5::text IS NULL OR context->>'runId' = $5)";
    return this.database.transaction(async (client) => {
      // The status rows first, locked: an append to one of these sessions waits for the discard.
      const { rows } = await client.query<{ session_id: string }>(`DELETE FROM session_status WHERE ${ofOwner} RETURNING session_id`, owner);
      if (rows.length === 0) return 0;
      const dropped = await client.query(
        "DELETE FROM session_buffer WHERE app_id = $1 AND project_id = $2 AND owner_type = $3 AND owner_id = $4 AND session_id = ANY($5::text[])",
        [scope.appId, scope.projectId, scope.ownerType, scope.ownerId, rows.map((row) => row.session_id)],
      );
      return dropped.rowCount ?? 0;
    });
  }

  async ownersOf(appId: string, projectId: string, sessionId: string): Promise<SessionKey[]> {
    const { rows } = await this.database.query<SessionRow>(
      `SELECT DISTINCT app_id, project_id, owner_type, owner_id, session_id FROM session_buffer
       WHERE app_id = $1 AND project_id = $2 AND session_id = $3
       ORDER BY owner_type, owner_id`,
      [appId, projectId, sessionId],
    );
    return rows.map(toSessionKey);
  }
}

interface SessionRow {
  app_id: string;
  project_id: string;
  owner_type: "user" | "agent";
  owner_id: string;
  session_id: string;
  last_activity: number;
}

function toSessionKey(row: SessionRow): SessionKey {
  return { scope: { appId: row.app_id, projectId: row.project_id, ownerType: row.owner_type, ownerId: row.owner_id }, sessionId: row.session_id };
}
