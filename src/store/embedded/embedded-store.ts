import { mkdirSync } from "node:fs";
import { open as openFile, readdir, rmdir } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
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
  OwnersPage,
  OwnerMatch,
  RecordChange,
} from "../../spec/memory-store.js";
import type { RecordFilter } from "../../spec/backend.js";
import type { HistoryEntry, MemoryRecord, Scope, SearchFilter } from "../../spec/types.js";
import { scopeKey } from "../../spec/scope.js";
import { whereClause } from "./sql-filter.js";
import { KeyedMutex } from "../../util/keyed-mutex.js";
import { RECORD_FILTER_COLUMNS, assertMemoryId, ownerKey, validateChange } from "../ids.js";
import { readFileIfExists, removeFileIfExists, writeFileAtomic } from "./atomic-file.js";
import { appendToLog } from "./log-append.js";
import { appendEntries, listEntryIds, logFilePath, parseLog, removeEntries, replaceEntry } from "./markdown-log.js";
import { RootLock } from "./root-lock.js";
import { WalCheckpointer } from "./wal-checkpointer.js";
import { OwedUpserts } from "./owed-upserts.js";
import { pendingIndexRecords } from "./pending-records.js";
import type { Logger } from "../../log.js";
import { type CatalogRow, StateDb, rowScope, rowToRecord } from "./state-db.js";

export interface EmbeddedStoreOptions {
  /** The data root: markdown folders per app, and `.index/` for SQLite and LanceDB. */
  root: string;
  /**
   * How often the markdown logs and the SQLite WAL written since the last sync are fsynced, in
   * ms (default 1000). Every acknowledged write survives the process being killed at once; this
   * bounds what a power loss can take. 0: fsync before every write is acknowledged (SQLite
   * synchronous=FULL and an fsync per markdown append).
   */
  syncIntervalMs?: number;
  /** Where the store warns about background work that fell back to a slower path. */
  logger?: Logger;
}

const DEFAULT_SYNC_INTERVAL_MS = 1000;

/** A planned edit of one markdown file, and what it does to the catalog afterwards. */
interface FileEdit {
  adds: MemoryRecord[];
  updates: MemoryRecord[];
  deletes: string[];
}

/**
 * The embedded MemoryStore: markdown daily logs are the truth, SQLite (WAL) holds the catalog,
 * history and outbox. Writes take the lock of every owner they touch, write the markdown files
 * atomically, then commit catalog + history + outbox in one transaction.
 */
export class EmbeddedStore implements MemoryStore {
  readonly root: string;
  readonly indexDirectory: string;
  private state: StateDb | undefined;
  private readonly lock: RootLock;
  private readonly ownerLocks = new KeyedMutex();
  /** Memories per scope, counted once and then kept up to date by apply(): search asks on every query. */
  private readonly scopeCounts = new Map<string, number>();
  private readonly syncIntervalMs: number;
  /** Markdown logs appended to since the last sync (absolute paths). */
  private unsynced = new Set<string>();
  private syncTimer: NodeJS.Timeout | undefined;
  private syncRunning: Promise<void> | undefined;
  /** WAL checkpoints off the main thread, from the first write on (until then SQLite's own). */
  private checkpointer: WalCheckpointer | undefined;
  /** The outbox's upsert jobs by owner, for search (see OwedUpserts). */
  private readonly owed = new OwedUpserts();
  private readonly logger: Logger | undefined;

  constructor(options: EmbeddedStoreOptions) {
    this.root = options.root;
    this.syncIntervalMs = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    this.logger = options.logger;
    this.indexDirectory = join(options.root, ".index");
    this.lock = new RootLock(join(this.indexDirectory, "lock"));
  }

  /** True when the SQLite state was created by this open (a new root, or `.index/` was deleted). */
  get stateWasCreated(): boolean {
    return this.requireState().createdNow;
  }

  /** SQLite state, for the other embedded parts (session buffer, parse cache) that share it. */
  get stateDb(): StateDb {
    return this.requireState();
  }

