import type { IndexHit } from "../../spec/search-index.js";
import { searchTerms, termScore } from "../../text/bm25.js";
import type { CorpusStats } from "./corpus-stats.js";
import { OwnerCache, type OwnerEntryKind, type OwnerRow } from "./owner-cache.js";

/** One row's full-text column (search_text) as BM25 terms (text/bm25.ts), with its owner. */
export interface ScopeTextRow extends OwnerRow {
  terms: readonly string[];
}

interface Document {
  terms: readonly string[];
  /** Term → occurrences. */
  counts: Map<string, number>;
}

/** One owner's documents and the postings that find them by term. */
interface TermEntry {
  documents: Map<string, Document>;
  /** Term → ids of the documents holding it (its size is the term's document frequency). */
  postings: Map<string, Set<string>>;
  bytes: number;
}

/**
 * Rough bytes of one distinct term of a document: its count entry and its posting (two Map
 * entries, the term string shared). Used to keep the cache within its budget, not to bill it.
 */
const BYTES_PER_TERM = 80;
/** The document's term list (kept for the corpus statistics to forget it): one pointer per term. */
const BYTES_PER_TERM_OCCURRENCE = 8;
const BYTES_PER_DOCUMENT = 160;
/** Distinct terms of a typical memory (a conversation turn, a fact), for the decision before reading an owner. */
const EXPECTED_TERMS_PER_DOCUMENT = 40;

/**
 * The full-text columns of small owners, kept in memory as postings, so that a keyword query
 * over one of them is BM25 in JavaScript rather than a LanceDB full-text query (owner-cache.ts).
 * Under 50 concurrent clients a LanceDB keyword query took 81 ms p50 inside the server, nearly
 * all of it waiting for event-loop turns to receive its batches, where scoring an owner's
 * postings takes microseconds. Reading an owner costs more than one LanceDB query (its rows,
 * then their terms: about 15 ms for 300 turns), so a query that misses is answered by LanceDB,
 * and an owner missed twice is read in the background for the queries after (prefetch).
 *
 * Document frequencies and the mean length are the whole table's (CorpusStats), as LanceDB's
 * are, so a memory scores alike on either path. The owner's own were tried: LongMemEval-S dev60
 * keyword session recall_all@5 0.92 -> 0.90 and turn recall_all@10 0.90 -> 0.86 (one haystack of
 * ~300 turns estimates how rare a word is worse than 15k turns do). Terms are made as LanceDB
 * makes them (text/bm25.ts).
 */
export class ScopeTerms extends OwnerCache<ScopeTextRow, TermEntry> {
  constructor(budgetBytes: number) {
    super(TERM_ENTRIES, budgetBytes);
  }

  /**
   * The owner's `limit` best rows by BM25 for `query` (rows sharing no term are not hits), best
   * first, ties by id, only rows in `passing` when given; undefined when the owner is not held.
   */
  best(key: string, query: string, limit: number, corpus: CorpusStats, passing?: ReadonlySet<string>): IndexHit[] | undefined {
    const entry = this.held(key);
    return entry === undefined ? undefined : topByBm25(entry, query, limit, corpus, passing);
  }

  /**
   * The terms of a row a held owner has (for the corpus to forget them), else undefined: looked
   * up in its owner when the caller knows it (a write), else in every held owner (a delete).
   */
  heldTerms(id: string, scopeKey?: string): readonly string[] | undefined {
    const entries = scopeKey === undefined ? this.entries() : [this.peek(scopeKey)];
    for (const entry of entries) {
      const document = entry?.documents.get(id);
      if (document !== undefined) return document.terms;
    }
    return undefined;
  }
}

const TERM_ENTRIES: OwnerEntryKind<ScopeTextRow, TermEntry> = {
  create(rows) {
    const entry: TermEntry = { documents: new Map(), postings: new Map(), bytes: 0 };
    for (const row of rows) putDocument(entry, row);
    return entry;
  },
  put: putDocument,
  remove(entry, ids) {
    for (const id of ids) removeDocument(entry, id);
  },
  rows: (entry) => entry.documents.size,
  bytes: (entry) => entry.bytes,
  expectedBytes: (rows) => rows * documentBytes(EXPECTED_TERMS_PER_DOCUMENT, EXPECTED_TERMS_PER_DOCUMENT),
};

function putDocument(entry: TermEntry, row: ScopeTextRow): void {
  removeDocument(entry, row.id);
  const { terms } = row;
  const counts = new Map<string, number>();
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  entry.documents.set(row.id, { terms, counts });
  for (const term of counts.keys()) {
    let ids = entry.postings.get(term);
    if (ids === undefined) entry.postings.set(term, (ids = new Set()));
    ids.add(row.id);
  }
  entry.bytes += documentBytes(terms.length, counts.size);
}

function removeDocument(entry: TermEntry, id: string): void {
  const document = entry.documents.get(id);
  if (document === undefined) return;
  entry.documents.delete(id);
  for (const term of document.counts.keys()) {
    const ids = entry.postings.get(term)!;
    ids.delete(id);
    if (ids.size === 0) entry.postings.delete(term);
  }
  entry.bytes -= documentBytes(document.terms.length, document.counts.size);
}

function documentBytes(terms: number, distinct: number): number {
  return BYTES_PER_DOCUMENT + terms * BYTES_PER_TERM_OCCURRENCE + distinct * BYTES_PER_TERM;
}

function topByBm25(entry: TermEntry, query: string, limit: number, corpus: CorpusStats, passing: ReadonlySet<string> | undefined): IndexHit[] {
  if (entry.documents.size === 0 || limit < 1) return [];
  const averageLength = corpus.averageLength;
  const scores = new Map<string, number>();
  for (const term of new Set(searchTerms(query))) {
    const ids = entry.postings.get(term);
    if (ids === undefined) continue;
    const idf = corpus.idf(term);
    for (const id of ids) {
      if (passing !== undefined && !passing.has(id)) continue;
      const document = entry.documents.get(id)!;
      scores.set(id, (scores.get(id) ?? 0) + termScore(idf, document.counts.get(term)!, document.terms.length, averageLength));
    }
  }
  return [...scores]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}
