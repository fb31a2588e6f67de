import { whereClause } from "./sql-filter.js";
import type { MemoryRecord, Scope, SearchFilter } from "../../spec/types.js";
import { type CatalogRow, type StateDb, rowToRecord } from "./state-db.js";

/**
 * The current records of one owner whose index upsert is still owed (an outbox job not yet
 * acknowledged by the search index), matching `filter`, newest first. Search merges them in so
 * a memory is found from the moment it is durable, whether or not the index has it yet.
 */
export function pendingIndexRecords(state: StateDb, scope: Scope, filter: SearchFilter | undefined, limit: number): MemoryRecord[] {
  // The common case, checked with one cached statement: the index owes nothing.
  if (state.statement("SELECT 1 FROM outbox WHERE op = 'upsert' LIMIT 1").get() === undefined) return [];
  // Not cached: the clause carries the scope's and filter's values, so each text is new.
  const rows = state.db
    .prepare(
      `SELECT * FROM catalog
       WHERE id IN (SELECT memory_id FROM outbox WHERE op = 'upsert') AND ${whereClause(scope, filter, "sqlite")}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
    )
    .all(limit) as CatalogRow[];
  return rows.map(rowToRecord);
}
