import { inverseDocumentFrequency } from "../../text/bm25.js";

/**
 * The statistics BM25 needs from the whole table: how many rows, their mean length in terms, and
 * how many rows hold each term. Built once by reading the full-text column of every row, then
 * kept by the index's writes. A row deleted whose terms are not held (its owner is not in
 * ScopeTerms) stays counted, and one updated is counted again with its new terms: these are
 * statistics, not results, and a handful of stale rows among thousands moves an IDF by a hair;
 * the next process counts afresh.
 */
export class CorpusStats {
  private readonly frequencies = new Map<string, number>();
  private rows = 0;
  private totalLength = 0;

  add(terms: readonly string[]): void {
    this.rows += 1;
    this.totalLength += terms.length;
    for (const term of new Set(terms)) this.frequencies.set(term, (this.frequencies.get(term) ?? 0) + 1);
  }

  remove(terms: readonly string[]): void {
    this.rows = Math.max(0, this.rows - 1);
    this.totalLength = Math.max(0, this.totalLength - terms.length);
    for (const term of new Set(terms)) {
      const left = (this.frequencies.get(term) ?? 0) - 1;
      if (left > 0) this.frequencies.set(term, left);
      else this.frequencies.delete(term);
    }
  }

  idf(term: string): number {
    const containing = this.frequencies.get(term) ?? 0;
    return inverseDocumentFrequency(Math.max(this.rows, containing), containing);
  }

  get averageLength(): number {
    return this.rows === 0 ? 1 : this.totalLength / this.rows || 1;
  }
}
