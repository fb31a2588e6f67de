import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import "./lance-log-level.js";
import * as lancedb from "@lancedb/lancedb";
import { Index, MatchQuery } from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Float64, List, Schema, Utf8 } from "apache-arrow";
import { IndexMismatchError, InternalError } from "../../spec/errors.js";
import type { EmbeddingIdentity, IndexDocument, IndexHit, IndexQuery, SearchIndex } from "../../spec/search-index.js";
import type { MemoryRecord, SearchFilter } from "../../spec/types.js";
import { scopeKey } from "../../spec/scope.js";
import { compileFilter, metadataPairs, sqlString, whereClause } from "./sql-filter.js";
import { searchTerms } from "../../text/bm25.js";
import { CorpusStats } from "./corpus-stats.js";
import { ScopeTerms, type ScopeTextRow } from "./scope-terms.js";
import { ScopeVectors, type ScopeVectorRow } from "./scope-vectors.js";
import { whileMaintaining } from "./malloc-threshold.js";
import { type RecordColumns, recordColumns } from "./record-columns.js";
import { IDENTITY_FILE } from "./index-identity.js";
import { rowsToTable } from "./arrow-rows.js";
import { isVerbatimTurn, type PreviousTurn, SEARCH_TEXT_SQL, searchText, withContext } from "./search-text.js";

const TABLE = "memories";
/** Bumped when the table's columns change: an index of another layout must be rebuilt. */
const LAYOUT = 4;
/** Layout 3 lacks `search_text`; it is added in place on open (no reindex, no re-embedding). */
const MIGRATABLE_LAYOUT = 3;
/** Sessions whose latest turn is remembered in memory (see `lastTurns`). */
const LAST_TURNS_KEPT = 10_000;
/**
 * A due maintenance waits until this many times the last one's duration has passed since it
 * ended, so that maintenance takes at most a third of the time while writes stream in. Its cost
 * grows with the table: LanceDB's compaction rewrites every fragment under a million rows (the
 * Node API has no compaction options), 0.2 s at 12k rows of 256 dimensions, 1.1 s at 82k in a
 * probe, and a bulk import that makes it due every second kept one running back to back beside
 * the writes. Between writes (a server's usual day) it changes nothing: the wait has passed.
 */
const MAINTENANCE_SPACING = 2;
/** The column the full-text index reads: sender, text and the previous turn (see search-text.ts). */
const FTS_COLUMN = "search_text";

export interface LanceIndexOptions {
  /** The folder of the LanceDB database, `<root>/.index/lance`. */
  directory: string;
  /** Past this many rows an HNSW vector index is built; below it a flat scan is exact and fast enough. */
  annMinRows?: number;
  /**
   * A query whose scope holds fewer memories than this scans them exactly even when the ANN
   * index exists: a small owner is cheap to scan, and a graph search under a very selective
   * filter loses recall.
   */
  annMinScopeRows?: number;
  /**
   * Rows written since the last maintenance that trigger a background `maintain()` once the
   * table is big; a small table is maintained after a quarter of its size (an eighth of this at
   * least), see rowsDue.
   */
  maintainEveryRows?: number;
  /**
   * Writes since the last maintenance that trigger one: every write is a new LanceDB fragment,
   * and many small fragments slow every query down, long before the row count says so.
   */
  maintainEveryWrites?: number;
  /** A due maintenance waits this many times the last one's duration after it (MAINTENANCE_SPACING). */
  maintenanceSpacing?: number;
  /** HNSW search breadth: higher finds more of the true neighbours, slower. */
  ef?: number;
  /**
   * Memory for owners' vectors held for exact scans in JavaScript (ScopeVectors): any owner that
   * fits in half of it, least recently searched evicted first. 0 sends every vector query to
   * LanceDB.
   */
  vectorCacheBytes?: number;
  /**
   * Memory for owners' full-text columns held as postings for BM25 in JavaScript (ScopeTerms),
   * on the same terms as vectorCacheBytes. 0 sends every keyword query to LanceDB.
   */
  textCacheBytes?: number;
  /** Called with errors of background maintenance, which must not crash the process. */
  onBackgroundError?: (error: unknown) => void;
}

interface IndexRow extends RecordColumns {
  [column: string]: unknown;
  scope_key: string;
  search_text: string;
  meta_kv: string[];
  vector: Float32Array;
}

/**
 * The search index of the embedded store: one LanceDB table with the text (BM25 full-text
 * index), the vector (flat scan, HNSW-SQ past `annMinRows`) and the columns filters use.
 * It is derived data: `reset` + re-insert from the catalog rebuilds it.
 */
