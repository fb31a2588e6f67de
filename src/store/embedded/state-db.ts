import Database from "better-sqlite3";
import type { HistoryEntry, MemoryRecord, Metadata, Role, Scope, SourcePart } from "../../spec/types.js";
import type { IndexJob, OwnerMatch } from "../../spec/memory-store.js";
import { metadataPairs } from "./sql-filter.js";
import { type RecordColumns, recordColumns } from "./record-columns.js";

const SCHEMA_VERSION = 1;
/** Statements kept by `recentStatement`. */
const RECENT_STATEMENTS = 256;

/** The owner of a history row's memory (NULL in rows of memories deleted before these columns existed). */
const HISTORY_OWNER_COLUMNS = ["app_id", "project_id", "owner_type", "owner_id", "agent_id", "run_id"] as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- One row per markdown entry: where it lives and a copy of what it says, for fast reads.
CREATE TABLE IF NOT EXISTS catalog (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  app_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  owner_type TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  user_id TEXT,
  agent_id TEXT,
  run_id TEXT,
  session_id TEXT,
  sender_id TEXT,
  role TEXT,
  episode_id TEXT,
  subject TEXT,
  summary TEXT,
  ts REAL NOT NULL,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  file TEXT NOT NULL,
  hash TEXT NOT NULL,
  text TEXT NOT NULL,
  metadata TEXT NOT NULL,
  meta_kv TEXT NOT NULL,
  -- JSON list of the files whose parsed text the memory holds, each with its parser (NULL: none)
  source_parts TEXT
);
CREATE INDEX IF NOT EXISTS catalog_by_owner ON catalog (app_id, project_id, owner_type, owner_id, created_at DESC, id DESC);
-- Lists sorted by when it happened or was last changed read one page from these (either order).
CREATE INDEX IF NOT EXISTS catalog_by_owner_ts ON catalog (app_id, project_id, owner_type, owner_id, ts, id);
CREATE INDEX IF NOT EXISTS catalog_by_owner_updated ON catalog (app_id, project_id, owner_type, owner_id, updated_at, id);

-- Every change of a memory (Mem0's history rows), with the memory's owner at the time: a
-- deleted memory's history stays readable by its owner only.
CREATE TABLE IF NOT EXISTS history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  memory_id TEXT NOT NULL,
  previous_value TEXT,
  new_value TEXT,
  action TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT,
  is_deleted INTEGER NOT NULL DEFAULT 0,
  ${HISTORY_OWNER_COLUMNS.map((column) => `${column} TEXT`).join(",\n  ")}
);
CREATE INDEX IF NOT EXISTS history_by_memory ON history (memory_id, seq);

-- Index work owed after a committed write; replayed at start so a crash loses nothing.
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  memory_id TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
  created_at REAL NOT NULL
);

-- Pending turns of a session (parsed text only, never raw bytes) until they become an episode.
-- A session's buffer belongs to one owner; group chats buffer per owner.
CREATE TABLE IF NOT EXISTS session_buffer (
  message_id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  owner_type TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  role TEXT NOT NULL,
  sender_id TEXT,
  ts REAL NOT NULL,
  text TEXT NOT NULL,
  created_at REAL NOT NULL,
  -- JSON list of the files whose parsed text the turn holds (NULL: none)
  source_parts TEXT
);
CREATE INDEX IF NOT EXISTS session_buffer_by_session ON session_buffer (app_id, project_id, owner_type, owner_id, session_id, ts, seq);
-- Each buffered turn takes max(seq) + 1: without this, a scan of every buffered turn of every
-- session per add (43 us at 600 buffered turns, 194 us at 5,000).
CREATE INDEX IF NOT EXISTS session_buffer_by_seq ON session_buffer (seq);

CREATE TABLE IF NOT EXISTS session_status (
  app_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  owner_type TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  last_activity REAL NOT NULL,
  -- user/agent/run ids and metadata of the latest add, given to the episode
  context TEXT NOT NULL,
  -- pending turns the boundary LLM has judged already (so it is not asked again for them)
  judged_count INTEGER NOT NULL DEFAULT 0,
  -- failed extractions of the pending turns; at llm.max_extraction_attempts they are stored verbatim
  extraction_attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (app_id, project_id, owner_type, owner_id, session_id)
);

