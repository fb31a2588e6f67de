import type { MemoryRecord, Scope, SearchFilter } from "./types.js";

export interface EmbeddingIdentity {
  model: string;
  dimensions: number;
}

export interface IndexDocument {
  record: MemoryRecord;
  vector: Float32Array;
}

export interface IndexQuery {
  /** Confines the query to one owner; implementations apply it inside the index query itself. */
  scope: Scope;
  filter?: SearchFilter;
  limit: number;
  /** How many memories the scope holds, when known: lets the index scan small scopes exactly. */
  scopeSize?: number;
}

export interface IndexHit {
  id: string;
  /** keyword: BM25 score; vector: cosine similarity. Higher is better. */
  score: number;
}

/** The derived, rebuildable search side: vectors and full text. */
export interface SearchIndex {
  /**
   * false for an index that holds no vectors (PostgreSQL without pgvector, `[store] vectors =
   * false`): `vector` answers CAPABILITY_UNAVAILABLE and hybrid search ranks by keyword alone.
   * Absent means true.
   */
  readonly hasVectors?: boolean;
  /** Throws IndexMismatchError when the index holds vectors of another model or dimension. */
  open(identity: EmbeddingIdentity): Promise<void>;
  close(): Promise<void>;
  /** Adds documents whose ids are known to be new (a fresh add): cheaper than upsert. */
  insert(documents: readonly IndexDocument[]): Promise<void>;
  /** Inserts or replaces by id (updates, and replaying jobs that may already have landed). */
  upsert(documents: readonly IndexDocument[]): Promise<void>;
  remove(ids: readonly string[]): Promise<void>;
  keyword(text: string, query: IndexQuery): Promise<IndexHit[]>;
  vector(vector: Float32Array, query: IndexQuery): Promise<IndexHit[]>;
  count(): Promise<number>;
  /** Drops everything and starts empty for the given embedding identity. */
  reset(identity: EmbeddingIdentity): Promise<void>;
  /**
   * Records that the index now holds vectors of `identity`, keeping what it holds: the last step
   * of a rebuild that began under a provisional identity, so that a rebuild cut short (a crash, a
   * kill) leaves an index that `open` refuses as built with another model (run reindex), not
   * one that silently lacks memories. Without it, a rebuild resets to the real identity at once.
   */
  relabel?(identity: EmbeddingIdentity): Promise<void>;
  /** Brings the full-text and ANN indexes up to date with recent writes; safe to call any time. */
  maintain(): Promise<void>;
  /** Resolves once background work started by earlier writes has finished. */
  idle(): Promise<void>;
}
