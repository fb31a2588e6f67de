import { randomUUID } from "node:crypto";
import { InternalError, NotFoundError, StaleRecordError, ValidationError } from "../../spec/errors.js";
import type {
  AppliedChanges,
  IndexJob,
  ListOptions,
  ListPage,
  ListSort,
  ListSortField,
  MemoryStore,
  OwnerMatch,
  OwnersPage,
  RecordChange,
} from "../../spec/memory-store.js";
import type { RecordFilter } from "../../spec/backend.js";
import type { HistoryEntry, MemoryRecord, Scope, SearchFilter } from "../../spec/types.js";
import { RECORD_FILTER_COLUMNS, assertMemoryId, ownerKey, validateChange } from "../ids.js";
import type { PostgresDatabase } from "./pg-database.js";
import { SqlParams, whereSql } from "./pg-filters.js";
import { JSONB_COLUMNS, type MemoryRow, RECORD_COLUMNS, SELECT_RECORD, recordValues, rowScope, rowToRecord } from "./pg-rows.js";

const INSERT_RECORD = `INSERT INTO memories (${RECORD_COLUMNS.join(", ")})
  VALUES (${RECORD_COLUMNS.map((column, i) => (JSONB_COLUMNS.has(column) ? `$${i + 1}::jsonb` : `$${i + 1}`)).join(", ")})
  ON CONFLICT (id) DO NOTHING`;

const UPDATE_RECORD = `UPDATE memories SET ${RECORD_COLUMNS.slice(1)
  .map((column, i) => `${column} = $${i + 2}${JSONB_COLUMNS.has(column) ? "::jsonb" : ""}`)
  .join(", ")} WHERE id = $1`;

const HISTORY_COLUMNS =
  "id, memory_id, previous_value, new_value, action, created_at, updated_at, is_deleted, app_id, project_id, owner_type, owner_id, agent_id, run_id";

/**
 * The PostgreSQL MemoryStore. The database is the truth: `apply` writes the rows and their
 * history in one transaction (rows of updated and deleted memories locked `FOR UPDATE`, so two
 * servers changing one memory take turns). The keyword index is a generated column of the same
 * row, so it is current the moment the transaction commits; the embedding is set by
 * PostgresSearchIndex (see there). There is no outbox: `apply` returns no index jobs, and
 * `pendingIndexJobs` names the memories whose embedding is missing (a process that died between
 * the two steps), which Memory's start-up replay re-embeds.
 */
export class PostgresMemoryStore implements MemoryStore {
  constructor(readonly database: PostgresDatabase) {}

  open(): Promise<void> {
    return this.database.acquire();
  }

  close(): Promise<void> {
    return this.database.release();
  }