  async open(): Promise<void> {
    mkdirSync(this.indexDirectory, { recursive: true });
    this.lock.acquire();
    try {
      this.state = new StateDb(join(this.indexDirectory, "state.db"), { syncEveryCommit: this.syncIntervalMs === 0 });
    } catch (error) {
      this.lock.release();
      throw new InternalError(`cannot open ${join(this.indexDirectory, "state.db")}: ${(error as Error).message}`, { cause: error });
    }
    this.owed.clear();
    for (const job of this.state.owedUpserts()) {
      this.owed.add(job.seq, job.memory_id, ownerKey(rowScope(job)));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.syncTimer);
    this.syncTimer = undefined;
    await this.syncRunning;
    await this.sync().catch(() => undefined);
    await this.checkpointer?.close();
    this.checkpointer = undefined;
    this.state?.close();
    this.state = undefined;
    this.lock.release();
  }

  async apply(changes: readonly RecordChange[]): Promise<AppliedChanges> {
    const state = this.requireState();
    if (changes.length === 0) return { jobs: [], history: [] };
    for (const change of changes) validateChange(change);
    const owners = new Set<string>();
    for (const change of changes) {
      owners.add(ownerKey(change.op === "delete" ? rowScope(this.existing(change.id)) : change.record.scope));
    }
    return this.ownerLocks.runAll(owners, async () => {
      // Re-read under the lock: another writer may have changed these rows while we waited.
      const edits = new Map<string, FileEdit>();
      const editOf = (file: string) => {
        let edit = edits.get(file);
        if (edit === undefined) edits.set(file, (edit = { adds: [], updates: [], deletes: [] }));
        return edit;
      };
      const previous = new Map<string, CatalogRow>();
      for (const change of changes) {
        if (change.op === "add") {
          if (state.getRow(change.record.id) !== undefined) {
            throw new InternalError(`memory id ${change.record.id} already exists`);
          }
          editOf(logFilePath(change.record.scope, change.record.kind, change.record.timestamp)).adds.push(change.record);
          continue;
        }
        const id = change.op === "delete" ? change.id : change.record.id;
        const row = previous.get(id) ?? state.getRow(id);
        if (row === undefined) throw new NotFoundError(`memory ${id} not found`, { details: { id } });
        if (change.op === "update" && (ownerKey(change.record.scope) !== ownerKey(rowScope(row)) || change.record.kind !== row.kind)) {
          throw new ValidationError(`memory ${id} cannot move to another owner or kind`, { details: { id } });
        }
        if (change.op === "update" && change.expectedUpdatedAt !== undefined && row.updated_at !== change.expectedUpdatedAt) {
          throw new StaleRecordError(`memory ${id} changed since it was read`, { details: { id } });
        }
        previous.set(id, row);
        if (change.op === "delete") editOf(row.file).deletes.push(id);
        else editOf(row.file).updates.push(change.record);
      }

      const sizes = new Map<string, number | undefined>();
      for (const [file, edit] of edits) sizes.set(file, await this.editFile(file, edit, state.logFileSize(file)));

      const now = new Date().toISOString();
      const deltas: [Scope, number][] = [];
      // The rows written for adds and updates, as the catalog now holds them (see OwedUpserts).
      const written = new Map<string, CatalogRow>();
      const applied = state.transaction(() => {
        const jobs: IndexJob[] = [];
        const history: HistoryEntry[] = [];
        for (const [file, size] of sizes) state.setLogFileSize(file, size);
        const record = (entry: Omit<HistoryEntry, "id"> & { id?: string }, of: Pick<MemoryRecord, "scope" | "agentId" | "runId">) => {
          const full = { id: randomUUID(), ...entry };
          state.addHistory(full, of);
          history.push(full);
        };
        for (const change of changes) {
          if (change.op === "add") {
            written.set(change.record.id, state.putCatalog(change.record, logFilePath(change.record.scope, change.record.kind, change.record.timestamp)));
            deltas.push([change.record.scope, 1]);
            if (change.history === undefined) {
              record({ memory_id: change.record.id, previous_value: null, new_value: change.record.text, action: "ADD", created_at: now, updated_at: null, is_deleted: 0 }, change.record);
            } else {
              for (const entry of change.history) record({ ...entry, memory_id: change.record.id }, change.record);
            }
            jobs.push(state.enqueueJob(change.record.id, "upsert"));
          } else if (change.op === "update") {
            const before = previous.get(change.record.id)!;
            written.set(change.record.id, { ...state.putCatalog(change.record, before.file), created_at: before.created_at });
            record({ memory_id: change.record.id, previous_value: before.text, new_value: change.record.text, action: "UPDATE", created_at: new Date(before.created_at).toISOString(), updated_at: now, is_deleted: 0 }, change.record);
            jobs.push(state.enqueueJob(change.record.id, "upsert"));
          } else {
            const before = previous.get(change.id)!;
            state.deleteCatalog(change.id);
            deltas.push([rowScope(before), -1]);
            record({ memory_id: change.id, previous_value: before.text, new_value: null, action: "DELETE", created_at: new Date(before.created_at).toISOString(), updated_at: now, is_deleted: 1 }, rowToRecord(before));
            jobs.push(state.enqueueJob(change.id, "delete"));
          }
        }
        return { jobs, history };
      });
      // The first write starts the checkpoint worker: a process that only reads (a CLI search,
      // `doctor`) never pays for a thread it would only start and stop (about 20 ms).
      this.checkpointer ??= WalCheckpointer.start(state.db, state.path, this.logger);
      // Only once committed: a rolled-back transaction must not move the counts or owe anything.
      for (const [scope, delta] of deltas) this.adjustCount(scope, delta);
      // One job per change, in order; search needs the upserts of records that exist.
      changes.forEach((change, i) => {
        if (change.op === "delete") this.owed.deleted(change.id);
        else this.owed.add(applied.jobs[i]!.seq, change.record.id, ownerKey(change.record.scope), written.get(change.record.id));
      });
      return applied;
    });
  }

