import type { MemoryRecord } from "../../spec/types.js";
import { type CatalogRow, rowToRecord } from "./state-db.js";

/** Owed records held in memory at most: past it, searches read the rest from SQLite. */
const MAX_HELD_RECORDS = 10_000;

/**
 * Which memories of each owner the search index still owes an upsert: an in-process copy of the
 * outbox's upsert jobs, by owner, so that a search finds its owner's owed memories by id.
 *
 * Search asks on every keyword and vector query. Asked of SQLite, "this owner's catalog rows
 * whose id is in the outbox" walked every catalog row of the owner (the owner index, newest
 * first, checking each against the outbox): a few rows for a small owner, every row of a
 * 100k-memory owner on each query while anything at all was owed. With the group-commit window
 * something nearly always is. Only one process writes a root (the root lock), so this copy,
 * loaded from the outbox at open and kept with every change to it, is exact.
 *
 * It also holds the catalog rows this process wrote for owed memories, made into records the
 * first time a search asks (a bulk import that nobody searches converts none): an unfiltered
 * search then takes its owner's owed records from here rather than from a SQLite query per
 * keyword and per vector list (0.17 ms each under 50 clients, 5% of the server's time). Owed
 * ids from before the open have no row here; their owner's searches read SQLite until the
 * index has taken them.
 */
export class OwedUpserts {
  /** owner key -> memory id -> upsert jobs owed for it (an id may be written twice before the index catches up). */
  private readonly byOwner = new Map<string, Map<string, number>>();
  /** The memory and owner of each owed upsert job, by job sequence number. */
  private readonly jobs = new Map<number, { memoryId: string; owner: string }>();
  /** The current catalog row of an owed memory and its record once made (null: deleted since); absent: not known in memory. */
  private readonly records = new Map<string, { row: CatalogRow; record?: MemoryRecord } | null>();

  /** An upsert job the store committed for a memory of `owner` (its owner key), with the row it wrote when it has it. */
  add(seq: number, memoryId: string, owner: string, row?: CatalogRow): void {
    this.jobs.set(seq, { memoryId, owner });
    let ids = this.byOwner.get(owner);
    if (ids === undefined) this.byOwner.set(owner, (ids = new Map()));
    ids.set(memoryId, (ids.get(memoryId) ?? 0) + 1);
    if (row !== undefined && (this.records.has(memoryId) || this.records.size < MAX_HELD_RECORDS)) this.records.set(memoryId, { row });
    else this.records.delete(memoryId);
  }

  /** A memory was deleted: if an upsert is still owed for it, search must no longer see it. */
  deleted(memoryId: string): void {
    if (this.records.has(memoryId)) this.records.set(memoryId, null);
  }

  /** Jobs the index has taken (delete jobs, never added here, are passed over). */
  complete(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const job = this.jobs.get(seq);
      if (job === undefined) continue;
      this.jobs.delete(seq);
      const ids = this.byOwner.get(job.owner)!;
      const left = ids.get(job.memoryId)! - 1;
      if (left > 0) ids.set(job.memoryId, left);
      else {
        ids.delete(job.memoryId);
        this.records.delete(job.memoryId);
      }
      if (ids.size === 0) this.byOwner.delete(job.owner);
    }
  }

  /** The outbox was emptied (reindex, reset). */
  clear(): void {
    this.byOwner.clear();
    this.jobs.clear();
    this.records.clear();
  }

  /** The ids of `owner`'s memories with an upsert owed. */
  idsOf(owner: string): string[] {
    const ids = this.byOwner.get(owner);
    return ids === undefined ? [] : [...ids.keys()];
  }

  /**
   * `owner`'s owed records that still exist, from memory, in no particular order; undefined when
   * some owed id's record is not held (owed from before the open, or past MAX_HELD_RECORDS).
   */
  recordsOf(owner: string): MemoryRecord[] | undefined {
    const ids = this.byOwner.get(owner);
    if (ids === undefined) return [];
    const found: MemoryRecord[] = [];
    for (const id of ids.keys()) {
      const held = this.records.get(id);
      if (held === undefined) return undefined;
      if (held !== null) found.push((held.record ??= rowToRecord(held.row)));
    }
    return found;
  }
}
