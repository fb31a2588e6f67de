import type pg from "pg";
import { CapabilityUnavailableError, IndexMismatchError, InternalError } from "../../spec/errors.js";
import type { EmbeddingIdentity, IndexDocument, IndexHit, IndexQuery, SearchIndex } from "../../spec/search-index.js";
import { withSchemaLock } from "./migrations.js";
import type { PostgresDatabase } from "./pg-database.js";
import { SqlParams, whereSql } from "./pg-filters.js";

export interface PostgresSearchIndexOptions {
  /**
   * false: keyword search only, for a database without pgvector (vector searches then answer
   * CAPABILITY_UNAVAILABLE). Default true: open fails with CAPABILITY_UNAVAILABLE naming the
   * `vector` extension when the server lacks it.
   */
  vectors?: boolean;
  /** HNSW search breadth (`hnsw.ef_search`): higher finds more of the true neighbours, slower. */
  ef?: number;
  /** A scope with fewer memories than this is scanned exactly instead of through the HNSW graph. */
  exactScopeRows?: number;
}

/** pgvector's limit for an HNSW-indexed `vector` column. */
const MAX_INDEXED_DIMENSIONS = 2000;
const HNSW_INDEX = "memories_embedding_hnsw";

/**
 * The search side of the PostgreSQL backend. It shares the `memories` table with
 * PostgresMemoryStore instead of keeping a copy: the keyword index is the row's generated
 * `tsvector` (GIN), the vector is the row's `embedding` column (pgvector, HNSW, cosine). So:
 * - `insert`/`upsert` only set the embedding of rows the store has already written (Memory's
 *   write path is store.apply, then index.insert/upsert; a document without a row is dropped);
 * - `remove` clears embeddings (the store's delete has removed the row already);
 * - keyword and vector queries see a memory as soon as the store's transaction commits, on
 *   every server, with no outbox and nothing to replay.
 */
export class PostgresSearchIndex implements SearchIndex {
  private readonly options: Required<PostgresSearchIndexOptions>;
  private identity: EmbeddingIdentity | undefined;
  private iterativeScan = false;
  private opened = false;

  constructor(
    private readonly database: PostgresDatabase,
    options: PostgresSearchIndexOptions = {},
  ) {
    this.options = { vectors: true, ef: 100, exactScopeRows: 5_000, ...options };
  }

  /** Whether vector search is available (false in keyword-only mode). */
  get hasVectors(): boolean {
    return this.options.vectors;
  }

