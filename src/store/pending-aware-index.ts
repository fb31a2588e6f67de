import type { Embedder } from "../spec/embedder.js";
import type { EmbeddingIdentity, IndexDocument, IndexHit, IndexQuery, SearchIndex } from "../spec/search-index.js";
import type { MemoryRecord, Scope, SearchFilter } from "../spec/types.js";
import { inverseDocumentFrequency, searchTerms, termScore } from "../text/bm25.js";
import { searchText } from "./embedded/search-text.js";

/** Where the records the index does not have yet come from (the store's outbox). */
export type PendingRecordSource = (scope: Scope, filter: SearchFilter | undefined, limit: number) => Promise<MemoryRecord[]>;

/** Pending records one query looks at: the newest ones, when an index is down for long. */
const MAX_PENDING_PER_QUERY = 1000;
/** Vectors kept for pending records; more are embedded again when a search needs them. */
const MAX_CACHED_VECTORS = 10_000;

/**
 * Vectors of records whose index write is pending, by id and text hash: the writer leaves the
 * vectors it computed here, so a search that meets a pending record does not embed it again.
 */
export class PendingVectors {
  private readonly vectors = new Map<string, Float32Array>();

  remember(documents: readonly IndexDocument[]): void {
    for (const { record, vector } of documents) {
      const key = vectorKey(record);
      this.vectors.delete(key);
      this.vectors.set(key, vector);
    }
    // Oldest first out: a Map iterates in insertion order.
    for (const key of this.vectors.keys()) {
      if (this.vectors.size <= MAX_CACHED_VECTORS) break;
      this.vectors.delete(key);
    }
  }

  forget(records: readonly Pick<MemoryRecord, "id" | "hash">[]): void {
    for (const record of records) this.vectors.delete(vectorKey(record));
  }

  get(record: Pick<MemoryRecord, "id" | "hash">): Float32Array | undefined {
    return this.vectors.get(vectorKey(record));
  }
}

/**
 * A SearchIndex that also answers from the memories the index does not hold yet: a write whose
 * index step failed (it is retried in the background) or is still under way. Those records are
 * few, so they are scored by brute force, by cosine similarity for vector queries and by BM25
 * for keyword ones, and merged with the index's hits; for a pending id the index's hit (which
 * may hold an older text) is replaced by the pending record's own score.
 *
 * The keyword score is BM25 over the query's words as LanceDB's full-text index splits them
 * (lower-cased, accents folded, English stop words left out), with document frequencies counted
 * among the pending records (the index's own counts are not available): close to what the
 * index will give once it holds the record, not equal.
 */
export class PendingAwareIndex implements SearchIndex {
  /** Reads of pending records under way, by scope and filter (see pendingFor). */
  private readonly reading = new Map<string, Promise<MemoryRecord[]>>();

  constructor(
    private readonly inner: SearchIndex,
    private readonly pending: PendingRecordSource,
    private readonly embedder: Embedder,
    private readonly vectors: PendingVectors,
    /** The owner's memory count, for BM25's document count. */
    private readonly scopeSize: (scope: Scope) => Promise<number>,
  ) {}

  get hasVectors(): boolean | undefined {
    return this.inner.hasVectors;
  }

