import type { IndexHit } from "../../spec/search-index.js";

/** One row's vector as the index stores it, with the owner (scope_key) it belongs to. */
export interface ScopeVectorRow {
  id: string;
  scopeKey: string;
  vector: ArrayLike<number>;
}

/** One owner's vectors, packed: row i is `ids[i]`, `vectors[i * dims ..]`, `norms[i]`. */
interface ScopeEntry {
  ids: string[];
  slots: Map<string, number>;
  vectors: Float32Array;
  norms: Float64Array;
}

/** A write the index made to an owner while that owner's rows were being read. */
type WriteDuringRead = { kind: "upsert"; row: ScopeVectorRow } | { kind: "remove"; ids: readonly string[] };

interface Loading {
  /**
   * The writes that overlapped the read, in order: replayed onto what the read returned, so the
   * entry is current whichever of them the read already saw (an upsert by id and a delete of an
   * id give the same result applied twice). An owner written to on every request would
   * otherwise never be kept and be read again on every query.
   */
  writes: WriteDuringRead[];
  /** Set when the whole index was replaced meanwhile (clear): the read is answered, not kept. */
  stale: boolean;
  done: Promise<ScopeEntry>;
}

/**
 * The vectors of small owners, kept in memory so that an exact vector query over one of them is
 * a scan in JavaScript rather than a LanceDB query. Measured (bench/reports/load.md): a LanceDB
 * vector query over an owner of 100 memories costs 3-5 ms of CPU, nearly all of it fixed
 * overhead (planning, the scalar-index lookup, Arrow batches back to JavaScript), while
 * scanning 100 vectors of 128 dimensions takes microseconds; under 50 concurrent clients that
 * overhead was most of what searches queued behind.
 *
 * It mirrors the index, which stays the truth: an owner is read once from the table on its first
 * vector query, then kept current by the index's own writes (only this process writes the root).
 * A read that a write overlapped is answered but not kept. Owners are evicted least recently
 * used past `budgetBytes`.
 */
export class ScopeVectors {
  /** Least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly scopes = new Map<string, ScopeEntry>();
  private readonly loading = new Map<string, Loading>();
  private bytes = 0;

  constructor(
    private readonly dimensions: number,
    private readonly budgetBytes: number,
  ) {}

  /**
   * Whether an owner of `rows` rows is worth holding: at most half the budget, so that one big
   * owner leaves room for others (and one too big would be read on every query).
   */
  fits(rows: number): boolean {
    return rows * (this.dimensions * Float32Array.BYTES_PER_ELEMENT + Float64Array.BYTES_PER_ELEMENT) <= this.budgetBytes / 2;
  }

  /**
   * The owner's `limit` nearest rows by cosine, highest first (ties by id), reading the owner
   * with `read` first when it is not held.
   */
  async nearest(key: string, query: Float32Array, limit: number, read: () => Promise<ScopeVectorRow[]>): Promise<IndexHit[]> {
    const entry = this.touch(key) ?? (await this.load(key, read));
    return topByCosine(entry, query, this.dimensions, limit);
  }

  /** After the index wrote `rows` (insert or merge-insert by id). */
  upserted(rows: readonly ScopeVectorRow[]): void {
    for (const row of rows) {
      this.loading.get(row.scopeKey)?.writes.push({ kind: "upsert", row });
      const entry = this.scopes.get(row.scopeKey);
      if (entry !== undefined) this.put(row.scopeKey, entry, row.id, row.vector);
    }
  }

  /** After the index deleted `ids` (whose owners it does not say). */
  removed(ids: readonly string[]): void {
    for (const loading of this.loading.values()) loading.writes.push({ kind: "remove", ids });
    for (const entry of this.scopes.values()) removeIds(entry, ids, this.dimensions);
  }

  clear(): void {
    this.scopes.clear();
    for (const loading of this.loading.values()) loading.stale = true;
    this.bytes = 0;
  }

  /** Bytes held, for tests and metrics. */
  get heldBytes(): number {
    return this.bytes;
  }

  private touch(key: string): ScopeEntry | undefined {
    const entry = this.scopes.get(key);
    if (entry !== undefined) {
      this.scopes.delete(key);
      this.scopes.set(key, entry);
    }
    return entry;
  }

  private load(key: string, read: () => Promise<ScopeVectorRow[]>): Promise<ScopeEntry> {
    const pending = this.loading.get(key);
    if (pending !== undefined) return pending.done;
    const loading: Loading = {
      writes: [],
      stale: false,
      done: read()
        .then((rows) => {
          const entry = emptyEntry(rows.length, this.dimensions);
          for (const row of rows) appendSlot(entry, row.id, row.vector, this.dimensions);
          for (const write of loading.writes) {
            if (write.kind === "upsert") putSlot(entry, write.row.id, write.row.vector, this.dimensions);
            else removeIds(entry, write.ids, this.dimensions);
          }
          // Kept by the same rule that sends queries here (fits), as put() lets go by it.
          if (!loading.stale && this.fits(entry.ids.length)) {
            this.scopes.set(key, entry);
            this.bytes += this.bytesOf(entry);
            this.evict();
          }
          return entry;
        })
        .finally(() => this.loading.delete(key)),
    };
    this.loading.set(key, loading);
    return loading.done;
  }

