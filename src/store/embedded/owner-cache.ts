/** One row of the index as an owner cache holds it: its id and the owner (scope_key) it belongs to. */
export interface OwnerRow {
  id: string;
  scopeKey: string;
}

/** How one kind of per-owner entry is built, changed and measured. */
export interface OwnerEntryKind<Row extends OwnerRow, Entry> {
  /** An entry holding `rows` (an owner as read from the table). */
  create(rows: readonly Row[]): Entry;
  /** Writes `row` into the entry, replacing the row of the same id if it holds one. */
  put(entry: Entry, row: Row): void;
  remove(entry: Entry, ids: readonly string[]): void;
  rows(entry: Entry): number;
  bytes(entry: Entry): number;
  /** The bytes an owner of `rows` rows is expected to take: decides, before reading it, whether it is held. */
  expectedBytes(rows: number): number;
}

/** How many once-missed owners prefetch remembers. */
const RECENT_MISSES = 1024;
/** A prefetch does not evict an owner searched this recently. */
const PREFETCH_SPARES_MS = 30_000;

/** A write the index made to an owner while that owner's rows were being read. */
type WriteDuringRead<Row> = { kind: "upsert"; row: Row } | { kind: "remove"; ids: readonly string[] };

interface Loading<Row, Entry> {
  /**
   * The writes that overlapped the read, in order: replayed onto what the read returned, so the
   * entry is current whichever of them the read already saw (an upsert by id and a delete of an
   * id give the same result applied twice). An owner written to on every request would
   * otherwise never be kept and be read again on every query.
   */
  writes: WriteDuringRead<Row>[];
  /** Set when the whole index was replaced meanwhile (clear): the read is answered, not kept. */
  stale: boolean;
  done: Promise<Entry>;
}

/**
 * Small owners' rows kept in memory, so that a query over one of them is a scan in JavaScript
 * rather than a LanceDB query. Measured (bench/reports/load.md): a LanceDB query over an owner
 * of 100 memories costs 3-5 ms of CPU, nearly all of it fixed overhead (planning, the
 * scalar-index lookup, Arrow batches back to JavaScript), and under load it waits several turns
 * of the event loop for its batches; scanning 100 rows takes microseconds.
 *
 * It mirrors the index, which stays the truth: an owner is read once from the table on its first
 * query, then kept current by the index's own writes (only this process writes the root). Owners
 * are evicted least recently used past `budgetBytes`. What an entry holds (vectors, terms) is
 * the `kind`'s business.
 */
export class OwnerCache<Row extends OwnerRow, Entry> {
  /** Least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly owners = new Map<string, Entry>();
  private readonly loading = new Map<string, Loading<Row, Entry>>();
  /** When each held owner was last searched (or read). */
  private readonly lastUsed = new Map<string, number>();
  /** Owners missed once by prefetch, oldest first. */
  private readonly recentMisses = new Set<string>();
  private bytes = 0;

  constructor(
    private readonly kind: OwnerEntryKind<Row, Entry>,
    private readonly budgetBytes: number,
  ) {}

  /**
   * Whether an owner of `rows` rows is worth holding: at most half the budget, so that one big
   * owner leaves room for others (and one too big would be read on every query).
   */
  fits(rows: number): boolean {
    return this.kind.expectedBytes(rows) <= this.budgetBytes / 2;
  }

  /** The owner's entry, read with `read` first when it is not held. */
  entry(key: string, read: () => Promise<Row[]>): Promise<Entry> {
    const entry = this.touch(key);
    return entry === undefined ? this.load(key, read) : Promise.resolve(entry);
  }

  /** The owner's entry when it is held (counts as a use), else undefined: no read. */
  held(key: string): Entry | undefined {
    return this.touch(key);
  }

  /**
   * For a kind whose read costs more than the query it would serve (the miss is answered another
   * way): starts reading the owner in the background on its second miss among the last
   * RECENT_MISSES, one read at a time, and only when it would not evict an owner searched in the
   * last PREFETCH_SPARES_MS. An owner searched once and not again then costs no read at all; and
   * owners searched in turn, more than the budget holds, do not evict one another on every query
   * (least recently used evicts the next one to be asked for), each read to be thrown away.
   */
  prefetch(key: string, rows: number, read: () => Promise<Row[]>): Promise<void> {
    if (this.owners.has(key) || this.loading.size > 0) return Promise.resolve();
    if (this.bytes + this.kind.expectedBytes(rows) > this.budgetBytes && !this.leastRecentIdle()) return Promise.resolve();
    if (!this.recentMisses.delete(key)) {
      this.recentMisses.add(key);
      if (this.recentMisses.size > RECENT_MISSES) this.recentMisses.delete(this.recentMisses.values().next().value!);
      return Promise.resolve();
    }
    return this.load(key, read).then(() => undefined);
  }