export class LanceIndex implements SearchIndex {
  private readonly options: Required<Omit<LanceIndexOptions, "onBackgroundError">> &
    Pick<LanceIndexOptions, "onBackgroundError">;
  private connection: lancedb.Connection | undefined;
  private table: lancedb.Table | undefined;
  private identity: EmbeddingIdentity | undefined;
  /** The table's Arrow schema (the layout's columns at the identity's dimension). */
  private schema: Schema | undefined;
  private hasFullTextIndex = false;
  private hasVectorIndex = false;
  /** Rows the ANN index was last trained on; it is retrained when the table has doubled since. */
  private annTrainedRows = 0;
  /**
   * Rows per owner (scope_key): counted from the table the first time maintenance asks, then
   * kept by inserts (updates add no rows; deletes are not subtracted, so it can only overstate).
   */
  private scopeRows: Map<string, number> | undefined;
  /** Writes go through one chain: concurrent merge-inserts and deletes of the same rows would conflict. */
  private writeChain: Promise<unknown> = Promise.resolve();
  private rowsSinceMaintenance = 0;
  /** The table's rows when maintenance last counted them. */
  private rowsAtMaintenance = 0;
  private writesSinceMaintenance = 0;
  private maintenanceRunning: Promise<void> | undefined;
  /** Set when a maintenance built the ANN graph and left compaction to the next one, which is then due whatever was written. */
  private compactionOwed = false;
  /** A due maintenance put off until MAINTENANCE_SPACING allows it (see maintainIfDue). */
  private deferredMaintenance: NodeJS.Timeout | undefined;
  /** When the last maintenance ended and how long it took. */
  private lastMaintenance = { endedAt: 0, tookMs: 0 };
  /**
   * The latest verbatim turn written per session (scope and session id), so that a session's
   * next add finds its previous turn without a table query. Only this process writes the root.
   */
  private readonly lastTurns = new Map<string, PreviousTurn & { ts: number }>();
  private scopeVectors: ScopeVectors | undefined;
  private scopeTerms: ScopeTerms;
  /** The whole table's BM25 statistics, once counted (countCorpus); writes keep them. */
  private corpus: CorpusStats | undefined;
  /** Statistics being counted: writes meanwhile go here too. */
  private corpusCounting: { table: lancedb.Table; stats: CorpusStats; done: Promise<void> } | undefined;

  constructor(options: LanceIndexOptions) {
    this.options = {
      annMinRows: 50_000,
      annMinScopeRows: 5_000,
      maintainEveryRows: 2_000,
      maintainEveryWrites: 100,
      maintenanceSpacing: MAINTENANCE_SPACING,
      ef: 100,
      vectorCacheBytes: 32 * 1024 * 1024,
      textCacheBytes: 32 * 1024 * 1024,
      ...options,
    };
    this.scopeTerms = new ScopeTerms(this.options.textCacheBytes);
  }

  async open(identity: EmbeddingIdentity): Promise<void> {
    await mkdir(this.options.directory, { recursive: true });
    this.connection = await lancedb.connect(this.options.directory);
    const tables = await this.connection.tableNames();
    if (!tables.includes(TABLE)) {
      await this.createTable(identity);
      return;
    }
    let recorded = await this.readIdentity();
    if (recorded?.layout === MIGRATABLE_LAYOUT) recorded = await this.migrateFromLayout3(recorded);
    if (recorded?.layout !== LAYOUT) {
      throw new IndexMismatchError(
        "the search index was built by another version of omnimem; run `omnimem reindex` (or memory.reindex()) to rebuild it",
        { details: { layout: recorded?.layout, expected: LAYOUT } },
      );
    }
    if (recorded.model !== identity.model || recorded.dimensions !== identity.dimensions) {
      throw new IndexMismatchError(
        `the search index was built with embedding model ${describe(recorded)} but the configured embedder is ` +
          `${describe(identity)}; run \`omnimem reindex\` (or memory.reindex()) to rebuild the index with the configured embedder`,
        { details: { indexed: recorded, configured: identity } },
      );
    }
    this.setIdentity(identity);
    this.table = await this.connection.openTable(TABLE);
    await this.refreshIndexState();
  }

  private setIdentity(identity: EmbeddingIdentity): void {
    this.identity = identity;
    this.schema = schemaFor(identity.dimensions);
    this.scopeVectors = new ScopeVectors(identity.dimensions, this.options.vectorCacheBytes);
  }

  async close(): Promise<void> {
    await this.idle();
    this.table?.close();
    this.connection?.close();
    this.table = undefined;
    this.connection = undefined;
  }