  async get(id: string): Promise<MemoryRecord | undefined> {
    assertMemoryId(id);
    const row = this.requireState().getRow(id);
    return row === undefined ? undefined : rowToRecord(row);
  }

  async getMany(ids: readonly string[]): Promise<MemoryRecord[]> {
    const state = this.requireState();
    const records: MemoryRecord[] = [];
    for (const id of ids) {
      const row = state.getRow(id);
      if (row !== undefined) records.push(rowToRecord(row));
    }
    return records;
  }

  async list(options: ListOptions): Promise<ListPage> {
    const { sql, params } = listQuery(options);
    const rows = this.requireState().db.prepare(sql).all(...params) as CatalogRow[];
    const page = rows.slice(0, options.limit);
    const last = page[page.length - 1];
    const records = page.map(rowToRecord);
    return rows.length > options.limit && last !== undefined
      ? { records, nextCursor: encodeCursor(options.sort ?? DEFAULT_SORT, last) }
      : { records };
  }

  async owners(appId: string, projectId: string, page: { limit: number; offset: number }): Promise<OwnersPage> {
    const state = this.requireState();
    // Grouped on the owner index's leading columns: no row is read past the app and project.
    const rows = state
      .statement(
        `SELECT owner_type, owner_id, count(*) AS n, max(ts) AS last_ts FROM catalog WHERE app_id = ? AND project_id = ?
         GROUP BY owner_type, owner_id ORDER BY last_ts DESC, owner_type, owner_id LIMIT ? OFFSET ?`,
      )
      .all(appId, projectId, page.limit, page.offset) as { owner_type: "user" | "agent"; owner_id: string; n: number; last_ts: number }[];
    const total = (
      state.statement("SELECT count(*) AS n FROM (SELECT 1 FROM catalog WHERE app_id = ? AND project_id = ? GROUP BY owner_type, owner_id)").get(appId, projectId) as {
        n: number;
      }
    ).n;
    return { owners: rows.map((row) => ({ ownerType: row.owner_type, ownerId: row.owner_id, memories: row.n, lastTimestamp: row.last_ts })), total };
  }