  /**
   * With `embeddings` (id → vector, for adds and updates), the embedding column is written in
   * the same transaction as the record and its history: the whole write, index included, commits
   * or rolls back as one, and no process death can leave a memory without its vector. Only for a
   * schema whose index was opened with vectors (the column exists from then on).
   */
  async apply(changes: readonly RecordChange[], embeddings?: ReadonlyMap<string, Float32Array>): Promise<AppliedChanges> {
    if (changes.length === 0) return { jobs: [], history: [] };
    for (const change of changes) validateChange(change);
    return this.database.transaction(async (client) => {
      const touched = changes.flatMap((change) => (change.op === "add" ? [] : [change.op === "delete" ? change.id : change.record.id]));
      const previous = new Map<string, MemoryRow>();
      if (touched.length > 0) {
        // In id order, so two transactions that touch the same memories cannot deadlock.
        const { rows } = await client.query<MemoryRow>(
          `SELECT ${SELECT_RECORD} FROM memories WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
          [[...new Set(touched)]],
        );
        for (const row of rows) previous.set(row.id, row);
      }
      const now = new Date().toISOString();
      const history: HistoryEntry[] = [];
      const record = async (entry: Omit<HistoryEntry, "id"> & { id?: string }, of: Pick<MemoryRecord, "scope" | "agentId" | "runId">) => {
        const full: HistoryEntry = { id: randomUUID(), ...entry };
        await client.query(`INSERT INTO memory_history (${HISTORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, [
          full.id,
          full.memory_id,
          full.previous_value,
          full.new_value,
          full.action,
          full.created_at,
          full.updated_at,
          full.is_deleted,
          of.scope.appId,
          of.scope.projectId,
          of.scope.ownerType,
          of.scope.ownerId,
          of.agentId ?? null,
          of.runId ?? null,
        ]);
        history.push(full);
      };
      for (const change of changes) {
        if (change.op === "add") {
          const inserted = await client.query(INSERT_RECORD, recordValues(change.record));
          if (inserted.rowCount === 0) throw new InternalError(`memory id ${change.record.id} already exists`, { details: { id: change.record.id } });
          if (change.history !== undefined) {
            for (const entry of change.history) await record({ ...entry, memory_id: change.record.id }, change.record);
            continue;
          }
          await record(
            { memory_id: change.record.id, previous_value: null, new_value: change.record.text, action: "ADD", created_at: now, updated_at: null, is_deleted: 0 },
            change.record,
          );
          continue;
        }
        const id = change.op === "delete" ? change.id : change.record.id;
        const before = previous.get(id);
        if (before === undefined) throw new NotFoundError(`memory ${id} not found`, { details: { id } });
        const createdAt = new Date(before.created_at).toISOString();
        if (change.op === "update") {
          if (ownerKey(change.record.scope) !== ownerKey(rowScope(before)) || change.record.kind !== before.kind) {
            throw new ValidationError(`memory ${id} cannot move to another owner or kind`, { details: { id } });
          }
          // The row is locked (FOR UPDATE above): what it holds now is what this update replaces.
          if (change.expectedUpdatedAt !== undefined && Number(before.updated_at) !== change.expectedUpdatedAt) {
            throw new StaleRecordError(`memory ${id} changed since it was read`, { details: { id } });
          }
          await client.query(UPDATE_RECORD, recordValues(change.record));
          await record(
            { memory_id: id, previous_value: before.text, new_value: change.record.text, action: "UPDATE", created_at: createdAt, updated_at: now, is_deleted: 0 },
            change.record,
          );
          previous.set(id, { ...before, text: change.record.text });
        } else {
          await client.query("DELETE FROM memories WHERE id = $1", [id]);
          await record(
            { memory_id: id, previous_value: before.text, new_value: null, action: "DELETE", created_at: createdAt, updated_at: now, is_deleted: 1 },
            rowToRecord(before),
          );
          previous.delete(id);
        }
      }
      if (embeddings !== undefined && embeddings.size > 0) {
        const written = changes.flatMap((change) => (change.op === "delete" ? [] : [change.record.id])).filter((id) => embeddings.has(id));
        await client.query(
          `UPDATE memories AS m SET embedding = d.embedding::vector
           FROM unnest($1::text[], $2::text[]) AS d(id, embedding) WHERE m.id = d.id`,
          [written, written.map((id) => `[${Array.from(embeddings.get(id)!).join(",")}]`)],
        );
      }
      return { jobs: [], history };
    });
  }

  async get(id: string): Promise<MemoryRecord | undefined> {
    assertMemoryId(id);
    const { rows } = await this.database.query<MemoryRow>(`SELECT ${SELECT_RECORD} FROM memories WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : rowToRecord(rows[0]);
  }

  async getMany(ids: readonly string[]): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.database.query<MemoryRow>(`SELECT ${SELECT_RECORD} FROM memories WHERE id = ANY($1::text[])`, [[...ids]]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row === undefined ? [] : [rowToRecord(row)];
    });
  }

  async list(options: ListOptions): Promise<ListPage> {
    const sort = options.sort ?? DEFAULT_SORT;
    const column = SORT_COLUMNS[sort.by];
    const direction = sort.order === "asc" ? "ASC" : "DESC";
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ValidationError("offset must be a non-negative integer", { details: { path: "offset" } });
    const params = new SqlParams();
    const where = [whereSql(options.scope, options.filter, params)];
    if (options.cursor !== undefined) {
      const [value, id] = decodeCursor(options.cursor, sort);
      where.push(`(${column}, id) ${sort.order === "asc" ? ">" : "<"} (${params.add(value)}::float8, ${params.add(id)})`);
    }
    const { rows } = await this.database.query<MemoryRow>(
      `SELECT ${SELECT_RECORD} FROM memories WHERE ${where.join(" AND ")}
       ORDER BY ${column} ${direction}, id ${direction} LIMIT ${params.add(options.limit + 1)} OFFSET ${params.add(offset)}`,
      params.values,
    );
    const page = rows.slice(0, options.limit);
    const last = page[page.length - 1];
    const records = page.map(rowToRecord);
    return rows.length > options.limit && last !== undefined ? { records, nextCursor: encodeCursor(sort, last) } : { records };
  }

  async owners(appId: string, projectId: string, page: { limit: number; offset: number }): Promise<OwnersPage> {
    const { rows } = await this.database.query<{ owner_type: "user" | "agent"; owner_id: string; n: string; last_ts: number; total: string }>(
      `SELECT owner_type, owner_id, count(*) AS n, max(ts) AS last_ts, count(*) OVER () AS total FROM memories
       WHERE app_id = $1 AND project_id = $2 GROUP BY owner_type, owner_id
       ORDER BY last_ts DESC, owner_type, owner_id LIMIT $3 OFFSET $4`,
      [appId, projectId, page.limit, page.offset],
    );
    const total =
      rows.length > 0
        ? Number(rows[0]!.total)
        : Number(
            (
              await this.database.query<{ n: string }>(
                "SELECT count(*) AS n FROM (SELECT 1 FROM memories WHERE app_id = $1 AND project_id = $2 GROUP BY owner_type, owner_id) AS owners",
                [appId, projectId],
              )
            ).rows[0]!.n,
          );
    return {
      owners: rows.map((row) => ({ ownerType: row.owner_type, ownerId: row.owner_id, memories: Number(row.n), lastTimestamp: Number(row.last_ts) })),
      total,
    };
  }

  async count(scope?: Scope, filter?: SearchFilter): Promise<number> {
    const params = new SqlParams();
    const where = scope === undefined ? "true" : whereSql(scope, filter, params);
    const { rows } = await this.database.query<{ n: string }>(`SELECT count(*) AS n FROM memories WHERE ${where}`, params.values);
    return Number(rows[0]!.n);
  }

  async history(id: string, owner?: OwnerMatch): Promise<HistoryEntry[]> {
    assertMemoryId(id);
    const params = new SqlParams([id]);
    const where = ["memory_id = $1"];
    if (owner !== undefined) {
      const columns: [string, string | undefined][] = [
        ["app_id", owner.appId],
        ["project_id", owner.projectId],
        ["owner_type", owner.ownerType],
        ["owner_id", owner.ownerId],
        ["agent_id", owner.agentId],
        ["run_id", owner.runId],
      ];
      for (const [column, value] of columns) if (value !== undefined) where.push(`${column} = ${params.add(value)}`);
    }
    const { rows } = await this.database.query<HistoryEntry>(
      `SELECT id, memory_id, previous_value, new_value, action, created_at, updated_at, is_deleted::int AS is_deleted
       FROM memory_history WHERE ${where.join(" AND ")} ORDER BY seq`,
      params.values,
    );
    return rows;
  }

  /** Memories whose embedding is missing (only once an index with vectors has opened this schema). */
  async pendingIndexJobs(limit: number): Promise<IndexJob[]> {
    const { rows: identity } = await this.database.query("SELECT 1 FROM search_identity");
    if (identity.length === 0) return [];
    const { rows } = await this.database.query<{ seq: string; id: string }>(
      "SELECT seq, id FROM memories WHERE embedding IS NULL ORDER BY seq LIMIT $1",
      [limit],
    );
    return rows.map((row) => ({ seq: Number(row.seq), memoryId: row.id, op: "upsert" }));
  }

  /** Nothing to do: a job is done when the memory has its embedding. */
  async completeIndexJobs(): Promise<void> {}

  async *scan(batchSize: number): AsyncIterable<MemoryRecord[]> {
    let after = 0;
    for (;;) {
      const { rows } = await this.database.query<MemoryRow & { seq: string }>(
        `SELECT seq, ${SELECT_RECORD} FROM memories WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [after, batchSize],
      );
      if (rows.length === 0) return;
      after = Number(rows[rows.length - 1]!.seq);
      yield rows.map(rowToRecord);
    }
  }

  /**
   * Every record matching `filter`, oldest first (created_at, then id in byte order, as the
   * embedded store sorts), read a page at a time by keyset: for export and copy.
   */
  async *recordsInCreationOrder(filter: RecordFilter = {}, batchSize = 500): AsyncIterable<MemoryRecord> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [key, column] of RECORD_FILTER_COLUMNS) {
      const value = filter[key];
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    const n = params.length;
    const page = `SELECT ${SELECT_RECORD} FROM memories
      WHERE ${[...where, `(created_at > $${n + 1} OR (created_at = $${n + 1} AND id COLLATE "C" > $${n + 2}))`].join(" AND ")}
      ORDER BY created_at, id COLLATE "C" LIMIT $${n + 3}`;
    let lastCreatedAt = Number.MIN_SAFE_INTEGER;
    let lastId = "";
    for (;;) {
      const { rows } = await this.database.query<MemoryRow>(page, [...params, lastCreatedAt, lastId, batchSize]);
      for (const row of rows) yield rowToRecord(row);
      if (rows.length < batchSize) return;
      const last = rowToRecord(rows[rows.length - 1]!);
      lastCreatedAt = last.createdAt;
      lastId = last.id;
    }
  }

