import type { MemoryConfig } from "../config/schema.js";
import { FactReconciler } from "../extract/reconciler.js";
import type { Logger } from "../log.js";
import { localEmbedderOfModel } from "../providers/embedding/local-choice.js";
import { defaultFusion, defaultVectorWeight } from "../search/fusion-weights.js";
import { SearchEngine } from "../search/search-engine.js";
import { vectorQueryFor } from "../search/vector-query.js";
import type { Backend } from "../spec/backend.js";
import type { Embedder } from "../spec/embedder.js";
import type { StructuredModel } from "../spec/llm.js";
import { PendingAwareIndex, PendingVectors } from "../store/pending-aware-index.js";
import { BoundaryJudge } from "./boundary-judge.js";
import { MemoryFormation } from "./formation.js";
import { MemoryWriter } from "./memory-writer.js";

export interface Pipeline {
  engine: SearchEngine;
  writer: MemoryWriter;
  formation: MemoryFormation;
}

/**
 * The write path, search and formation over one backend's interfaces: the writer (embed, store,
 * index), search that also sees what the index does not hold yet, and formation (buffer, cut,
 * extract, reconcile) under the backend's session locks.
 */
export function buildPipeline(
  config: MemoryConfig,
  backend: Backend,
  embedder: Embedder,
  llm: StructuredModel | undefined,
  logger: Logger,
  indexRetry: { minDelayMs?: number; maxDelayMs?: number } | undefined,
): Pipeline {
  const { store, index, buffer, sessionLocks } = backend;
  // Search also sees memories whose index write failed or is under way (see MemoryWriter).
  const pendingVectors = new PendingVectors();
  const pendingRecords = backend.pendingRecords.bind(backend);
  const embedderKind = localEmbedderOfModel(embedder.model);
  const engine = new SearchEngine({
    index: new PendingAwareIndex(index, pendingRecords, embedder, pendingVectors, (scope) => store.count(scope)),
    store,
    embedder,
    rrfK: config.search.rrfK,
    timeWeight: config.search.timeWeight,
    fusion: config.search.fusion ?? defaultFusion(embedderKind),
    // By embedder kind when unset: see search/fusion-weights.ts (bench/reports/retrieval.md).
    vectorWeight: config.search.vectorWeight ?? defaultVectorWeight(embedderKind),
    vectorQuery: vectorQueryFor(embedderKind),
    llm,
    logger,
  });
  const writer = new MemoryWriter(store, index, embedder, { logger, pendingVectors, ...(indexRetry === undefined ? {} : { retry: indexRetry }) });
  const { boundary } = config;
  const customInstructions = config.extraction.customInstructions;
  const formation = new MemoryFormation({
    writer,
    store,
    buffer,
    sessionLocks,
    llm:
      llm === undefined
        ? undefined
        : {
            model: llm,
            reconciler: new FactReconciler(llm, engine, logger, customInstructions),
            ...(config.llm === undefined ? {} : { maxExtractionAttempts: config.llm.maxExtractionAttempts }),
          },
    rules: boundary,
    judge: new BoundaryJudge(llm, buffer, { minMessages: boundary.llmMinMessages, judgeEvery: boundary.llmJudgeEvery }, logger),
    customInstructions,
    logger,
  });
  return { engine, writer, formation };
}