  open(identity: EmbeddingIdentity): Promise<void> {
    return this.inner.open(identity);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  insert(documents: readonly IndexDocument[]): Promise<void> {
    return this.inner.insert(documents);
  }

  upsert(documents: readonly IndexDocument[]): Promise<void> {
    return this.inner.upsert(documents);
  }

  remove(ids: readonly string[]): Promise<void> {
    return this.inner.remove(ids);
  }

  count(): Promise<number> {
    return this.inner.count();
  }

  reset(identity: EmbeddingIdentity): Promise<void> {
    return this.inner.reset(identity);
  }

  async relabel(identity: EmbeddingIdentity): Promise<void> {
    await this.inner.relabel?.(identity);
  }

  maintain(): Promise<void> {
    return this.inner.maintain();
  }

  idle(): Promise<void> {
    return this.inner.idle();
  }

  async keyword(text: string, query: IndexQuery): Promise<IndexHit[]> {
    const [pending, hits] = await Promise.all([this.pendingFor(query), this.inner.keyword(text, query)]);
    if (pending.length === 0) return hits;
    const documents = Math.max(pending.length, query.scopeSize ?? (await this.scopeSize(query.scope)));
    return merge(hits, bm25(text, pending, documents), pending, query.limit);
  }

  async vector(vector: Float32Array, query: IndexQuery): Promise<IndexHit[]> {
    const [pending, hits] = await Promise.all([this.pendingFor(query), this.inner.vector(vector, query)]);
    if (pending.length === 0) return hits;
    if (!vector.some((value) => value !== 0)) return merge(hits, [], pending, query.limit);
    const vectors = await this.vectorsOf(pending);
    const scored = pending.map((record, i) => ({ id: record.id, score: cosine(vector, vectors[i]!) }));
    return merge(hits, scored, pending, query.limit);
  }

  /**
   * The pending records of the query's owner and filter. Hybrid search asks for keyword and
   * vector hits at once with the same scope and filter: the two share one read of the store
   * (the read is dropped as soon as it settles, so no later query sees an old answer). Async, and
   * asked for before the index: should building its key throw, the search fails with that error
   * before any index query is under way, never leaving one whose failure nobody awaits (an
   * unhandled rejection ends the process).
   */
  private async pendingFor(query: IndexQuery): Promise<MemoryRecord[]> {
    const key = JSON.stringify([query.scope, query.filter ?? null]);
    let read = this.reading.get(key);
    if (read === undefined) {
      read = this.pending(query.scope, query.filter, MAX_PENDING_PER_QUERY);
      this.reading.set(key, read);
      const forget = () => this.reading.delete(key);
      read.then(forget, forget);
    }
    return read;
  }

  private async vectorsOf(records: readonly MemoryRecord[]): Promise<Float32Array[]> {
    const missing = records.filter((record) => this.vectors.get(record) === undefined);
    const fresh = new Map<string, Float32Array>();
    if (missing.length > 0) {
      const embedded = await this.embedder.embed(missing.map((record) => record.text));
      missing.forEach((record, i) => fresh.set(record.id, embedded[i]!));
      this.vectors.remember(missing.map((record) => ({ record, vector: fresh.get(record.id)! })));
    }
    return records.map((record) => fresh.get(record.id) ?? this.vectors.get(record) ?? new Float32Array(0));
  }
}

function vectorKey(record: Pick<MemoryRecord, "id" | "hash">): string {
  return `${record.id}:${record.hash}`;
}

/** The index's hits without the pending ids, plus the pending records' own scores, best first. */
function merge(hits: readonly IndexHit[], scored: readonly IndexHit[], pending: readonly MemoryRecord[], limit: number): IndexHit[] {
  const pendingIds = new Set(pending.map((record) => record.id));
  return [...hits.filter((hit) => !pendingIds.has(hit.id)), ...scored]
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}

/** BM25 of each pending record that shares a word with the query (others are not keyword hits). */
function bm25(query: string, records: readonly MemoryRecord[], documents: number): IndexHit[] {
  const queryTerms = [...new Set(searchTerms(query))];
  if (queryTerms.length === 0) return [];
  const docs = records.map((record) => {
    const counts = new Map<string, number>();
    // The sender's name too, as the index reads it (the previous turn it adds is left out here).
    const tokens = searchTerms(searchText(record, undefined));
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    return { id: record.id, counts, length: tokens.length };
  });
  const averageLength = docs.reduce((sum, doc) => sum + doc.length, 0) / docs.length || 1;
  const idf = new Map(
    queryTerms.map((term) => {
      const frequency = docs.filter((doc) => doc.counts.has(term)).length;
      return [term, inverseDocumentFrequency(documents, frequency)];
    }),
  );
  const hits: IndexHit[] = [];
  for (const doc of docs) {
    let score = 0;
    for (const term of queryTerms) {
      const tf = doc.counts.get(term) ?? 0;
      if (tf === 0) continue;
      score += termScore(idf.get(term)!, tf, doc.length, averageLength);
    }
    if (score > 0) hits.push({ id: doc.id, score });
  }
  return hits;
}

/** Cosine similarity, as the index's vector search scores it (1 - cosine distance). */
function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
