import type { Queryable } from "./pg-database.js";

/**
 * The schema, as numbered steps. A step is never edited once released: a change is a new step.
 * Steps run in order, each in its own transaction, under one advisory lock per schema, and are
 * recorded in `omnimem_migrations`: two servers starting at once apply each step once (the
 * second waits for the lock, then finds nothing pending).
 *
 * The embedding column is not a step: its dimension comes from the configured embedder, so the
 * search index adds it at open (under the same lock) and records the model in `search_identity`.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "memories, history, session buffers, parse cache",
    sql: `
-- One row per memory: the truth (there is no other copy), with the columns filters use.
CREATE TABLE memories (
  seq bigserial UNIQUE,
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('episode', 'fact')),
  app_id text NOT NULL,
  project_id text NOT NULL,
  owner_type text NOT NULL CHECK (owner_type IN ('user', 'agent')),
  owner_id text NOT NULL,
  user_id text,
  agent_id text,
  run_id text,
  session_id text,
  sender_id text,
  role text,
  episode_id text,
  subject text,
  summary text,
  -- epoch milliseconds, as JavaScript numbers (float8 round-trips them exactly)
  ts double precision NOT NULL,
  created_at double precision NOT NULL,
  updated_at double precision NOT NULL,
  hash text NOT NULL,
  text text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- keyword search: maintained by PostgreSQL in the same transaction as the row
  search tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
);
-- one per sort a list offers (created_at, timestamp, updated_at), after the owner columns
CREATE INDEX memories_by_owner ON memories (app_id, project_id, owner_type, owner_id, created_at DESC, id DESC);
CREATE INDEX memories_by_owner_ts ON memories (app_id, project_id, owner_type, owner_id, ts DESC, id DESC);
CREATE INDEX memories_by_owner_updated ON memories (app_id, project_id, owner_type, owner_id, updated_at DESC, id DESC);
CREATE INDEX memories_search ON memories USING gin (search);
CREATE INDEX memories_metadata ON memories USING gin (metadata jsonb_path_ops);

-- Every change of a memory (Mem0's history rows), with the owner of the memory at the time.
CREATE TABLE memory_history (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  memory_id text NOT NULL,
  previous_value text,
  new_value text,
  action text NOT NULL CHECK (action IN ('ADD', 'UPDATE', 'DELETE')),
  created_at text NOT NULL,
  updated_at text,
  is_deleted smallint NOT NULL DEFAULT 0,
  app_id text NOT NULL,
  project_id text NOT NULL,
  owner_type text NOT NULL,
  owner_id text NOT NULL,
  agent_id text,
  run_id text
);
CREATE INDEX memory_history_by_memory ON memory_history (memory_id, seq);

-- Pending turns of a session (parsed text only) until they become an episode; one buffer per owner.
CREATE TABLE session_buffer (
  message_id text PRIMARY KEY,
  app_id text NOT NULL,
  project_id text NOT NULL,
  owner_type text NOT NULL,
  owner_id text NOT NULL,
  session_id text NOT NULL,
  seq bigserial,
  role text NOT NULL,
  sender_id text,
  ts double precision NOT NULL,
  text text NOT NULL,
  created_at double precision NOT NULL
);
CREATE INDEX session_buffer_by_session ON session_buffer (app_id, project_id, owner_type, owner_id, session_id, ts, seq);
CREATE INDEX session_buffer_by_session_id ON session_buffer (app_id, project_id, session_id);

-- One row per session buffer: its last activity, the context of its latest add, and the
-- idle-flush claim (which server flushes it, until when).
CREATE TABLE session_status (
  app_id text NOT NULL,
  project_id text NOT NULL,
  owner_type text NOT NULL,
  owner_id text NOT NULL,
  session_id text NOT NULL,
  last_activity double precision NOT NULL,
  context jsonb NOT NULL,
  judged_count integer NOT NULL DEFAULT 0,
  extraction_attempts integer NOT NULL DEFAULT 0,
  flush_claimed_by text,
  flush_claimed_until timestamptz,
  PRIMARY KEY (app_id, project_id, owner_type, owner_id, session_id)
);
CREATE INDEX session_status_idle ON session_status (last_activity);

-- Turns that became episodes: a retried add of the same turns (through any server) is skipped.
CREATE TABLE processed_messages (
  message_id text PRIMARY KEY,
  episode_id text NOT NULL,
  created_at double precision NOT NULL
);

-- Parsed text by sha256 of the source bytes and who parsed them, shared by every server.
CREATE TABLE parse_cache (
  cache_key text PRIMARY KEY,
  parser text NOT NULL,
  text text NOT NULL,
  created_at double precision NOT NULL
);

-- The embedding model the vectors in memories.embedding were made with (one row).
CREATE TABLE search_identity (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  model text NOT NULL,
  dimensions integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 2,
    name: "source parts of memories and buffered turns",
    sql: `
-- The files whose parsed text a memory (or a buffered turn) holds, each with the parser and
-- model that read it: a JSON list, NULL when there are none.
ALTER TABLE memories ADD COLUMN source_parts jsonb;
ALTER TABLE session_buffer ADD COLUMN source_parts jsonb;
`,
  },
];

export interface MigrationReport {
  /** Versions applied by this call. */
  applied: number[];
  /** Versions still to apply (only non-empty for a dry run). */
  pending: number[];
  /** The schema's version after the call. */
  version: number;
}

/** The lock that serialises schema changes of one schema (migrations, the embedding column). */
export async function withSchemaLock<T>(client: Queryable, schema: string, work: () => Promise<T>): Promise<T> {
  // A session-level lock, held across the per-step transactions; the key is derived in SQL from
  // a parameter, so nothing from configuration is spliced into the statement.
  await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [`omnimem:schema:${schema}`]);
  try {
    return await work();
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [`omnimem:schema:${schema}`]);
  }
}

/**
 * Brings `schema` up to the newest step. `schema` is a checked identifier (see PostgresDatabase);
 * it is quoted, never taken from a request.
 */
export async function applyMigrations(
  client: Queryable,
  schema: string,
  options: { dryRun?: boolean; migrations?: readonly Migration[] } = {},
): Promise<MigrationReport> {
  const migrations = options.migrations ?? MIGRATIONS;
  return withSchemaLock(client, schema, async () => {
    if (options.dryRun) {
      // Looks without creating anything: a server that may not migrate leaves no trace.
      const { rows } = await client.query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [`"${schema}".omnimem_migrations`]);
      const done = new Set<number>();
      if (rows[0]?.present === true) {
        for (const row of (await client.query(`SELECT version FROM "${schema}".omnimem_migrations`)).rows) done.add(Number(row.version));
      }
      return { applied: [], pending: migrations.filter((m) => !done.has(m.version)).map((m) => m.version), version: Math.max(0, ...done) };
    }
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query("SELECT set_config('search_path', $1, false)", [`"${schema}", public`]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS omnimem_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set((await client.query("SELECT version FROM omnimem_migrations")).rows.map((row) => Number(row.version)));
    const pending = migrations.filter((migration) => !done.has(migration.version));
    const version = () => Math.max(0, ...done);
    const applied: number[] = [];
    for (const migration of pending) {
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO omnimem_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
      done.add(migration.version);
      applied.push(migration.version);
    }
    return { applied, pending: [], version: version() };
  });
}