  /** The database is the truth: there is no separate catalog to rebuild. */
  async rebuildCatalog(): Promise<{ records: number }> {
    return { records: await this.count() };
  }

  async reset(): Promise<void> {
    await this.database.transaction(async (client) => {
      await client.query("DELETE FROM memories");
      await client.query("DELETE FROM memory_history");
      await client.query("DELETE FROM session_buffer");
      await client.query("DELETE FROM session_status");
      await client.query("DELETE FROM processed_messages");
    });
  }
}

const DEFAULT_SORT: ListSort = { by: "created_at", order: "desc" };
/** Columns per sort field (whitelisted: the only identifiers a list puts in its SQL). */
const SORT_COLUMNS: Record<ListSortField, "ts" | "created_at" | "updated_at"> = { timestamp: "ts", created_at: "created_at", updated_at: "updated_at" };

/** A cursor names the sort it belongs to (the embedded store's format), so it cannot be replayed against another order. */
function encodeCursor(sort: ListSort, row: MemoryRow): string {
  return Buffer.from(JSON.stringify([sort.by, sort.order, row[SORT_COLUMNS[sort.by]], row.id])).toString("base64url");
}

function decodeCursor(cursor: string, sort: ListSort): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && value.length === 4 && value[0] === sort.by && value[1] === sort.order && typeof value[2] === "number" && typeof value[3] === "string") {
      return [value[2], value[3]];
    }
  } catch {
    // fall through to the error below
  }
  throw new ValidationError("cursor is not one this store returned for this sort", { details: { path: "cursor" } });
}
