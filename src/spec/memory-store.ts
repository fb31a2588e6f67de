import type { HistoryEntry, MemoryRecord, Scope, SearchFilter } from "./types.js";

/** A change to the durable record of memories. */
export type RecordChange =
  /**
   * `history`: the memory's changes as another store recorded them (copying between backends),
   * written as they are instead of a new ADD row.
   */
  | { op: "add"; record: MemoryRecord; history?: readonly HistoryEntry[] }
  /**
   * The full new version of an existing record (same id); the store keeps the previous text in
   * history. With `expectedUpdatedAt`, only if the stored record is still that version
   * (StaleRecordError otherwise, nothing written): a read-modify-write that another writer raced.
   */
  | { op: "update"; record: MemoryRecord; expectedUpdatedAt?: number }
  | { op: "delete"; id: string };

/** Work the search index still owes: replayed at start until completed. */
export interface IndexJob {
  seq: number;
  memoryId: string;
  op: "upsert" | "delete";
}

export interface AppliedChanges {
  jobs: IndexJob[];
  history: HistoryEntry[];
}

/**
 * Whose memory a by-id call may reach: every field given must match the memory's. A memory of
 * anyone else is treated as one that does not exist.
 */
export interface OwnerMatch {
  appId: string;
  projectId: string;
  /** With ownerId: the user or agent that owns the memory. */
  ownerType?: Scope["ownerType"];
  ownerId?: string;
  /** The agent the memory was made with (a user's memory may name one). */
  agentId?: string;
  runId?: string;
}

/** Fields a list can be sorted by (EverOS's sort_by): when it happened, was stored, was last changed. */
export type ListSortField = "timestamp" | "created_at" | "updated_at";

export interface ListSort {
  by: ListSortField;
  order: "asc" | "desc";
}

export interface ListOptions {
  scope: Scope;
  filter?: SearchFilter;
  limit: number;
  /** Opaque, from a previous page's `nextCursor` of a list with the same sort. */
  cursor?: string;
  /** Records to skip (page-number paging: (page - 1) * page size); default 0. */
  offset?: number;
  /** Default: created_at, newest first. Ties go by id in the same order. */
  sort?: ListSort;
}

export interface ListPage {
  records: MemoryRecord[];
  nextCursor?: string;
}

/**
 * The durable side of memory: the truth (markdown for the embedded store), the catalog, the
 * history and the outbox of index jobs. The search index is separate (SearchIndex).
 * Every implementation passes src/store/conformance.suite.ts.
 */
export interface MemoryStore {
  open(): Promise<void>;
  close(): Promise<void>;
  /**
   * Applies the changes in order: the truth first, then catalog, history and index jobs in one
   * transaction. Nothing is written when a change is invalid (unknown id, bad id).
   */
  apply(changes: readonly RecordChange[]): Promise<AppliedChanges>;
  get(id: string): Promise<MemoryRecord | undefined>;
  /** Records for the ids that exist, in the order given. */
  getMany(ids: readonly string[]): Promise<MemoryRecord[]>;
  /**
   * One page, sorted and skipped in the store itself (with an index per sort field): reading
   * a page reads that page, not every record of the owner.
   */
  list(options: ListOptions): Promise<ListPage>;
  /** Every record; one owner's; or one owner's that match `filter`. */
  count(scope?: Scope, filter?: SearchFilter): Promise<number>;
  /**
   * Every change of the memory, oldest first; with `owner`, only when the memory is (or, once
   * deleted, was) that owner's, else none, as for an id that never existed.
   */
  history(id: string, owner?: OwnerMatch): Promise<HistoryEntry[]>;
  pendingIndexJobs(limit: number): Promise<IndexJob[]>;
  completeIndexJobs(seqs: readonly number[]): Promise<void>;
  /** Every record, in batches, for rebuilding the search index. */
  scan(batchSize: number): AsyncIterable<MemoryRecord[]>;
  /** Rebuilds the catalog from the truth (markdown); pending index jobs are dropped. */
  rebuildCatalog(): Promise<{ records: number }>;
  /** Deletes every memory, its history and pending jobs. */
  reset(): Promise<void>;
  /** The owners with memories in one app and project, most recently active first, one page of them. */
  owners(appId: string, projectId: string, page: { limit: number; offset: number }): Promise<OwnersPage>;
}

/** One owner with memories, for browsing: how many, and when the latest happened (epoch ms). */
export interface OwnerSummary {
  ownerType: "user" | "agent";
  ownerId: string;
  memories: number;
  lastTimestamp: number;
}

export interface OwnersPage {
  owners: OwnerSummary[];
  /** Owners in the app and project before paging. */
  total: number;
}