  insert(documents: readonly IndexDocument[]): Promise<void> {
    if (documents.length === 0) return Promise.resolve();
    return this.write(async (table) => {
      const rows = await this.toRows(table, documents);
      await table.add(rowsToTable(rows, this.schema!));
      this.mirror(rows, "new");
      if (this.scopeRows !== undefined) {
        for (const { record } of documents) {
          const key = scopeKey(record.scope);
          this.scopeRows.set(key, (this.scopeRows.get(key) ?? 0) + 1);
        }
      }
      await this.afterWrite(table, documents.length);
    });
  }

  upsert(documents: readonly IndexDocument[]): Promise<void> {
    if (documents.length === 0) return Promise.resolve();
    return this.write(async (table) => {
      const rows = await this.toRows(table, documents);
      await table.mergeInsert("id").whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rowsToTable(rows, this.schema!));
      this.mirror(rows, "new or replacing");
      await this.afterWrite(table, documents.length);
    });
  }

  remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.write(async (table) => {
      for (let start = 0; start < ids.length; start += 500) {
        const chunk = ids.slice(start, start + 500);
        await table.delete(`id IN (${chunk.map(sqlString).join(", ")})`);
        this.scopeVectors?.removed(chunk);
        const stats = this.liveCorpus();
        for (const id of chunk) {
          const terms = this.scopeTerms.heldTerms(id);
          if (terms !== undefined) stats?.remove(terms);
        }
        this.scopeTerms.removed(chunk);
      }
      this.countWrite(0);
    });
  }

  /** What the owners held in memory (ScopeVectors, ScopeTerms) and the corpus statistics learn of a write the table took. */
  private mirror(rows: readonly IndexRow[], kind: "new" | "new or replacing"): void {
    this.scopeVectors?.upserted(rows.map(vectorRow));
    const stats = this.liveCorpus();
    // Terms are only made once something counts them (a keyword query or a maintenance asked).
    if (stats === undefined) return;
    const texts = rows.map((row): ScopeTextRow => ({ id: row.id, scopeKey: row.scope_key, terms: searchTerms(row.search_text) }));
    for (const text of texts) {
      const replaced = kind === "new" ? undefined : this.scopeTerms.heldTerms(text.id, text.scopeKey);
      if (replaced !== undefined) stats.remove(replaced);
      stats.add(text.terms);
    }
    this.scopeTerms.upserted(texts);
  }

  /** The corpus statistics writes must keep: counted, or being counted. */
  private liveCorpus(): CorpusStats | undefined {
    return this.corpus ?? this.corpusCounting?.stats;
  }

  /**
   * Counts the whole table's BM25 statistics (once per process: writes keep them after), by
   * reading every row's full-text column. Started by a maintenance or by the first keyword query
   * over a small owner; queries use LanceDB until it is done.
   */
  private countCorpus(table: lancedb.Table): Promise<void> {
    if (this.corpus !== undefined || this.options.textCacheBytes === 0) return Promise.resolve();
    if (this.corpusCounting?.table === table) return this.corpusCounting.done;
    const stats = new CorpusStats();
    const counting = {
      table,
      stats,
      done: (async () => {
        for await (const batch of table.query().select([FTS_COLUMN])) {
          // A reset or close meanwhile: what was counted belongs to a table that is gone.
          if (this.table !== table) return;
          const texts = batch.getChild(FTS_COLUMN)!;
          for (let i = 0; i < batch.numRows; i++) stats.add(searchTerms(String(texts.get(i) ?? "")));
        }
        // A row written during the count may be counted twice (the scan saw it too): statistics, not results.
        if (this.table === table) this.corpus = stats;
      })().finally(() => {
        if (this.corpusCounting === counting) this.corpusCounting = undefined;
      }),
    };
    this.corpusCounting = counting;
    return counting.done;
  }

  async keyword(text: string, query: IndexQuery): Promise<IndexHit[]> {
    const table = this.requireTable();
    if (text.trim() === "") return [];
    if (query.scopeSize !== undefined && this.scopeTerms.fits(query.scopeSize)) {
      const hits = await this.heldKeyword(table, text, query);
      if (hits !== undefined) return hits;
    }
    if (!this.hasFullTextIndex) return [];
    const rows = await table
      .query()
      .fullTextSearch(new MatchQuery(text, FTS_COLUMN))
      .where(whereClause(query.scope, query.filter, "lance"))
      .select(["id"])
      .limit(query.limit)
      .toArray();
    return inRankOrder(rows.map((row: { id: string; _score: number }) => ({ id: row.id, score: row._score })));
  }

  async vector(vector: Float32Array, query: IndexQuery): Promise<IndexHit[]> {
    const table = this.requireTable();
    if (!vector.some((value) => value !== 0)) return [];
    const { scopeSize } = query;
    const small = scopeSize !== undefined && scopeSize < this.options.annMinScopeRows;
    if (scopeSize !== undefined && this.scopeVectors?.fits(scopeSize) === true && isUnfiltered(query.filter)) {
      // An exact scan in memory: it skips the fixed cost of a LanceDB query, and for an owner
      // past annMinScopeRows (up to half the cache: 16k memories of 256 dimensions) it is both
      // exact and faster than LanceDB's flat scan (24 / 62 ms p95 / p99 at 10k in one owner,
      // bench/reports/speed.md) or its graph.
      const key = scopeKey(query.scope);
      return this.scopeVectors.nearest(key, vector, query.limit, () => this.scopeVectorRows(table, key));
    }
    const search = table
      .vectorSearch(Array.from(vector))
      .distanceType("cosine")
      .where(whereClause(query.scope, query.filter, "lance"))
      .select(["id"])
      .limit(query.limit);
    const useAnn = this.hasVectorIndex && !small;
    const rows = await (useAnn ? search.ef(Math.max(this.options.ef, query.limit)) : search.bypassVectorIndex()).toArray();
    return inRankOrder(rows.map((row: { id: string; _distance: number }) => ({ id: row.id, score: 1 - row._distance })));
  }

  /** Every row of one owner, with its vector (what ScopeVectors holds). */
  private scopeVectorRows(table: lancedb.Table, key: string): Promise<ScopeVectorRow[]> {
    return ownerRows(table, key, "vector", (vector) => ({ vector: (vector as { toArray(): Float32Array }).toArray() }));
  }

  /**
   * The keyword hits of an owner held in memory (ScopeTerms), or undefined (LanceDB answers) when
   * the corpus statistics are not counted yet or the owner is not held: both are then started in
   * the background, for the next query.
   */
  private async heldKeyword(table: lancedb.Table, text: string, query: IndexQuery): Promise<IndexHit[] | undefined> {
    const onError = (error: unknown) => this.options.onBackgroundError?.(error);
    const corpus = this.corpus;
    if (corpus === undefined) {
      this.countCorpus(table).catch(onError);
      return undefined;
    }
    const key = scopeKey(query.scope);
    if (this.scopeTerms.held(key) === undefined) {
      this.scopeTerms.prefetch(key, query.scopeSize ?? 0, () => this.scopeTextRows(table, key)).catch(onError);
      return undefined;
    }
    // A filter (a time window, metadata) is applied by the table, which knows those columns;
    // BM25 then ranks what passed, so a filtered ranking scores a memory as the unfiltered one
    // does (hybrid scales both by the unfiltered best).
    const passing = isUnfiltered(query.filter) ? undefined : await this.idsPassing(table, query);
    return this.scopeTerms.best(key, text, query.limit, corpus, passing);
  }

  /** The ids of the owner's rows that pass the query's filter. */
  private async idsPassing(table: lancedb.Table, query: IndexQuery): Promise<Set<string>> {
    const rows = await table.query().where(whereClause(query.scope, query.filter, "lance")).select(["id"]).toArray();
    return new Set(rows.map((row: { id: string }) => row.id));
  }

  /** Every row of one owner, with its full-text column (what ScopeTerms holds). */
  private scopeTextRows(table: lancedb.Table, key: string): Promise<ScopeTextRow[]> {
    return ownerRows(table, key, FTS_COLUMN, (text) => ({ terms: searchTerms(String(text ?? "")) }));
  }

  /** Whether the ANN (HNSW) vector index exists; below `annMinRows` searches scan exactly. */
  get hasAnnIndex(): boolean {
    return this.hasVectorIndex;
  }

  async count(): Promise<number> {
    return this.requireTable().countRows();
  }

  async reset(identity: EmbeddingIdentity): Promise<void> {
    await this.write(async () => {
      const connection = this.requireConnection();
      this.table?.close();
      this.table = undefined;
      this.lastTurns.clear();
      this.scopeVectors?.clear();
      this.scopeTerms.clear();
      this.corpus = undefined;
      this.scopeRows = new Map();
      if ((await connection.tableNames()).includes(TABLE)) await connection.dropTable(TABLE);
      await this.createTable(identity);
    }, false);
  }

  /**
   * Folds recent rows into the full-text and scalar indexes, builds the ANN index once the table
   * is big enough, and compacts small fragments. Queries stay correct without it (LanceDB scans
   * unindexed rows); it keeps them fast. It runs beside writes, not in their queue: building an
   * HNSW graph over 100k rows takes tens of seconds, and LanceDB's commits let appends land
   * meanwhile. One maintenance runs at a time.
   */
  maintain(): Promise<void> {
    clearTimeout(this.deferredMaintenance);
    this.deferredMaintenance = undefined;
    if (this.maintenanceRunning !== undefined) return this.maintenanceRunning;
    const started = Date.now();
    // What a maintenance frees goes back to the system (malloc-threshold.ts).
    this.maintenanceRunning = whileMaintaining(() => this.runMaintenance()).finally(() => {
      this.maintenanceRunning = undefined;
      this.lastMaintenance = { endedAt: Date.now(), tookMs: Date.now() - started };
      // Writes that landed while it ran may already be due: left for the next write, that work
      // would start under an unrelated add (at 100k rows, seconds of both cores beside it).
      this.maintainIfDue();
    });
    return this.maintenanceRunning;
  }

  private async runMaintenance(): Promise<void> {
    const table = this.requireTable();
    this.rowsSinceMaintenance = 0;
    this.writesSinceMaintenance = 0;
    this.compactionOwed = false;
    try {
      const rows = await table.countRows();
      this.rowsAtMaintenance = rows;
      if (rows === 0) return;
      if (!this.hasFullTextIndex) await this.write((writable) => this.createFullTextIndex(writable));
      const indexed = new Set((await table.listIndices()).flatMap((index) => index.columns));
      if (!indexed.has("scope_key")) await table.createIndex("scope_key", { config: Index.btree() });
      // The previous-turn lookup of a session's first add filters on it.
      if (!indexed.has("session_id")) await table.createIndex("session_id", { config: Index.btree() });
      // Rows added after training land in delta segments that every query must also search;
      // retraining when the table has doubled keeps that bounded at amortised linear cost.
      // Only worth it when some owner is big enough for a query to use the graph: an owner below
      // annMinScopeRows is scanned exactly. Many small owners (an import of 400 owners of 500
      // memories) then skip builds of the whole table's graph at 50k, 100k, 200k... rows, each
      // of which took both cores for tens of seconds beside the writes.
      const annDue = rows >= this.options.annMinRows && (!this.hasVectorIndex || rows >= 2 * this.annTrainedRows);
      if (annDue && (await this.largestScopeRows(table)) >= this.options.annMinScopeRows) {
        await table.createIndex("vector", {
          config: Index.hnswSq({ distanceType: "cosine", numPartitions: Math.max(1, Math.round(rows / 1_000_000)) }),
          replace: true,
        });
        this.hasVectorIndex = true;
        this.annTrainedRows = rows;
        // One heavy step per maintenance: building the graph and compacting the table at once,
        // beside the writes, held both working sets at the same time (the peak RSS of a 100k
        // fill, bench/reports/speed.md). The next maintenance compacts, due at once (spaced as
        // any other): an owner left in many small fragments would query slower until then.
        this.compactionOwed = true;
      } else {
        // Old versions are only kept so concurrent readers finish; a minute is plenty.
        await table.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
      }
      await this.countCorpus(table);
    } catch (error) {
      throw new InternalError(`search index maintenance failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The row count of the biggest owner in the table (see `scopeRows`). */
  private async largestScopeRows(table: lancedb.Table): Promise<number> {
    if (this.scopeRows === undefined) {
      // Rows inserted while this reads are not counted: at most one write's worth, and counted
      // from the next insert of that owner on.
      const counts = new Map<string, number>();
      const keys = (await table.query().select(["scope_key"]).toArrow()).getChild("scope_key");
      for (let i = 0; i < (keys?.length ?? 0); i++) {
        const key = String(keys!.get(i));
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      this.scopeRows = counts;
    }
    let largest = 0;
    for (const count of this.scopeRows.values()) largest = Math.max(largest, count);
    return largest;
  }

  /** Resolves when background maintenance started by writes has finished (for benchmarks and tests). */
  async idle(): Promise<void> {
    await this.writeChain.catch(() => undefined);
    // A maintenance can start or schedule the next one as it ends (see `maintain`); one put off
    // for spacing runs now: idle means caught up.
    while (this.maintenanceRunning !== undefined || this.deferredMaintenance !== undefined) {
      await (this.maintenanceRunning ?? this.maintain()).catch(() => undefined);
    }
  }

  private async createTable(identity: EmbeddingIdentity): Promise<void> {
    const connection = this.requireConnection();
    this.table = await connection.createEmptyTable(TABLE, schemaFor(identity.dimensions), { mode: "overwrite" });
    this.setIdentity(identity);
    this.hasFullTextIndex = false;
    this.hasVectorIndex = false;
    this.annTrainedRows = 0;
    this.rowsAtMaintenance = 0;
    this.scopeRows = new Map();
    // An empty table's statistics need no counting (nor any statistics, with no memory for terms).
    this.corpus = this.options.textCacheBytes === 0 ? undefined : new CorpusStats();
    await this.writeIdentity(identity);
  }

  async relabel(identity: EmbeddingIdentity): Promise<void> {
    await this.write(async () => {
      if (identity.dimensions !== this.identity?.dimensions) throw new InternalError(`cannot relabel an index of dimension ${this.identity?.dimensions} as ${identity.dimensions}`);
      this.identity = identity;
      await this.writeIdentity(identity);
    }, false);
  }

  private async writeIdentity(identity: EmbeddingIdentity): Promise<void> {
    await writeFile(join(this.options.directory, IDENTITY_FILE), JSON.stringify({ ...identity, layout: LAYOUT, createdAt: new Date().toISOString() }));
  }

  private async readIdentity(): Promise<(EmbeddingIdentity & { layout: number }) | undefined> {
    try {
      const parsed = JSON.parse(await readFile(join(this.options.directory, IDENTITY_FILE), "utf8")) as Partial<
        EmbeddingIdentity & { layout: number }
      >;
      if (typeof parsed.model === "string" && typeof parsed.dimensions === "number") {
        return { model: parsed.model, dimensions: parsed.dimensions, layout: parsed.layout ?? 1 };
      }
      return undefined;
    } catch {
      return undefined;
    }
  }

  private async refreshIndexState(): Promise<void> {
    const table = this.requireTable();
    const indices = await table.listIndices();
    this.hasFullTextIndex = indices.some((index) => index.indexType === "FTS" && index.columns.includes(FTS_COLUMN));
    const vectorIndex = indices.find((index) => index.columns.includes("vector"));
    this.hasVectorIndex = vectorIndex !== undefined;
    this.annTrainedRows = vectorIndex === undefined ? 0 : ((await table.indexStats(vectorIndex.name))?.numIndexedRows ?? 0);
  }

  private async createFullTextIndex(table: lancedb.Table): Promise<void> {
    // LanceDB's defaults: lower-cased, stemmed (English), stop words removed, accents folded.
    await table.createIndex(FTS_COLUMN, { config: Index.fts({ withPosition: false }), replace: true });
    this.hasFullTextIndex = true;
  }

  private async afterWrite(table: lancedb.Table, rows: number): Promise<void> {
    // The first rows need the full-text index before any keyword query can run; later rows are
    // found by LanceDB's scan of unindexed rows until maintenance folds them in.
    if (!this.hasFullTextIndex) await this.createFullTextIndex(table);
    this.countWrite(rows);
  }

  /** Schedules background maintenance once enough rows or writes (deletes included) piled up. */
  private countWrite(rows: number): void {
    this.rowsSinceMaintenance += rows;
    this.writesSinceMaintenance += 1;
    this.maintainIfDue();
  }

  private maintainIfDue(): void {
    const due = this.compactionOwed || this.rowsSinceMaintenance >= this.rowsDue() || this.writesSinceMaintenance >= this.options.maintainEveryWrites;
    if (!due || this.maintenanceRunning !== undefined || this.deferredMaintenance !== undefined || this.table === undefined) return;
    const wait = this.lastMaintenance.endedAt + this.options.maintenanceSpacing * this.lastMaintenance.tookMs - Date.now();
    if (wait <= 0) {
      this.maintain().catch((error: unknown) => this.options.onBackgroundError?.(error));
      return;
    }
    this.deferredMaintenance = setTimeout(() => {
      this.deferredMaintenance = undefined;
      this.maintainIfDue();
    }, wait);
    // A timer must not keep a process alive that has nothing else to do.
    this.deferredMaintenance.unref();
  }

  /**
   * Rows written since the last maintenance that make the next one due: a quarter of the table,
   * between an eighth of `maintainEveryRows` and all of it (250 and 2,000 by default). Until
   * maintenance folds them in, every keyword query scans the unindexed rows' text: in a probe,
   * one query over 100 indexed rows took 1.8 ms, 8.2 ms with 2,000 unindexed rows beside them.
   * A fixed 2,000 left a growing table of a few thousand memories mostly unindexed for its whole
   * life (the load benchmark's 1,800 memories never reached it); a quarter of the table keeps
   * the scanned share bounded, while big tables, whose maintenance rewrites more, keep 2,000.
   */
  private rowsDue(): number {
    const { maintainEveryRows } = this.options;
    return Math.min(maintainEveryRows, Math.max(maintainEveryRows / 8, this.rowsAtMaintenance / 4));
  }

  private write(work: (table: lancedb.Table) => Promise<void>, needsTable = true): Promise<void> {
    const run = async () => {
      try {
        await work(needsTable ? this.requireTable() : (this.table as lancedb.Table));
      } catch (error) {
        if (error instanceof IndexMismatchError) throw error;
        throw new InternalError(`search index write failed: ${(error as Error).message}`, { cause: error });
      }
    };
    const result = this.writeChain.then(run, run);
    this.writeChain = result.catch(() => undefined);
    return result;
  }

  private async toRows(table: lancedb.Table, documents: readonly IndexDocument[]): Promise<IndexRow[]> {
    for (const { vector } of documents) {
      if (vector.length !== this.identity!.dimensions) {
        throw new IndexMismatchError(
          `a vector of dimension ${vector.length} cannot go into an index of dimension ${this.identity!.dimensions}; run \`omnimem reindex\``,
        );
      }
    }
    const previous = await this.previousTurns(table, documents);
    return documents.map(({ record, vector }) => recordToRow(record, vector, previous.get(record.id)));
  }

  /**
   * The turn before each verbatim turn in its session (text and vector): from the same batch
   * when it is there (one add is one session's turns, in order), else the latest earlier turn
   * the table holds. A later edit of that earlier turn does not reach this row until a reindex.
   */
  private async previousTurns(table: lancedb.Table, documents: readonly IndexDocument[]): Promise<Map<string, PreviousTurn>> {
    const sessions = new Map<string, IndexDocument[]>();
    for (const doc of documents) {
      if (!isVerbatimTurn(doc.record)) continue;
      const key = sessionKey(doc.record);
      const turns = sessions.get(key);
      if (turns === undefined) sessions.set(key, [doc]);
      else turns.push(doc);
    }
    const ordered = [...sessions.values()].map((turns) => [...turns].sort((a, b) => a.record.timestamp - b.record.timestamp));
    const unknown = ordered.flatMap((turns) => {
      const first = turns[0]!.record;
      const known = this.lastTurns.get(sessionKey(first));
      return known !== undefined && known.ts < first.timestamp ? [] : [first];
    });
    const found = await this.findPreviousTurns(table, unknown);
    const previous = new Map<string, PreviousTurn>();
    for (const turns of ordered) {
      const first = turns[0]!.record;
      const last = turns[turns.length - 1]!;
      const key = sessionKey(first);
      const known = this.lastTurns.get(key);
      const before = known !== undefined && known.ts < first.timestamp ? known : found.get(key);
      if (before !== undefined) previous.set(first.id, before);
      for (let i = 1; i < turns.length; i++) previous.set(turns[i]!.record.id, { text: turns[i - 1]!.record.text, vector: turns[i - 1]!.vector });
      if (known === undefined || known.ts <= last.record.timestamp) this.rememberTurn(key, { ts: last.record.timestamp, text: last.record.text, vector: last.vector });
    }
    return previous;
  }

  private rememberTurn(key: string, turn: PreviousTurn & { ts: number }): void {
    this.lastTurns.delete(key);
    this.lastTurns.set(key, turn);
    // Oldest first in a Map: drop the least recently written sessions past the bound.
    if (this.lastTurns.size > LAST_TURNS_KEPT) this.lastTurns.delete(this.lastTurns.keys().next().value!);
  }

  /**
   * For each of `firsts` (the first turn of a session in this write, whose previous turn is not
   * remembered), the latest earlier verbatim turn of its session that the table holds. One query
   * for all of them: a bulk import writes hundreds of new sessions at once, and a LanceDB query
   * costs about 2 ms however little it finds (most of these sessions are new and find nothing).
   */
  private async findPreviousTurns(table: lancedb.Table, firsts: readonly MemoryRecord[]): Promise<Map<string, PreviousTurn>> {
    const found = new Map<string, PreviousTurn & { ts: number }>();
    const firstTs = new Map(firsts.map((first) => [sessionKey(first), first.timestamp]));
    for (let start = 0; start < firsts.length; start += 500) {
      const chunk = firsts.slice(start, start + 500);
      const inList = (values: Iterable<string>) => [...new Set(values)].map(sqlString).join(", ");
      const rows = (await table
        .query()
        .where(
          `scope_key IN (${inList(chunk.map((first) => scopeKey(first.scope)))}) AND session_id IN (${inList(chunk.map((first) => first.sessionId!))}) ` +
            `AND role IS NOT NULL AND kind = 'episode' AND ts < ${Math.max(...chunk.map((first) => first.timestamp))}`,
        )
        .select(["scope_key", "session_id", "ts", "text", "vector"])
        .toArray()) as { scope_key: string; session_id: string; ts: number; text: string; vector: ArrayLike<number> }[];
      for (const row of rows) {
        const key = `${row.scope_key}\u0000${row.session_id}`;
        const before = firstTs.get(key);
        // The IN lists pair every owner with every session: keep only the pairs asked for.
        if (before === undefined || row.ts >= before || (found.get(key)?.ts ?? -Infinity) >= row.ts) continue;
        found.set(key, { ts: row.ts, text: row.text, vector: Float32Array.from(row.vector) });
      }
    }
    return found;
  }

  /**
   * A layout-3 table gets the `search_text` column computed from its own columns (sender and
   * text; previous turns need a reindex) and the full-text index moves to it.
   */
  private async migrateFromLayout3(recorded: EmbeddingIdentity & { layout: number }): Promise<EmbeddingIdentity & { layout: number }> {
    const table = await this.requireConnection().openTable(TABLE);
    try {
      const columns = (await table.schema()).fields.map((field) => field.name);
      if (!columns.includes(FTS_COLUMN)) await table.addColumns([{ name: FTS_COLUMN, valueSql: SEARCH_TEXT_SQL }]);
      for (const index of await table.listIndices()) {
        if (index.indexType === "FTS" && index.columns.includes("text")) await table.dropIndex(index.name);
      }
      if ((await table.countRows()) > 0) await this.createFullTextIndex(table);
    } finally {
      table.close();
    }
    const migrated = { model: recorded.model, dimensions: recorded.dimensions, layout: LAYOUT };
    await writeFile(join(this.options.directory, IDENTITY_FILE), JSON.stringify({ ...migrated, migratedAt: new Date().toISOString() }));
    return migrated;
  }

  private requireTable(): lancedb.Table {
    if (this.table === undefined) throw new InternalError("the search index is not open");
    return this.table;
  }

  private requireConnection(): lancedb.Connection {
    if (this.connection === undefined) throw new InternalError("the search index is not open");
    return this.connection;
  }
}

