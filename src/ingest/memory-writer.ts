import type { Logger } from "../log.js";
import type { Embedder } from "../spec/embedder.js";
import type { IndexJob, MemoryStore, RecordChange } from "../spec/memory-store.js";
import type { IndexDocument, SearchIndex } from "../spec/search-index.js";
import type { HistoryEntry, MemoryRecord } from "../spec/types.js";
import { PendingVectors } from "../store/pending-aware-index.js";
import { BackgroundRetry } from "./background-retry.js";

const REPLAY_BATCH = 500;
/**
 * Index jobs this process may owe before a write waits for the index to catch up: search scores
 * owed memories by brute force (PendingAwareIndex), so the backlog must stay small. Not applied
 * while the index is failing: the write is durable and the backlog is bounded per query.
 */
const MAX_OWED_JOBS = 2_000;
/**
 * Shortest time between two index writes (the group-commit window). Each LanceDB write is a new
 * table version, and queries after a new version pay to load it again: in-process, 20 concurrent
 * hybrid searches ran at 203/s with no index write, at 35/s while each add (one every 20 ms) was
 * written at once, and at 58/s and 88/s with a window of 1 s and 3 s (bench/lance-versions.ts
 * shows the effect in LanceDB alone). Owed memories are found meanwhile through the store
 * (PendingAwareIndex), so the window costs search no freshness; a full backlog, `idle()` and
 * `close()` end it early.
 */
const INDEX_WRITE_INTERVAL_MS = 3_000;

export interface MemoryWriterOptions {
  logger?: Logger;
  /** Vectors of records whose index write is pending, shared with search (PendingAwareIndex). */
  pendingVectors?: PendingVectors;
  /** Backoff of the background retry of failed index writes. Default 500 ms doubling to 60 s. */
  retry?: { minDelayMs?: number; maxDelayMs?: number };
  /** Shortest time between two index writes, in ms (default 3 s; see INDEX_WRITE_INTERVAL_MS). */
  indexWriteIntervalMs?: number;
}

/**
 * The one write path: embed first (a failing embedder writes nothing), then the store (truth,
 * catalog, history, index jobs). A write is done once the store has committed it: it is durable
 * from then on, and what the index owes is in the store's outbox.
 *
 * The index is written behind (group commit): a write hands its jobs to one background flusher
 * and returns; the flusher takes every job owed at that moment into one index write, so writes
 * arriving together share one LanceDB commit (fewer, larger fragments) and no write waits for
 * one. Search meanwhile finds owed memories from the store (PendingAwareIndex), so a search right
 * after an add sees it. When an index write fails the flusher backs off and retries until the
 * index takes it. Jobs left by a crash are replayed at open (`replay()`).
 *
 * A store without an outbox (it returns no jobs, e.g. PostgreSQL, where the row is the index)
 * gets the index write inside the call, as its search cannot see owed work.
 */
export class MemoryWriter {
  readonly pendingVectors: PendingVectors;
  private readonly logger: Logger | undefined;
  private readonly retry: BackgroundRetry;
  /** Added by this process and not indexed yet: the flusher appends them instead of merging. */
  private readonly neverIndexed = new Set<string>();
  /** Jobs this process committed and the flusher has not completed (for back pressure). */
  private owed = 0;
  /** Set while index writes fail: writes then do not wait for the backlog to shrink. */
  private indexFailing = false;
  /** Writes waiting for the backlog to shrink, woken after each index batch. */
  private waiters: (() => void)[] = [];
  private readonly indexWriteIntervalMs: number;
  /** When the last index write started (ms since the epoch). */
  private lastIndexWrite = 0;
  /** Ends the wait for the next window at once (a full backlog, idle, close). */
  private endWindow: (() => void) | undefined;
  /** Callers of idle() waiting: no window is waited for until they are done. */
  private waitingForIdle = 0;
  /** Set by close(): the owed writes go at once. */
  private closing = false;

  constructor(
    private readonly store: MemoryStore,
    private readonly index: SearchIndex,
    private readonly embedder: Embedder,
    options: MemoryWriterOptions = {},
  ) {
    this.logger = options.logger;
    this.pendingVectors = options.pendingVectors ?? new PendingVectors();
    this.indexWriteIntervalMs = options.indexWriteIntervalMs ?? INDEX_WRITE_INTERVAL_MS;
    this.retry = new BackgroundRetry(
      async () => {
        try {
          await this.replayOwed(true);
          this.indexFailing = false;
        } catch (error) {
          this.indexFailing = true;
          throw error;
        } finally {
          this.wake();
        }
      },
      {
        minDelayMs: options.retry?.minDelayMs ?? 500,
        maxDelayMs: options.retry?.maxDelayMs ?? 60_000,
        ...(this.logger === undefined ? {} : { logger: this.logger }),
        what: "search index write",
      },
    );
  }