  private put(key: string, entry: ScopeEntry, id: string, vector: ArrayLike<number>): void {
    const before = this.bytesOf(entry);
    putSlot(entry, id, vector, this.dimensions);
    this.bytes += this.bytesOf(entry) - before;
    if (!this.fits(entry.ids.length)) {
      // Grown past what queries send here (fits): held, it would only take memory.
      this.scopes.delete(key);
      this.bytes -= this.bytesOf(entry);
    } else if (this.bytes > this.budgetBytes) {
      // The owner that just grew is the most recently used; evict others first, then itself.
      this.touch(key);
      this.evict();
    }
  }

  private evict(): void {
    for (const [key, entry] of this.scopes) {
      if (this.bytes <= this.budgetBytes) return;
      this.scopes.delete(key);
      this.bytes -= this.bytesOf(entry);
    }
  }

  private bytesOf(entry: ScopeEntry): number {
    return entry.vectors.byteLength + entry.norms.byteLength;
  }
}

function emptyEntry(capacity: number, dimensions: number): ScopeEntry {
  const rows = Math.max(8, capacity);
  return { ids: [], slots: new Map(), vectors: new Float32Array(rows * dimensions), norms: new Float64Array(rows) };
}

/** Writes `id`'s vector: in its slot when the owner holds it, else in a new one. */
function putSlot(entry: ScopeEntry, id: string, vector: ArrayLike<number>, dimensions: number): void {
  const slot = entry.slots.get(id);
  if (slot === undefined) appendSlot(entry, id, vector, dimensions);
  else writeSlot(entry, slot, vector, dimensions);
}

function removeIds(entry: ScopeEntry, ids: readonly string[], dimensions: number): void {
  for (const id of ids) {
    const slot = entry.slots.get(id);
    if (slot !== undefined) removeSlot(entry, slot, dimensions);
  }
}

function appendSlot(entry: ScopeEntry, id: string, vector: ArrayLike<number>, dimensions: number): void {
  const slot = entry.ids.length;
  if (slot === entry.norms.length) {
    // Grow by half: owners grow one add at a time.
    const rows = Math.ceil(slot * 1.5);
    const vectors = new Float32Array(rows * dimensions);
    vectors.set(entry.vectors);
    const norms = new Float64Array(rows);
    norms.set(entry.norms);
    entry.vectors = vectors;
    entry.norms = norms;
  }
  entry.ids.push(id);
  entry.slots.set(id, slot);
  writeSlot(entry, slot, vector, dimensions);
}

function writeSlot(entry: ScopeEntry, slot: number, vector: ArrayLike<number>, dimensions: number): void {
  const offset = slot * dimensions;
  let squares = 0;
  for (let d = 0; d < dimensions; d++) {
    // Stored as float32, as the index stores it, so the cosine is the index's.
    const value = (entry.vectors[offset + d] = vector[d] ?? 0);
    squares += value * value;
  }
  entry.norms[slot] = Math.sqrt(squares);
}

/** Moves the last row into `slot`: order within an owner does not matter. */
function removeSlot(entry: ScopeEntry, slot: number, dimensions: number): void {
  const last = entry.ids.length - 1;
  entry.slots.delete(entry.ids[slot]!);
  if (slot !== last) {
    const movedId = entry.ids[last]!;
    entry.ids[slot] = movedId;
    entry.slots.set(movedId, slot);
    entry.vectors.copyWithin(slot * dimensions, last * dimensions, (last + 1) * dimensions);
    entry.norms[slot] = entry.norms[last]!;
  }
  entry.ids.pop();
}

/**
 * The `limit` best rows by cosine, highest first (ties by id). Only the best so far are kept,
 * in order: a row below the worst of them costs one comparison, so an owner of 10k rows is not
 * turned into 10k hit objects and sorted to return 10.
 */
function topByCosine(entry: ScopeEntry, query: Float32Array, dimensions: number, limit: number): IndexHit[] {
  let queryNorm = 0;
  for (let d = 0; d < dimensions; d++) queryNorm += query[d]! * query[d]!;
  queryNorm = Math.sqrt(queryNorm);
  const best: IndexHit[] = [];
  if (limit < 1) return best;
  const { ids, vectors, norms } = entry;
  for (let slot = 0; slot < ids.length; slot++) {
    const norm = norms[slot]! * queryNorm;
    // A zero vector matches nothing (the index gives it no distance either).
    if (!(norm > 0)) continue;
    const score = dot(vectors, slot * dimensions, query, dimensions) / norm;
    if (best.length === limit && !ranksAbove(score, ids[slot]!, best[limit - 1]!)) continue;
    let at = best.length === limit ? limit - 1 : best.length;
    while (at > 0 && ranksAbove(score, ids[slot]!, best[at - 1]!)) at--;
    if (best.length === limit) best.pop();
    best.splice(at, 0, { id: ids[slot]!, score });
  }
  return best;
}

/** vectors[offset ..] · query, four lanes at a time (about a third faster than one in V8). */
function dot(vectors: Float32Array, offset: number, query: Float32Array, dimensions: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let e = 0;
  let d = 0;
  for (; d + 3 < dimensions; d += 4) {
    a += vectors[offset + d]! * query[d]!;
    b += vectors[offset + d + 1]! * query[d + 1]!;
    c += vectors[offset + d + 2]! * query[d + 2]!;
    e += vectors[offset + d + 3]! * query[d + 3]!;
  }
  for (; d < dimensions; d++) a += vectors[offset + d]! * query[d]!;
  return a + b + c + e;
}

function ranksAbove(score: number, id: string, hit: IndexHit): boolean {
  return score > hit.score || (score === hit.score && id < hit.id);
}
