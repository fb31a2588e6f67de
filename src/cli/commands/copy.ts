import type { Backend } from "../../spec/backend.js";
import type { Embedder } from "../../spec/embedder.js";
import { ValidationError } from "../../spec/errors.js";
import type { RecordChange } from "../../spec/memory-store.js";
import type { MemoryRecord } from "../../spec/types.js";
import { EmbeddedBackend } from "../../store/embedded/embedded-backend.js";
import { PostgresMemoryBackend } from "../../store/postgres/postgres-memory-backend.js";
import type { MemoryConfig } from "../../config/schema.js";
import { defaultEmbedder } from "../../memory.js";
import { UsageError, type CliValues } from "../args.js";
import { emit, type Output } from "../output.js";
import { progressReporter, type ProgressReporter } from "../progress.js";

export interface CopyOptions {
  /** Embeds the copied texts for the target's index (the configured embedder). */
  embedder: Embedder;
  /** Records read, checked and written per step (default 200). */
  batchSize?: number;
  progress?: ProgressReporter;
}

export interface CopySummary {
  from: string;
  to: string;
  /** Memories in the source. */
  memories: number;
  /** Written to the target by this run. */
  copied: number;
  /** Already in the target (an earlier, interrupted run copied them). */
  skipped: number;
  /** Memories the target held without their index entry (a run died between the two) and were indexed now. */
  reindexed: number;
  seconds: number;
}

const DEFAULT_BATCH = 200;

/** A root folder, or a `postgres://` URL: the backend that lives there (not opened). */
export function backendAt(location: string, postgres: { poolSize?: number; schema?: string; vectors?: boolean } = {}): Backend {
  if (/^postgres(ql)?:\/\//.test(location)) {
    const { vectors, ...connection } = postgres;
    return new PostgresMemoryBackend({ url: location, ...connection, ...(vectors === undefined ? {} : { index: { vectors } }) });
  }
  if (location.includes("://")) {
    throw new ValidationError(`copy goes to a root folder or a postgres:// URL (got ${JSON.stringify(location)})`, { details: { path: "to" } });
  }
  return new EmbeddedBackend({ root: location });
}

/**
 * Copies every memory of `source` into `target` with its id, timestamps, metadata and history
 * (store.apply adds carrying the source's history rows), and indexes it in the target's own
 * index with `embedder`. Both backends must be open. Idempotent by memory id: what the target
 * holds already is skipped, so a rerun after an interrupt copies only what is missing. Memories
 * are read oldest first, so an embedded target's daily logs get their entries in creation order.
 */
export async function copyMemories(source: Backend, target: Backend, options: CopyOptions): Promise<CopySummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const embedder = options.embedder;
  await target.index.open({ model: embedder.model, dimensions: embedder.dimensions });
  // A run that died between writing records and indexing them left index work owed: finish it first.
  const reindexed = await finishOwedIndexing(target, embedder, batchSize);

  const total = await source.store.count();
  options.progress?.start(total, "copy");
  let copied = 0;
  let skipped = 0;
  try {
    for await (const batch of recordBatches(source, batchSize)) {
      const present = new Set((await target.store.getMany(batch.map((record) => record.id))).map((record) => record.id));
      const missing = batch.filter((record) => !present.has(record.id));
      skipped += batch.length - missing.length;
      if (missing.length > 0) {
        const changes: RecordChange[] = [];
        for (const record of missing) changes.push({ op: "add", record, history: await source.store.history(record.id) });
        // Embedded before the write: an embedding failure then leaves nothing half copied.
        const vectors = await embedder.embed(missing.map((record) => record.text));
        const applied = await target.store.apply(changes);
        await target.index.insert(missing.map((record, i) => ({ record, vector: vectors[i]! })));
        if (applied.jobs.length > 0) await target.store.completeIndexJobs(applied.jobs.map((job) => job.seq));
        copied += missing.length;
      }
      options.progress?.tick(batch.length);
    }
    await target.index.idle();
  } finally {
    options.progress?.stop();
  }
  return {
    from: source.describe().location,
    to: target.describe().location,
    memories: total,
    copied,
    skipped,
    reindexed,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** Oldest first when the backend can list that way; else in the store's scan order. */
async function* recordBatches(backend: Backend, batchSize: number): AsyncIterable<MemoryRecord[]> {
  if (backend.recordsInCreationOrder === undefined) {
    yield* backend.store.scan(batchSize);
    return;
  }
  let batch: MemoryRecord[] = [];
  for await (const record of backend.recordsInCreationOrder(undefined, batchSize)) {
    batch.push(record);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Indexes the records the target's store says its index still owes (upserts; deletes of ids it never had are skipped). */
async function finishOwedIndexing(target: Backend, embedder: Embedder, batchSize: number): Promise<number> {
  let done = 0;
  for (;;) {
    const jobs = await target.store.pendingIndexJobs(batchSize);
    if (jobs.length === 0) return done;
    const records = await target.store.getMany(jobs.filter((job) => job.op === "upsert").map((job) => job.memoryId));
    if (records.length > 0) {
      const vectors = await embedder.embed(records.map((record) => record.text));
      await target.index.upsert(records.map((record, i) => ({ record, vector: vectors[i]! })));
    }
    const removed = jobs.filter((job) => job.op === "delete").map((job) => job.memoryId);
    if (removed.length > 0) await target.index.remove(removed);
    await target.store.completeIndexJobs(jobs.map((job) => job.seq));
    done += records.length;
    // PostgreSQL's owed jobs are rows without an embedding: an upsert clears them, so the loop ends.
    if (records.length === 0 && removed.length === 0) return done;
  }
}

/**
 * `omnimem copy --to <root | postgres://...> [--from <root | postgres://...>]`: the source is
 * the configured backend unless `--from` names another. Neither side may be in use by a server
 * that writes meanwhile (an embedded root is locked anyway).
 */
export async function copyCommand(config: MemoryConfig, values: CliValues, output: Output): Promise<number> {
  if (values.to === undefined) throw new UsageError("copy needs --to <root folder | postgres://...>");
  // `[store] vectors = false` (a PostgreSQL without pgvector) holds for the copy's PostgreSQL side too.
  const postgres = { poolSize: config.store.poolSize, schema: config.store.schema, vectors: config.store.vectors };
  const from = values.from ?? (config.store.backend === "postgres" ? config.store.url! : config.root);
  if (from === values.to) throw new UsageError("copy needs --to to differ from the source");
  const source = backendAt(from, postgres);
  const target = backendAt(values.to, postgres);
  const embedder = defaultEmbedder(config);
  await embedder.ready();
  await source.open();
  try {
    await target.open();
    try {
      const progress = progressReporter({ enabled: !output.json && process.stderr.isTTY === true });
      const summary = await copyMemories(source, target, { embedder, progress });
      emit(
        output,
        summary,
        () =>
          `copied ${summary.copied} of ${summary.memories} memories from ${summary.from} to ${summary.to} in ${summary.seconds} s` +
          (summary.skipped > 0 ? ` (${summary.skipped} were there already)` : ""),
      );
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