export function recordToRow(record: MemoryRecord, vector: Float32Array, previousTurn?: PreviousTurn): IndexRow {
  return {
    ...recordColumns(record),
    scope_key: scopeKey(record.scope),
    search_text: searchText(record, previousTurn?.text),
    meta_kv: metadataPairs(record.metadata),
    vector: previousTurn === undefined ? vector : withContext(vector, previousTurn.vector),
  };
}

function schemaFor(dimensions: number): Schema {
  const text = (name: string, nullable = false) => new Field(name, new Utf8(), nullable);
  return new Schema([
    text("id"),
    text("scope_key"),
    text("kind"),
    text("app_id"),
    text("project_id"),
    text("owner_type"),
    text("owner_id"),
    text("user_id", true),
    text("agent_id", true),
    text("run_id", true),
    text("session_id", true),
    text("sender_id", true),
    text("role", true),
    text("episode_id", true),
    text("subject", true),
    text("summary", true),
    new Field("ts", new Float64(), false),
    new Field("created_at", new Float64(), false),
    new Field("updated_at", new Float64(), false),
    text("text"),
    text(FTS_COLUMN),
    new Field("meta_kv", new List(new Field("item", new Utf8(), true)), false),
    new Field("vector", new FixedSizeList(dimensions, new Field("item", new Float32(), true)), false),
  ]);
}