  async count(scope?: Scope, filter?: SearchFilter): Promise<number> {
    const state = this.requireState();
    if (scope === undefined) return (state.statement("SELECT count(*) AS n FROM catalog").get() as { n: number }).n;
    if (filter !== undefined) {
      return (state.db.prepare(`SELECT count(*) AS n FROM catalog WHERE ${whereClause(scope, filter, "sqlite")}`).get() as { n: number }).n;
    }
    const key = scopeKey(scope);
    let count = this.scopeCounts.get(key);
    if (count === undefined) {
      const row = state
        .statement("SELECT count(*) AS n FROM catalog WHERE app_id = ? AND project_id = ? AND owner_type = ? AND owner_id = ?")
        .get(scope.appId, scope.projectId, scope.ownerType, scope.ownerId) as { n: number };
      count = row.n;
      this.scopeCounts.set(key, count);
    }
    return count;
  }

  async history(id: string, owner?: OwnerMatch): Promise<HistoryEntry[]> {
    assertMemoryId(id);
    return this.requireState().history(id, owner);
  }

  /** This owner's records whose index upsert is owed, matching the scope and filter, newest first. */
  owedRecords(scope: Scope, filter: SearchFilter | undefined, limit: number): MemoryRecord[] {
    const state = this.requireState();
    // Unfiltered, the records held in memory answer; a filter is SQL's to evaluate.
    const held = filter === undefined || Object.keys(filter).length === 0 ? this.owed.recordsOf(ownerKey(scope)) : undefined;
    if (held === undefined) return pendingIndexRecords(state, this.owed.idsOf(ownerKey(scope)), scope, filter, limit);
    return held.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit);
  }

  async pendingIndexJobs(limit: number): Promise<IndexJob[]> {
    return this.requireState().pendingJobs(limit);
  }

  async completeIndexJobs(seqs: readonly number[]): Promise<void> {
    this.requireState().completeJobs(seqs);
    this.owed.complete(seqs);
  }

  async *scan(batchSize: number): AsyncIterable<MemoryRecord[]> {
    const state = this.requireState();
    const page = state.statement("SELECT rowid AS rid, * FROM catalog WHERE rowid > ? ORDER BY rowid LIMIT ?");
    let after = 0;
    for (;;) {
      const rows = page.all(after, batchSize) as (CatalogRow & { rid: number })[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.rid;
      yield rows.map(rowToRecord);
    }
  }

  /**
   * Every catalog record that matches `filter`, oldest first (created_at, then id), read in
   * pages so a large catalog is never held in memory at once. Read-only; `omnimem export`
   * streams it, and the stable order makes two exports of the same data diff cleanly.
   */
  async *recordsInCreationOrder(filter: RecordFilter = {}, batchSize = 500): AsyncIterable<MemoryRecord> {
    const state = this.requireState();
    const where: string[] = [];
    const params: (number | string)[] = [];
    for (const [key, column] of RECORD_FILTER_COLUMNS) {
      const value = filter[key];
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const after = "(created_at > ? OR (created_at = ? AND id > ?))";
    const page = state.statement(
      `SELECT * FROM catalog WHERE ${[...where, after].join(" AND ")} ORDER BY created_at, id LIMIT ?`,
    );
    let lastCreatedAt = -Infinity;
    let lastId = "";
    for (;;) {
      const rows = page.all(...params, lastCreatedAt, lastCreatedAt, lastId, batchSize) as CatalogRow[];
      for (const row of rows) yield rowToRecord(row);
      if (rows.length < batchSize) return;
      const last = rows[rows.length - 1]!;
      lastCreatedAt = last.created_at;
      lastId = last.id;
    }
  }

  async rebuildCatalog(): Promise<{ records: number }> {
    const state = this.requireState();
    const files = await this.logFiles();
    const parsed: { file: string; records: MemoryRecord[] }[] = [];
    for (const file of files) {
      const content = await readFileIfExists(join(this.root, file));
      if (content === undefined) continue;
      parsed.push({ file, records: parseLog(content, file).entries });
    }
    this.scopeCounts.clear();
    const rebuilt = state.transaction(() => {
      state.db.exec("DELETE FROM catalog; DELETE FROM outbox; DELETE FROM log_files;");
      let records = 0;
      for (const { file, records: entries } of parsed) {
        for (const record of entries) {
          state.putCatalog(record, file);
          records++;
        }
      }
      return { records };
    });
    // The outbox is empty now (once committed: a failed rebuild leaves it as it was).
    this.owed.clear();
    return rebuilt;
  }

  async reset(): Promise<void> {
    const state = this.requireState();
    // Only files that are our own daily logs are removed, never anything else under the root.
    for (const file of await this.logFiles()) {
      await removeFileIfExists(join(this.root, file));
      await this.removeEmptyParents(dirname(join(this.root, file)));
    }
    state.db.exec("DELETE FROM catalog; DELETE FROM history; DELETE FROM outbox; DELETE FROM session_buffer; DELETE FROM session_status; DELETE FROM processed_messages; DELETE FROM log_files;");
    this.owed.clear();
    this.scopeCounts.clear();
  }

  /** Relative paths of every markdown log under the root: `<app>/<project>/<users|agents>/<owner>/<episodes|facts>/<date>.md`. */
  async logFiles(): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (depth < 5 && entry.isDirectory() && !entry.name.startsWith(".")) {
          if (depth === 2 && entry.name !== "users" && entry.name !== "agents") continue;
          if (depth === 4 && entry.name !== "episodes" && entry.name !== "facts") continue;
          await walk(path, depth + 1);
        } else if (depth === 5 && entry.isFile() && /^\d{4}-\d{2}-\d{2}\.md$/.test(entry.name)) {
          found.push(relative(this.root, path).split(sep).join("/"));
        }
      }
    };
    await walk(this.root, 0);
    return found.sort();
  }

  /**
   * Applies one file's edit and returns the file's new size (undefined: removed). Adds alone to a
   * file the catalog knows the size of are appended (log-append.ts); anything else reads the
   * file, edits it and replaces it atomically.
   */
  private async editFile(file: string, edit: FileEdit, recordedSize: number | undefined): Promise<number | undefined> {
    const path = join(this.root, file);
    if (edit.updates.length === 0 && edit.deletes.length === 0) {
      const size = appendToLog(path, recordedSize, edit.adds);
      if (size !== undefined) {
        await this.synced(path);
        return size;
      }
    }
    let content = await readFileIfExists(path);
    if (edit.adds.length > 0) {
      // An add whose entry is already in the file has no catalog row (apply() checked): it is the
      // leftover of a write interrupted between the markdown and the catalog, and the retry (ids
      // of idempotent adds are derived, not random) names the same entry. Replace it; the catalog
      // catches up below.
      const inFile = new Set(content === undefined ? [] : listEntryIds(content, file));
      for (const record of edit.adds) if (inFile.has(record.id)) content = replaceEntry(content!, record, file);
      const fresh = edit.adds.filter((record) => !inFile.has(record.id));
      if (fresh.length > 0) {
        const first = fresh[0]!;
        content = appendEntries(content, first.scope, first.kind, new Date(first.timestamp).toISOString().slice(0, 10), fresh);
      }
    }
    if (content === undefined) throw new InternalError(`markdown log ${file} is missing; run reindex to rebuild the catalog`);
    for (const record of edit.updates) content = replaceEntry(content, record);
    if (edit.deletes.length > 0) {
      const result = removeEntries(content, edit.deletes);
      if (result.remaining === 0) {
        await removeFileIfExists(path);
        await this.removeEmptyParents(dirname(path));
        this.unsynced.delete(path);
        return undefined;
      }
      content = result.content;
    }
    await writeFileAtomic(path, content);
    // Fsynced and renamed by writeFileAtomic: nothing of this file is left to sync.
    this.unsynced.delete(path);
    return Buffer.byteLength(content, "utf8");
  }

  /** After an append: fsynced now when every write must survive power loss, else by the periodic sync. */
  private async synced(path: string): Promise<void> {
    if (this.syncIntervalMs === 0) {
      await fsyncPath(path);
      return;
    }
    this.unsynced.add(path);
    this.syncTimer ??= setInterval(() => {
      // A failed sync keeps its files for the next one; the writes themselves have succeeded.
      this.syncRunning ??= this.sync().catch(() => undefined).finally(() => {
        this.syncRunning = undefined;
      });
    }, this.syncIntervalMs).unref();
  }

  /**
   * Fsyncs the markdown logs appended to since the last sync and SQLite's WAL (commits under
   * synchronous=NORMAL are in the WAL but not yet on disk), so a power loss takes at most the
   * writes of the last interval. The catalog may then name entries whose markdown was lost, or
   * the other way round; `omnimem reindex` rebuilds the catalog from the markdown.
   */
  async sync(): Promise<void> {
    const paths = this.unsynced;
    this.unsynced = new Set();
    try {
      for (const path of paths) await fsyncPath(path);
      if (this.state !== undefined) await fsyncPath(`${this.state.path}-wal`);
    } catch (error) {
      for (const path of paths) this.unsynced.add(path);
      throw error;
    }
  }

  private async removeEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.root) && current !== this.root) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = dirname(current);
    }
  }

  private adjustCount(scope: Scope, delta: number): void {
    const key = scopeKey(scope);
    const count = this.scopeCounts.get(key);
    if (count !== undefined) this.scopeCounts.set(key, count + delta);
  }

  private existing(id: string): CatalogRow {
    const row = this.requireState().getRow(id);
    if (row === undefined) throw new NotFoundError(`memory ${id} not found`, { details: { id } });
    return row;
  }

  private requireState(): StateDb {
    if (this.state === undefined) throw new InternalError("the store is not open");
    return this.state;
  }
}

