import type { Embedder } from "../spec/embedder.js";
import type { IndexJob, MemoryStore, RecordChange } from "../spec/memory-store.js";
import type { SearchIndex } from "../spec/search-index.js";
import type { HistoryEntry, MemoryRecord } from "../spec/types.js";

const REPLAY_BATCH = 500;

/**
 * The one write path: embed first (a failing embedder writes nothing), then the store (truth,
 * catalog, history, index jobs), then the index, then the jobs are marked done. Jobs left by
 * a crash between the last two steps are replayed by `replay()`.
 */
export class MemoryWriter {
  constructor(
    private readonly store: MemoryStore,
    private readonly index: SearchIndex,
    private readonly embedder: Embedder,
  ) {}

  async write(changes: readonly RecordChange[]): Promise<HistoryEntry[]> {
    if (changes.length === 0) return [];
    const embedded = changes.flatMap((change) => (change.op === "delete" ? [] : [change.record]));
    const vectors = await this.embedder.embed(embedded.map((record) => record.text));
    const vectorOf = new Map(embedded.map((record, i) => [record.id, vectors[i]!]));
    const { jobs, history } = await this.store.apply(changes);
    const documents = (op: "add" | "update") =>
      changes.flatMap((change) => (change.op === op ? [{ record: change.record, vector: vectorOf.get(change.record.id)! }] : []));
    await this.index.insert(documents("add"));
    await this.index.upsert(documents("update"));
    await this.index.remove(changes.flatMap((change) => (change.op === "delete" ? [change.id] : [])));
    await this.store.completeIndexJobs(jobs.map((job) => job.seq));
    return history;
  }

  /** Index work committed to the store but not acknowledged by the index (a crash in between). */
  async replay(): Promise<number> {
    let replayed = 0;
    for (;;) {
      const jobs = await this.store.pendingIndexJobs(REPLAY_BATCH);
      if (jobs.length === 0) return replayed;
      await this.replayBatch(jobs);
      replayed += jobs.length;
    }
  }

  private async replayBatch(jobs: IndexJob[]): Promise<void> {
    // Only the record's current state matters: present means upsert, gone means remove.
    const ids = [...new Set(jobs.map((job) => job.memoryId))];
    const records: MemoryRecord[] = await this.store.getMany(ids);
    const present = new Set(records.map((record) => record.id));
    const vectors = await this.embedder.embed(records.map((record) => record.text));
    await this.index.upsert(records.map((record, i) => ({ record, vector: vectors[i]! })));
    await this.index.remove(ids.filter((id) => !present.has(id)));
    await this.store.completeIndexJobs(jobs.map((job) => job.seq));
  }
}
