import { whereClause } from "./sql-filter.js";
import type { MemoryRecord, Scope, SearchFilter } from "../../spec/types.js";
import { type CatalogRow, type StateDb, rowToRecord } from "./state-db.js";

/**
 * The current records among `owedIds` (one owner's memories whose index upsert is still owed,
 * see OwedUpserts) that match the scope and `filter`, newest first. Search merges them in so a
 * memory is found from the moment it is durable, whether or not the index has it yet.
 */
export function pendingIndexRecords(state: StateDb, owedIds: readonly string[], scope: Scope, filter: SearchFilter | undefined, limit: number): MemoryRecord[] {
  if (owedIds.length === 0) return [];
  // The ids go in as one JSON parameter and each is looked up by primary key: CROSS JOIN makes
  // SQLite loop over the ids, not over the owner's index (which it prefers for the ORDER BY, and
  // which walks every row of a big owner: 20 ms at 100k). The clause carries the scope's and
  // filter's values, so there is one text per owner and filter: kept in a bounded cache.
  const rows = state
    .recentStatement(
      `SELECT catalog.* FROM (SELECT value AS owed_id FROM json_each(?)) AS owed
       CROSS JOIN catalog ON catalog.id = owed.owed_id
       WHERE ${whereClause(scope, filter, "sqlite")}
       ORDER BY catalog.created_at DESC, catalog.id DESC LIMIT ?`,
    )
    .all(JSON.stringify(owedIds), limit) as CatalogRow[];
  return rows.map(rowToRecord);
}