function describe(identity: EmbeddingIdentity | undefined): string {
  return identity === undefined ? "(unknown: no identity recorded)" : `${identity.model} (dimension ${identity.dimensions})`;
}

/** A session's key among all owners: its owner's scope_key and its id. */
function sessionKey(record: MemoryRecord): string {
  return `${scopeKey(record.scope)}\u0000${record.sessionId}`;
}

function vectorRow(row: IndexRow): ScopeVectorRow {
  return { id: row.id, scopeKey: row.scope_key, vector: row.vector };
}

/** Every row of one owner: its id and one column, made into a row by `fromColumn`. */
async function ownerRows<Row extends { id: string; scopeKey: string }>(
  table: lancedb.Table,
  key: string,
  column: string,
  fromColumn: (value: unknown) => Omit<Row, "id" | "scopeKey">,
): Promise<Row[]> {
  const batch = await table.query().where(`scope_key = ${sqlString(key)}`).select(["id", column]).toArrow();
  const ids = batch.getChild("id");
  const values = batch.getChild(column);
  const rows: Row[] = [];
  for (let i = 0; i < batch.numRows; i++) rows.push({ id: String(ids!.get(i)), scopeKey: key, ...fromColumn(values!.get(i)) } as Row);
  return rows;
}

/** A filter that compiles to no clause (absent or empty) leaves the owner's rows as they are. */
function isUnfiltered(filter: SearchFilter | undefined): boolean {
  return filter === undefined || compileFilter(filter, "lance") === undefined;
}

/**
 * Best first, and equal scores in id order: LanceDB returns ties in an order that changes
 * between processes, which made identical searches (and the retrieval benchmark) differ.
 */
function inRankOrder(hits: IndexHit[]): IndexHit[] {
  return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