/** Fsyncs a file; a file that is gone (removed since, or a WAL checkpointed away) needs none. */
async function fsyncPath(path: string): Promise<void> {
  let handle;
  try {
    handle = await openFile(path, "r");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const DEFAULT_SORT: ListSort = { by: "created_at", order: "desc" };
/** Catalog columns per sort field; each has an index after the owner columns (state-db.ts). */
const SORT_COLUMNS: Record<ListSortField, "ts" | "created_at" | "updated_at"> = { timestamp: "ts", created_at: "created_at", updated_at: "updated_at" };

/**
 * The SQL of one page: the owner's index walked in the sort's order from the cursor, `offset`
 * rows skipped, `limit + 1` read (the extra one tells whether a next page exists).
 */
export function listQuery(options: ListOptions): { sql: string; params: (number | string)[] } {
  const sort = options.sort ?? DEFAULT_SORT;
  const column = SORT_COLUMNS[sort.by];
  const direction = sort.order === "asc" ? "ASC" : "DESC";
  const where = [whereClause(options.scope, options.filter, "sqlite")];
  const params: (number | string)[] = [];
  if (options.cursor !== undefined) {
    const [value, id] = decodeCursor(options.cursor, sort);
    const after = sort.order === "asc" ? ">" : "<";
    where.push(`(${column} ${after} ? OR (${column} = ? AND id ${after} ?))`);
    params.push(value, value, id);
  }
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new ValidationError("offset must be a non-negative integer", { details: { path: "offset" } });
  params.push(options.limit + 1, offset);
  return { sql: `SELECT * FROM catalog WHERE ${where.join(" AND ")} ORDER BY ${column} ${direction}, id ${direction} LIMIT ? OFFSET ?`, params };
}

/** A cursor names the sort it belongs to, so it cannot be replayed against another order. */
function encodeCursor(sort: ListSort, row: CatalogRow): string {
  return Buffer.from(JSON.stringify([sort.by, sort.order, row[SORT_COLUMNS[sort.by]], row.id])).toString("base64url");
}

function decodeCursor(cursor: string, sort: ListSort): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value)) {
      // Cursors from before sorting was an option: [created_at, id], newest first.
      if (value.length === 2 && typeof value[0] === "number" && typeof value[1] === "string" && sort.by === "created_at" && sort.order === "desc") {
        return [value[0], value[1]];
      }
      if (value.length === 4 && value[0] === sort.by && value[1] === sort.order && typeof value[2] === "number" && typeof value[3] === "string") {
        return [value[2], value[3]];
      }
    }
  } catch {
    // fall through to the error below
  }
  throw new ValidationError("cursor is not one this store returned for this sort", { details: { path: "cursor" } });
}