  /** After the index wrote `rows` (insert or merge-insert by id). */
  upserted(rows: readonly Row[]): void {
    for (const row of rows) {
      this.loading.get(row.scopeKey)?.writes.push({ kind: "upsert", row });
      const entry = this.owners.get(row.scopeKey);
      if (entry !== undefined) this.put(row.scopeKey, entry, row);
    }
  }

  /** After the index deleted `ids` (whose owners it does not say). */
  removed(ids: readonly string[]): void {
    for (const loading of this.loading.values()) loading.writes.push({ kind: "remove", ids });
    for (const entry of this.owners.values()) {
      const before = this.kind.bytes(entry);
      this.kind.remove(entry, ids);
      this.bytes += this.kind.bytes(entry) - before;
    }
  }

  clear(): void {
    this.owners.clear();
    this.lastUsed.clear();
    for (const loading of this.loading.values()) loading.stale = true;
    this.bytes = 0;
  }

  /** The entries held, for a kind that looks across owners. */
  protected entries(): IterableIterator<Entry> {
    return this.owners.values();
  }

  /** One owner's entry if held, without counting as a use (a write looking, not a search). */
  protected peek(key: string): Entry | undefined {
    return this.owners.get(key);
  }

  /** Bytes held, for tests and metrics. */
  get heldBytes(): number {
    return this.bytes;
  }

  private touch(key: string): Entry | undefined {
    const entry = this.owners.get(key);
    if (entry !== undefined) {
      this.owners.delete(key);
      this.owners.set(key, entry);
      this.lastUsed.set(key, Date.now());
    }
    return entry;
  }

  /** Whether the owner eviction would take first has gone unsearched for PREFETCH_SPARES_MS. */
  private leastRecentIdle(): boolean {
    const [oldest] = this.owners.keys();
    return oldest === undefined || Date.now() - (this.lastUsed.get(oldest) ?? 0) >= PREFETCH_SPARES_MS;
  }

  private load(key: string, read: () => Promise<Row[]>): Promise<Entry> {
    const pending = this.loading.get(key);
    if (pending !== undefined) return pending.done;
    const loading: Loading<Row, Entry> = {
      writes: [],
      stale: false,
      done: read()
        .then((rows) => {
          const entry = this.kind.create(rows);
          for (const write of loading.writes) {
            if (write.kind === "upsert") this.kind.put(entry, write.row);
            else this.kind.remove(entry, write.ids);
          }
          // Kept by the same rule that sends queries here (fits), as put() lets go by it.
          if (!loading.stale && this.fits(this.kind.rows(entry))) {
            this.owners.set(key, entry);
            this.lastUsed.set(key, Date.now());
            this.bytes += this.kind.bytes(entry);
            this.evict();
          }
          return entry;
        })
        .finally(() => this.loading.delete(key)),
    };
    this.loading.set(key, loading);
    return loading.done;
  }

  private put(key: string, entry: Entry, row: Row): void {
    const before = this.kind.bytes(entry);
    this.kind.put(entry, row);
    this.bytes += this.kind.bytes(entry) - before;
    if (!this.fits(this.kind.rows(entry))) {
      // Grown past what queries send here (fits): held, it would only take memory.
      this.drop(key, entry);
    } else if (this.bytes > this.budgetBytes) {
      // The owner that just grew is the most recently used; evict others first, then itself.
      this.touch(key);
      this.evict();
    }
  }

  private drop(key: string, entry: Entry): void {
    this.owners.delete(key);
    this.lastUsed.delete(key);
    this.bytes -= this.kind.bytes(entry);
  }

  private evict(): void {
    for (const [key, entry] of this.owners) {
      if (this.bytes <= this.budgetBytes) return;
      this.drop(key, entry);
    }
  }
}