  async open(identity: EmbeddingIdentity): Promise<void> {
    await this.database.acquire();
    try {
      if (this.options.vectors) await this.database.withClient((client) => this.prepareVectors(client, identity, false));
      this.identity = identity;
      this.opened = true;
    } catch (error) {
      // An index of another model stays open for the one thing Memory then allows: reset by a
      // reindex (and close). Any other failure gives the connection back.
      if (error instanceof IndexMismatchError) {
        this.opened = true;
        throw error;
      }
      await this.database.release();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    await this.database.release();
  }

  async insert(documents: readonly IndexDocument[]): Promise<void> {
    await this.setEmbeddings(documents);
  }

  async upsert(documents: readonly IndexDocument[]): Promise<void> {
    await this.setEmbeddings(documents);
  }

  async remove(ids: readonly string[]): Promise<void> {
    this.requireOpen();
    if (ids.length === 0 || !this.options.vectors) return;
    await this.database.query("UPDATE memories SET embedding = NULL WHERE id = ANY($1::text[]) AND embedding IS NOT NULL", [[...ids]]);
  }

  async keyword(text: string, query: IndexQuery): Promise<IndexHit[]> {
    this.requireOpen();
    if (text.trim() === "") return [];
    const params = new SqlParams([text]);
    const where = whereSql(query.scope, query.filter, params);
    // plainto_tsquery ANDs the words; BM25-style recall wants any of them, ranked by how much
    // of the query a memory covers, so the ANDs become ORs (the text stays a parameter).
    const { rows } = await this.database.query<{ id: string; score: number }>(
      `WITH query AS (SELECT replace(plainto_tsquery('english', $1)::text, ' & ', ' | ')::tsquery AS q)
       SELECT id, ts_rank_cd(search, query.q, 1) AS score
       FROM memories, query
       WHERE ${where} AND search @@ query.q
       ORDER BY score DESC, id
       LIMIT ${params.add(query.limit)}`,
      params.values,
    );
    return inRankOrder(rows.map((row) => ({ id: row.id, score: Number(row.score) })));
  }

  async vector(vector: Float32Array, query: IndexQuery): Promise<IndexHit[]> {
    this.requireOpen();
    if (!this.options.vectors) throw missingVector("this index (opened keyword-only)");
    this.checkDimensions(vector);
    if (!vector.some((value) => value !== 0)) return [];
    const params = new SqlParams([toVectorText(vector)]);
    const where = whereSql(query.scope, query.filter, params);
    const exact = query.scopeSize !== undefined && query.scopeSize < this.options.exactScopeRows;
    return this.database.transaction(async (client) => {
      if (exact) {
        // A small owner is cheaper to scan than the graph, and the graph loses recall under a
        // selective owner filter: keep the planner on the owner index (a bitmap scan) and sort.
        await client.query("SET LOCAL enable_indexscan = off");
      } else {
        await client.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(Math.min(1000, Math.max(this.options.ef, query.limit)))]);
        if (this.iterativeScan) await client.query("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)");
      }
      const { rows } = await client.query<{ id: string; distance: number }>(
        `SELECT id, embedding <=> $1::vector AS distance
         FROM memories
         WHERE ${where} AND embedding IS NOT NULL
         ORDER BY embedding <=> $1::vector
         LIMIT ${params.add(query.limit)}`,
        params.values,
      );
      return inRankOrder(rows.map((row) => ({ id: row.id, score: 1 - Number(row.distance) })));
    });
  }

  async count(): Promise<number> {
    this.requireOpen();
    const sql = this.options.vectors ? "SELECT count(*) AS n FROM memories WHERE embedding IS NOT NULL" : "SELECT count(*) AS n FROM memories";
    return Number((await this.database.query<{ n: string }>(sql)).rows[0]!.n);
  }

  /** Forgets every embedding and starts over for `identity` (the column is remade at its dimension). */
  async reset(identity: EmbeddingIdentity): Promise<void> {
    this.requireOpen();
    if (this.options.vectors) await this.database.withClient((client) => this.prepareVectors(client, identity, true));
    this.identity = identity;
  }

  async relabel(identity: EmbeddingIdentity): Promise<void> {
    this.requireOpen();
    // Keyword-only: no vectors, no identity row to rename.
    if (this.options.vectors) await this.database.query("UPDATE search_identity SET model = $1 WHERE dimensions = $2", [identity.model, identity.dimensions]);
    this.identity = identity;
  }

  /** PostgreSQL keeps the GIN and HNSW indexes current on every write; nothing to fold in. */
  async maintain(): Promise<void> {}

  async idle(): Promise<void> {}

  /**
   * Makes sure the `vector` extension, the embedding column of the identity's dimension, its
   * HNSW index and the identity row exist, under the schema lock (servers starting together add
   * them once). The dimension is an integer checked here: DDL takes no bind parameters.
   */
  private async prepareVectors(client: pg.PoolClient, identity: EmbeddingIdentity, reset: boolean): Promise<void> {
    const dimensions = identity.dimensions;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_INDEXED_DIMENSIONS) {
      throw new CapabilityUnavailableError(
        `pgvector's HNSW index takes 1-${MAX_INDEXED_DIMENSIONS} dimensions; the embedder gives ${dimensions} (configure embedding.dimensions)`,
        { details: { dimensions } },
      );
    }
    await withSchemaLock(client, this.database.schema, async () => {
      const version = await ensureVectorExtension(client);
      this.iterativeScan = compareVersions(version, "0.8.0") >= 0;
      await client.query("BEGIN");
      try {
        const { rows } = await client.query<{ model: string; dimensions: number }>("SELECT model, dimensions FROM search_identity");
        const recorded = rows[0];
        if (!reset && recorded !== undefined) {
          if (recorded.model !== identity.model || recorded.dimensions !== dimensions) {
            throw new IndexMismatchError(
              `the search index was built with embedding model ${recorded.model} (dimension ${recorded.dimensions}) but the configured embedder is ` +
                `${identity.model} (dimension ${dimensions}); run \`omnimem reindex\` (or memory.reindex()) to rebuild the index with the configured embedder`,
              { details: { indexed: recorded, configured: identity } },
            );
          }
        } else {
          await client.query("ALTER TABLE memories DROP COLUMN IF EXISTS embedding");
          await client.query(`ALTER TABLE memories ADD COLUMN embedding vector(${dimensions})`);
          await client.query(`CREATE INDEX ${HNSW_INDEX} ON memories USING hnsw (embedding vector_cosine_ops)`);
          await client.query(
            `INSERT INTO search_identity (singleton, model, dimensions) VALUES (true, $1, $2)
             ON CONFLICT (singleton) DO UPDATE SET model = excluded.model, dimensions = excluded.dimensions, created_at = now()`,
            [identity.model, dimensions],
          );
        }
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  private async setEmbeddings(documents: readonly IndexDocument[]): Promise<void> {
    this.requireOpen();
    if (documents.length === 0 || !this.options.vectors) return;
    for (const document of documents) this.checkDimensions(document.vector);
    await this.database.query(
      `UPDATE memories AS m SET embedding = d.embedding::vector
       FROM unnest($1::text[], $2::text[]) AS d(id, embedding)
       WHERE m.id = d.id`,
      [documents.map((document) => document.record.id), documents.map((document) => toVectorText(document.vector))],
    );
  }

  private checkDimensions(vector: Float32Array): void {
    const dimensions = this.identity?.dimensions;
    if (vector.length !== dimensions) {
      throw new IndexMismatchError(`a vector of dimension ${vector.length} cannot go into an index of dimension ${dimensions}; run \`omnimem reindex\``);
    }
  }

  private requireOpen(): void {
    if (!this.opened) throw new InternalError("the search index is not open");
  }
}

/** Installs pgvector when the server offers it; its version, or CAPABILITY_UNAVAILABLE naming it. */
export async function ensureVectorExtension(client: pg.PoolClient): Promise<string> {
  const installed = await client.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
  if (installed.rows[0] !== undefined) return installed.rows[0].extversion;
  const available = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
  if (available.rows.length === 0) throw missingVector("this PostgreSQL server");
  try {
    await client.query("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public");
  } catch (error) {
    throw new CapabilityUnavailableError(
      `the PostgreSQL extension "vector" (pgvector) is installed on the server but could not be enabled in this database ` +
        `(${(error as Error).message}); ask an administrator to run CREATE EXTENSION vector`,
      { cause: error, details: { extension: "vector" } },
    );
  }
  const created = await client.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
  return created.rows[0]?.extversion ?? "0";
}

function missingVector(what: string): CapabilityUnavailableError {
  return new CapabilityUnavailableError(
    `the PostgreSQL extension "vector" (pgvector) is not available on ${what}: omnimem's PostgreSQL backend keeps embeddings in ` +
      `pgvector columns. Install pgvector on the server (every managed PostgreSQL offers it: enable the "vector" extension), ` +
      `or set [store] vectors = false (OMNIMEM_STORE__VECTORS=false) for keyword search only`,
    { details: { extension: "vector" } },
  );
}

/** pgvector's text input form; a float32 printed by JavaScript round-trips exactly. */
function toVectorText(vector: Float32Array): string {
  return `[${Array.from(vector).join(",")}]`;
}

function compareVersions(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Best first, ties in id order, so the same query gives the same list on every server. */
function inRankOrder(hits: IndexHit[]): IndexHit[] {
  return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
