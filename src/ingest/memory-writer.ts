import type { Logger } from "../log.js";
import type { Embedder } from "../spec/embedder.js";
import type { IndexJob, MemoryStore, RecordChange } from "../spec/memory-store.js";
import type { IndexDocument, SearchIndex } from "../spec/search-index.js";
import type { HistoryEntry, MemoryRecord } from "../spec/types.js";
import { PendingVectors } from "../store/pending-aware-index.js";
import { BackgroundRetry } from "./background-retry.js";

const REPLAY_BATCH = 500;

export interface MemoryWriterOptions {
  logger?: Logger;
  /** Vectors of records whose index write is pending, shared with search (PendingAwareIndex). */
  pendingVectors?: PendingVectors;
  /** Backoff of the background retry of failed index writes. Default 500 ms doubling to 60 s. */
  retry?: { minDelayMs?: number; maxDelayMs?: number };
}

/**
 * The one write path: embed first (a failing embedder writes nothing), then the store (truth,
 * catalog, history, index jobs), then the index, then the jobs are marked done.
 *
 * A write is done once the store has committed it: it is durable from then on, and what the
 * index still owes is in the store's outbox. When the index step fails, the write still
 * succeeds; the outbox is retried in the background with backoff until the index takes it, and
 * search meanwhile finds the memory from the store (PendingAwareIndex). Failing the call instead
 * would report an error for a memory that exists, and a client's retry would store it twice.
 * Jobs left by a crash between the two steps are replayed at open (`replay()`).
 */
export class MemoryWriter {
  readonly pendingVectors: PendingVectors;
  private readonly logger: Logger | undefined;
  private readonly retry: BackgroundRetry;
  /**
   * Memories whose write is between the store and the index, by how many writes hold each. A
   * replay leaves their jobs alone: the write's own `insert` after a replay's upsert of the
   * same id would put the row into the index twice.
   */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly store: MemoryStore,
    private readonly index: SearchIndex,
    private readonly embedder: Embedder,
    options: MemoryWriterOptions = {},
  ) {
    this.logger = options.logger;
    this.pendingVectors = options.pendingVectors ?? new PendingVectors();
    this.retry = new BackgroundRetry(async () => void (await this.replayOwed()), {
      minDelayMs: options.retry?.minDelayMs ?? 500,
      maxDelayMs: options.retry?.maxDelayMs ?? 60_000,
      ...(this.logger === undefined ? {} : { logger: this.logger }),
      what: "search index catch-up",
      expected: (error) => error instanceof WritesInFlight,
    });
  }

  async write(changes: readonly RecordChange[]): Promise<HistoryEntry[]> {
    if (changes.length === 0) return [];
    const embedded = changes.flatMap((change) => (change.op === "delete" ? [] : [change.record]));
    const vectors = await this.embedder.embed(embedded.map((record) => record.text));
    const documents = embedded.map((record, i): IndexDocument => ({ record, vector: vectors[i]! }));
    const ids = changes.map((change) => (change.op === "delete" ? change.id : change.record.id));
    this.enter(ids);
    let indexFailed = false;
    try {
      this.pendingVectors.remember(documents);
      let applied;
      try {
        applied = await this.store.apply(changes);
      } catch (error) {
        this.pendingVectors.forget(embedded);
        throw error;
      }
      try {
        const vectorOf = new Map(documents.map((doc) => [doc.record.id, doc.vector]));
        const of = (op: "add" | "update") =>
          changes.flatMap((change) => (change.op === op ? [{ record: change.record, vector: vectorOf.get(change.record.id)! }] : []));
        await this.index.insert(of("add"));
        await this.index.upsert(of("update"));
        await this.index.remove(changes.flatMap((change) => (change.op === "delete" ? [change.id] : [])));
        await this.store.completeIndexJobs(applied.jobs.map((job) => job.seq));
        this.pendingVectors.forget(embedded);
      } catch (error) {
        indexFailed = true;
        this.logger?.warn({ err: error, memories: ids.length }, "search index write failed; the memories are stored and the index catches up in the background");
      }
      return applied.history;
    } finally {
      this.leave(ids);
      // Scheduled once the ids are no longer in flight, so the retry may take their jobs.
      if (indexFailed) this.retry.schedule();
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

  /** Resolves once the background retry has nothing left to do. */
  idle(): Promise<void> {
    return this.retry.idle();
  }

  /** Stops the background retry (what it has not done stays in the outbox for the next open). */
  close(): Promise<void> {
    return this.retry.stop();
  }

  private async replayOwed(): Promise<number> {
    let replayed = 0;
    let limit = REPLAY_BATCH;
    for (;;) {
      const owed = await this.store.pendingIndexJobs(limit);
      const jobs = owed.filter((job) => !this.inFlight.has(job.memoryId)).slice(0, REPLAY_BATCH);
      const waiting = owed.length - owed.filter((job) => !this.inFlight.has(job.memoryId)).length;
      if (jobs.length === 0) {
        // Jobs of writes in flight are theirs to finish; an older job for the same memory (a
        // failed write before) is not, so come back for it once those writes are done.
        if (waiting > 0) throw new WritesInFlight(waiting);
        return replayed;
      }
      await this.replayBatch(jobs);
      replayed += jobs.length;
      // Jobs of writes in flight stay at the head of the outbox: ask for enough to see past them.
      limit = waiting + REPLAY_BATCH;
    }
  }

  private async replayBatch(jobs: IndexJob[]): Promise<void> {
    // Only the record's current state matters: present means upsert, gone means remove.
    const ids = [...new Set(jobs.map((job) => job.memoryId))];
    this.enter(ids);
    try {
      const records: MemoryRecord[] = await this.store.getMany(ids);
      const present = new Set(records.map((record) => record.id));
      // The vectors of a failed write are still at hand; only the others are embedded again.
      const vectorOf = new Map<string, Float32Array>();
      const missing: MemoryRecord[] = [];
      for (const record of records) {
        const vector = this.pendingVectors.get(record);
        if (vector === undefined) missing.push(record);
        else vectorOf.set(record.id, vector);
      }
      const embedded = await this.embedder.embed(missing.map((record) => record.text));
      missing.forEach((record, i) => vectorOf.set(record.id, embedded[i]!));
      await this.index.upsert(records.map((record) => ({ record, vector: vectorOf.get(record.id)! })));
      await this.index.remove(ids.filter((id) => !present.has(id)));
      await this.store.completeIndexJobs(jobs.map((job) => job.seq));
      this.pendingVectors.forget(records);
    } finally {
      this.leave(ids);
    }
  }

  private enter(ids: readonly string[]): void {
    for (const id of ids) this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
  }

  private leave(ids: readonly string[]): void {
    for (const id of ids) {
      const count = (this.inFlight.get(id) ?? 1) - 1;
      if (count === 0) this.inFlight.delete(id);
      else this.inFlight.set(id, count);
    }
  }
}

/** The outbox still holds jobs of memories other writes are working on: try again later. */
export class WritesInFlight extends Error {
  constructor(readonly jobs: number) {
    super(`${jobs} index jobs wait for writes in flight`);
  }
}