  async write(changes: readonly RecordChange[]): Promise<HistoryEntry[]> {
    if (changes.length === 0) return [];
    while (this.owed >= MAX_OWED_JOBS && !this.indexFailing) {
      this.endWindow?.();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const embedded = changes.flatMap((change) => (change.op === "delete" ? [] : [change.record]));
    const vectors = await this.embedder.embed(embedded.map((record) => record.text));
    const documents = embedded.map((record, i): IndexDocument => ({ record, vector: vectors[i]! }));
    const added = changes.flatMap((change) => (change.op === "add" && !this.neverIndexed.has(change.record.id) ? [change.record.id] : []));
    this.pendingVectors.remember(documents);
    for (const id of added) this.neverIndexed.add(id);
    let applied;
    try {
      applied = await this.store.apply(changes);
    } catch (error) {
      this.pendingVectors.forget(embedded);
      for (const id of added) this.neverIndexed.delete(id);
      throw error;
    }
    if (applied.jobs.length === 0) {
      for (const id of added) this.neverIndexed.delete(id);
      await this.writeThrough(changes, documents);
      return applied.history;
    }
    this.owed += applied.jobs.length;
    this.retry.schedule();
    return applied.history;
  }

  /** The index write of a store that keeps no outbox: in the call, as before write-behind. */
  private async writeThrough(changes: readonly RecordChange[], documents: readonly IndexDocument[]): Promise<void> {
    const vectorOf = new Map(documents.map((doc) => [doc.record.id, doc.vector]));
    const of = (op: "add" | "update") =>
      changes.flatMap((change) => (change.op === op ? [{ record: change.record, vector: vectorOf.get(change.record.id)! }] : []));
    try {
      await this.index.insert(of("add"));
      await this.index.upsert(of("update"));
      await this.index.remove(changes.flatMap((change) => (change.op === "delete" ? [change.id] : [])));
    } finally {
      this.pendingVectors.forget(documents.map((doc) => doc.record));
    }
  }

  /**
   * Index work committed to the store but not acknowledged by the index (a crash in between, or
   * an index write that failed). Throws when the index fails; `catchUpInBackground()` retries.
   */
  async replay(): Promise<number> {
    return this.replayOwed();
  }

  /** Retries the outbox in the background with backoff until the index has taken all of it. */
  catchUpInBackground(): void {
    this.retry.schedule();
  }

  /** Resolves once the background retry has nothing left to do (the owed writes go at once). */
  async idle(): Promise<void> {
    this.waitingForIdle++;
    this.endWindow?.();
    try {
      await this.retry.idle();
    } finally {
      this.waitingForIdle--;
    }
  }

  /**
   * Stops the background flusher, then tries once more to hand the index what is owed, so the
   * next open has nothing to replay (and need not embed those memories again). What the index
   * does not take stays in the outbox for the next open.
   */
  async close(): Promise<void> {
    this.closing = true;
    const stopped = this.retry.stop();
    this.endWindow?.();
    await stopped;
    try {
      await this.replayOwed();
    } catch (error) {
      this.logger?.warn({ err: error }, "the search index did not take the owed writes at close; they are replayed at the next open");
    }
    this.wake();
  }

  /**
   * Waits until the window since the last index write has passed (or something ends it early),
   * and marks the write about to start; true when it waited.
   */
  private async nextWindow(): Promise<boolean> {
    const wait = this.lastIndexWrite + this.indexWriteIntervalMs - Date.now();
    const waits = wait > 0 && this.waitingForIdle === 0 && !this.closing;
    if (waits) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.endWindow = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.endWindow = undefined;
    }
    this.lastIndexWrite = Date.now();
    return waits;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Hands the index every owed job, in batches; `windowed`: each batch waits for its window (the flusher). */
  private async replayOwed(windowed = false): Promise<number> {
    let replayed = 0;
    for (;;) {
      let jobs = await this.store.pendingIndexJobs(REPLAY_BATCH);
      if (jobs.length === 0) return replayed;
      // Writes that arrived during the wait join this batch.
      if (windowed && (await this.nextWindow())) jobs = await this.store.pendingIndexJobs(REPLAY_BATCH);
      await this.replayBatch(jobs);
      replayed += jobs.length;
      this.wake();
    }
  }

  private async replayBatch(jobs: IndexJob[]): Promise<void> {
    // Only the record's current state matters: present means write it, gone means remove it.
    const ids = [...new Set(jobs.map((job) => job.memoryId))];
    const records: MemoryRecord[] = await this.store.getMany(ids);
    const present = new Set(records.map((record) => record.id));
    // The vectors the writes computed are still at hand; only the others are embedded again.
    const vectorOf = new Map<string, Float32Array>();
    const missing: MemoryRecord[] = [];
    for (const record of records) {
      const vector = this.pendingVectors.get(record);
      if (vector === undefined) missing.push(record);
      else vectorOf.set(record.id, vector);
    }
    const embedded = await this.embedder.embed(missing.map((record) => record.text));
    missing.forEach((record, i) => vectorOf.set(record.id, embedded[i]!));
    const documents = records.map((record) => ({ record, vector: vectorOf.get(record.id)! }));
    // A memory this process added and never indexed is appended (cheap); any other is merged on
    // its id, so a replay after a crash cannot put a row in twice.
    const fresh = documents.filter((doc) => this.neverIndexed.has(doc.record.id));
    await this.index.insert(fresh);
    for (const doc of fresh) this.neverIndexed.delete(doc.record.id);
    await this.index.upsert(documents.filter((doc) => !fresh.includes(doc)));
    await this.index.remove(ids.filter((id) => !present.has(id)));
    for (const id of ids) if (!present.has(id)) this.neverIndexed.delete(id);
    await this.store.completeIndexJobs(jobs.map((job) => job.seq));
    this.owed = Math.max(0, this.owed - jobs.length);
    this.pendingVectors.forget(records);
  }
}