-- Turns that became episodes: a retried add of the same turns is recognised and skipped.
CREATE TABLE IF NOT EXISTS processed_messages (
  message_id TEXT PRIMARY KEY,
  episode_id TEXT NOT NULL,
  created_at REAL NOT NULL
);

-- The size of each markdown log as of the last committed write: an add appends to a file of
-- exactly this size instead of rewriting it (see log-append.ts); any other size means the file
-- changed outside a commit and is read in full first.
CREATE TABLE IF NOT EXISTS log_files (
  file TEXT PRIMARY KEY,
  size INTEGER NOT NULL
);

-- Parsed text by sha256 of the source bytes and who parsed them, so the same file is parsed once.
CREATE TABLE IF NOT EXISTS parse_cache (
  cache_key TEXT PRIMARY KEY,
  parser TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at REAL NOT NULL
);
`;

export interface CatalogRow extends RecordColumns {
  file: string;
  hash: string;
  /** The metadata object as JSON. */
  metadata: string;
  /** JSON list of `key=<json value>` pairs, what metadata filters match (see sql-filter.ts). */
  meta_kv: string;
  /** The record's source parts as JSON, NULL when it has none. */
  source_parts: string | null;
}

/** The SQLite side of the embedded store: schema, and the statements the store runs. */
export class StateDb {
  readonly db: Database.Database;
  /**
   * One better-sqlite3 transaction function for every transaction, given the work to run:
   * `db.transaction(work)` made a new wrapper each time (0.7% of the server's CPU under
   * bench/load.ts). Nested calls still become savepoints: the wrapper checks the connection.
   */
  private readonly runTransaction: (work: () => unknown) => unknown;
  readonly createdNow: boolean;

  constructor(
    readonly path: string,
    options: { syncEveryCommit?: boolean } = {},
  ) {
    this.db = new Database(path);
    this.runTransaction = this.db.transaction((work: () => unknown) => work());
    this.db.pragma("journal_mode = WAL");
    // NORMAL (WAL): a commit is written to the WAL before it returns, so it survives the process
    // being killed; the WAL is fsynced by the store's periodic sync and at checkpoints, not on
    // every commit (FULL: every commit survives power loss, at an fsync per commit).
    this.db.pragma(`synchronous = ${options.syncEveryCommit === true ? "FULL" : "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
    const version = this.db.pragma("user_version", { simple: true }) as number;
    this.createdNow = version === 0;
    this.db.exec(SCHEMA);
    this.addHistoryOwners();
    this.addExtractionAttempts();
    this.addSourceParts();
    if (version === 0) this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  close(): void {
    this.db.close();
  }

  transaction<T>(work: () => T): T {
    return this.runTransaction(work) as T;
  }

  /** Inserts or updates a record's row; returns the row as written (an update keeps the stored created_at, which it does not carry). */
  putCatalog(record: MemoryRecord, file: string): CatalogRow {
    const row = recordToRow(record, file);
    this.statement(
      `INSERT INTO catalog (id, kind, app_id, project_id, owner_type, owner_id, user_id, agent_id, run_id, session_id,
         sender_id, role, episode_id, subject, summary, ts, created_at, updated_at, file, hash, text, metadata, meta_kv, source_parts)
       VALUES (@id, @kind, @app_id, @project_id, @owner_type, @owner_id, @user_id, @agent_id, @run_id, @session_id,
         @sender_id, @role, @episode_id, @subject, @summary, @ts, @created_at, @updated_at, @file, @hash, @text, @metadata, @meta_kv, @source_parts)
       ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, user_id = excluded.user_id, agent_id = excluded.agent_id,
         run_id = excluded.run_id, session_id = excluded.session_id, sender_id = excluded.sender_id, role = excluded.role,
         episode_id = excluded.episode_id, subject = excluded.subject, summary = excluded.summary, ts = excluded.ts, updated_at = excluded.updated_at, file = excluded.file,
         hash = excluded.hash, text = excluded.text, metadata = excluded.metadata, meta_kv = excluded.meta_kv,
         source_parts = excluded.source_parts`,
    ).run(row);
    return row;
  }

  deleteCatalog(id: string): void {
    this.statement("DELETE FROM catalog WHERE id = ?").run(id);
  }

  getRow(id: string): CatalogRow | undefined {
    return this.statement("SELECT * FROM catalog WHERE id = ?").get(id) as CatalogRow | undefined;
  }

  /** One change of the memory `record` (as it was before a delete, as it is after an add or update). */
  addHistory(entry: HistoryEntry, record: Pick<MemoryRecord, "scope" | "agentId" | "runId">): void {
    this.statement(
      `INSERT INTO history (id, memory_id, previous_value, new_value, action, created_at, updated_at, is_deleted,
         app_id, project_id, owner_type, owner_id, agent_id, run_id)
       VALUES (@id, @memory_id, @previous_value, @new_value, @action, @created_at, @updated_at, @is_deleted,
         @app_id, @project_id, @owner_type, @owner_id, @agent_id, @run_id)`,
    ).run({
      ...entry,
      app_id: record.scope.appId,
      project_id: record.scope.projectId,
      owner_type: record.scope.ownerType,
      owner_id: record.scope.ownerId,
      agent_id: record.agentId ?? null,
      run_id: record.runId ?? null,
    });
  }

  /** A memory's changes, oldest first; with `owner`, only rows written while the memory was that owner's. */
  history(memoryId: string, owner?: OwnerMatch): HistoryEntry[] {
    const where = ["memory_id = ?"];
    const params: string[] = [memoryId];
    if (owner !== undefined) {
      const columns: [string, string | undefined][] = [
        ["app_id", owner.appId],
        ["project_id", owner.projectId],
        ["owner_type", owner.ownerType],
        ["owner_id", owner.ownerId],
        ["agent_id", owner.agentId],
        ["run_id", owner.runId],
      ];
      for (const [column, value] of columns) {
        if (value === undefined) continue;
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    return this.statement(
      `SELECT id, memory_id, previous_value, new_value, action, created_at, updated_at, is_deleted
       FROM history WHERE ${where.join(" AND ")} ORDER BY seq`,
    ).all(...params) as HistoryEntry[];
  }

  /**
   * A state.db made before history rows named their owner gets the columns, filled from the
   * catalog for memories that still exist (the owner of one deleted before is not known: its
   * history is then shown only to a reader that names no owner at all).
   */
  private addHistoryOwners(): void {
    const present = new Set((this.db.pragma("table_info(history)") as { name: string }[]).map((column) => column.name));
    const missing = HISTORY_OWNER_COLUMNS.filter((column) => !present.has(column));
    if (missing.length === 0) return;
    this.transaction(() => {
      for (const column of missing) this.db.exec(`ALTER TABLE history ADD COLUMN ${column} TEXT`);
      this.db.exec(
        `UPDATE history SET (${HISTORY_OWNER_COLUMNS.join(", ")}) =
           (SELECT ${HISTORY_OWNER_COLUMNS.join(", ")} FROM catalog WHERE catalog.id = history.memory_id)
         WHERE EXISTS (SELECT 1 FROM catalog WHERE catalog.id = history.memory_id)`,
      );
    });
  }

  /** A state.db made before failed extractions were counted gets the column (every count 0). */
  private addExtractionAttempts(): void {
    const columns = (this.db.pragma("table_info(session_status)") as { name: string }[]).map((column) => column.name);
    if (!columns.includes("extraction_attempts")) {
      this.db.exec("ALTER TABLE session_status ADD COLUMN extraction_attempts INTEGER NOT NULL DEFAULT 0");
    }
  }

  /**
   * A state.db made before memories and buffered turns kept their source parts gets the columns
   * (NULL: none known; a rebuild of the catalog from the markdown fills them for memories).
   */
  private addSourceParts(): void {
    for (const table of ["catalog", "session_buffer"]) {
      const columns = (this.db.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name);
      if (!columns.includes("source_parts")) this.db.exec(`ALTER TABLE ${table} ADD COLUMN source_parts TEXT`);
    }
  }

  /** The size of a markdown log as of the last committed write, if recorded. */
  logFileSize(file: string): number | undefined {
    return (this.statement("SELECT size FROM log_files WHERE file = ?").get(file) as { size: number } | undefined)?.size;
  }

  /** Records a log's size (undefined: the file is gone or its size unknown). */
  setLogFileSize(file: string, size: number | undefined): void {
    if (size === undefined) this.statement("DELETE FROM log_files WHERE file = ?").run(file);
    else this.statement("INSERT INTO log_files (file, size) VALUES (?, ?) ON CONFLICT (file) DO UPDATE SET size = excluded.size").run(file, size);
  }

  enqueueJob(memoryId: string, op: IndexJob["op"]): IndexJob {
    const result = this.statement("INSERT INTO outbox (memory_id, op, created_at) VALUES (?, ?, ?)").run(memoryId, op, Date.now());
    return { seq: Number(result.lastInsertRowid), memoryId, op };
  }

  pendingJobs(limit: number): IndexJob[] {
    return (
      this.statement("SELECT seq, memory_id, op FROM outbox ORDER BY seq LIMIT ?").all(limit) as {
        seq: number;
        memory_id: string;
        op: IndexJob["op"];
      }[]
    ).map((row) => ({ seq: row.seq, memoryId: row.memory_id, op: row.op }));
  }

  /** How many index jobs are still owed (read-only; `omnimem doctor` reports it). */
  pendingJobCount(): number {
    return (this.statement("SELECT count(*) AS n FROM outbox").get() as { n: number }).n;
  }

  /** The owed upserts of memories that exist, with their owners (for OwedUpserts at open). */
  owedUpserts(): ({ seq: number; memory_id: string } & Pick<CatalogRow, "app_id" | "project_id" | "owner_type" | "owner_id">)[] {
    return this.statement(
      `SELECT o.seq, o.memory_id, c.app_id, c.project_id, c.owner_type, c.owner_id
       FROM outbox o JOIN catalog c ON c.id = o.memory_id WHERE o.op = 'upsert' ORDER BY o.seq`,
    ).all() as ReturnType<StateDb["owedUpserts"]>;
  }

  completeJobs(seqs: readonly number[]): void {
    const remove = this.statement("DELETE FROM outbox WHERE seq = ?");
    this.transaction(() => {
      for (const seq of seqs) remove.run(seq);
    });
  }

  private readonly statements = new Map<string, Database.Statement>();
  /** Statements whose text carries values (an owner, a filter): the most recently used are kept. */
  private readonly recentStatements = new Map<string, Database.Statement>();

  /**
   * Like `statement`, for SQL texts of which there are many (one per owner or filter): at most
   * RECENT_STATEMENTS are kept, the least recently used dropped first.
   */
  recentStatement(sql: string): Database.Statement {
    let statement = this.recentStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.recentStatements.size >= RECENT_STATEMENTS) {
        const oldest = this.recentStatements.keys().next().value;
        if (oldest !== undefined) this.recentStatements.delete(oldest);
      }
    } else {
      // A Map iterates in insertion order: re-inserting makes it the most recent.
      this.recentStatements.delete(sql);
    }
    this.recentStatements.set(sql, statement);
    return statement;
  }

  /** Prepared once per SQL text: preparing is most of the cost of a small query. */
  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

export function recordToRow(record: MemoryRecord, file: string): CatalogRow {
  return {
    ...recordColumns(record),
    file,
    hash: record.hash,
    metadata: JSON.stringify(record.metadata),
    meta_kv: JSON.stringify(metadataPairs(record.metadata)),
    source_parts: record.sourceParts === undefined || record.sourceParts.length === 0 ? null : JSON.stringify(record.sourceParts),
  };
}

export function rowScope(row: Pick<CatalogRow, "app_id" | "project_id" | "owner_type" | "owner_id">): Scope {
  return { appId: row.app_id, projectId: row.project_id, ownerType: row.owner_type as Scope["ownerType"], ownerId: row.owner_id };
}

export function rowToRecord(row: CatalogRow): MemoryRecord {
  const record: MemoryRecord = {
    id: row.id,
    kind: row.kind as MemoryRecord["kind"],
    scope: rowScope(row),
    text: row.text,
    timestamp: row.ts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    metadata: JSON.parse(row.metadata) as Metadata,
    hash: row.hash,
  };
  if (row.user_id !== null) record.userId = row.user_id;
  if (row.agent_id !== null) record.agentId = row.agent_id;
  if (row.run_id !== null) record.runId = row.run_id;
  if (row.session_id !== null) record.sessionId = row.session_id;
  if (row.sender_id !== null) record.senderId = row.sender_id;
  if (row.role !== null) record.role = row.role as Role;
  if (row.episode_id !== null) record.episodeId = row.episode_id;
  if (row.subject !== null) record.subject = row.subject;
  if (row.summary !== null) record.summary = row.summary;
  if (row.source_parts !== null && row.source_parts !== undefined) record.sourceParts = JSON.parse(row.source_parts) as SourcePart[];
  return record;
}
