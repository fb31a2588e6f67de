import { memoryConfigSchema, type MemoryConfig, type MemoryConfigInput } from "./config/schema.js";
import type { MessageInput } from "./ingest/messages.js";
import type { ParsingModels } from "./providers/multimodal.js";
import { createLogger, type Logger } from "./log.js";
import { toMemoryItem } from "./memory-item.js";
import { defaultEmbedder, describeEmbedder, localEmbedderChoice, type EmbedderInfo } from "./providers/embedding/embedder-selection.js";
import { chatModelFrom } from "./providers/llm/chat-model-from.js";
import type { SearchEngine } from "./search/search-engine.js";
import type { MemoryFormation } from "./ingest/formation.js";
import type { MemoryWriter } from "./ingest/memory-writer.js";
import type { LocalEmbedderChoice } from "./providers/embedding/local-choice.js";
import { buildPipeline } from "./ingest/pipeline.js";
import type { Backend } from "./spec/backend.js";
import type { Embedder } from "./spec/embedder.js";
import type { StructuredModel } from "./spec/llm.js";
import { IndexMismatchError, InternalError, ValidationError } from "./spec/errors.js";
import type { SearchIndex } from "./spec/search-index.js";
import type { BufferedTurn } from "./spec/session-buffer.js";
import type { HistoryEntry, MemoryItem, Metadata, SearchHit } from "./spec/types.js";
import { assertSegmentId } from "./store/ids.js";
import { createBackend } from "./store/create-backend.js";
import { checkSearch, narrowing, searchTime, withOwnerFromFilters, type AddOptions, type AddResult } from "./ingest/call-options.js";
import type { AddResultEvent, GetAllOptions, OwnerOptions, ReindexProgress, SearchOptions } from "./ingest/call-options.js";
import { OwnerScopes } from "./ingest/owner-scopes.js";
import { TurnParser } from "./ingest/turn-parser.js";
import { AddPipeline } from "./ingest/add-pipeline.js";
import { MemoryRecords } from "./ingest/memory-records.js";
import { IdleFlush } from "./ingest/idle-flush.js";
import { rebuildIndex } from "./ingest/reindex.js";

export type { AddOptions, AddResult, AddResultEvent, GetAllOptions, OwnerOptions, ReindexProgress, SearchOptions } from "./ingest/call-options.js";
export { chatModelFrom, defaultEmbedder, localEmbedderChoice, type EmbedderInfo };

export interface MemoryOptions extends MemoryConfigInput {
  /** Where memories live, as an instance (any Backend); default: `[store]` of the config (embedded under `root`). Memory closes it. */
  backend?: Backend;
  /** An embedder instance (any implementation); wins over `embedding` and the local default. */
  embedder?: Embedder;
  /** A search index instance for the embedded backend; default: LanceDB under `<root>/.index/lance`. */
  index?: SearchIndex;
  /** Backoff of the background retry of failed index writes (default 500 ms doubling to 60 s). */
  indexRetry?: { minDelayMs?: number; maxDelayMs?: number };
  /** A chat model instance for extraction and agentic search; wins over `llm`. */
  chatModel?: StructuredModel;
  /** Parsing models (vision, transcription, OCR) as instances; win over `multimodal`. */
  parsingModels?: ParsingModels;
  logger?: Logger;
}

/**
 * The library API (Mem0's names and shapes): wiring only. The backend (spec/backend.ts) keeps the
 * memories, the ingest modules check calls, add, read and change them, search finds them.
 */
export class Memory {
  readonly config: MemoryConfig;
  /** Where the memories live (embedded by default); tools use its interface, never what is behind it. */
  readonly backend: Backend;
  private readonly logger: Logger;
  private readonly embedder: Embedder;
  private readonly embedderChoice: LocalEmbedderChoice | undefined;
  private readonly engine: SearchEngine;
  private readonly writer: MemoryWriter;
  private readonly formation: MemoryFormation;
  private readonly scopes: OwnerScopes;
  private readonly records: MemoryRecords;
  private readonly idleFlush: IdleFlush;
  private readonly llm: StructuredModel | undefined;
  private readonly parsingModelsOption: ParsingModels | undefined;
  private adds: AddPipeline | undefined;
  private turnParser: TurnParser | undefined;
  private opened = false;
  /** Set when the index does not match the embedder: everything but reindex() refuses. */
  private indexProblem: IndexMismatchError | undefined;

  constructor(options: MemoryOptions = {}) {
    const { embedder, logger, index, chatModel, parsingModels, indexRetry, backend, ...config } = options;
    this.parsingModelsOption = parsingModels;
    const parsed = memoryConfigSchema.safeParse(config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError(`invalid config at ${issue.path.join(".") || "(root)"}: ${issue.message}`, {
        details: { path: issue.path.join(".") },
        cause: parsed.error,
      });
    }
    this.config = parsed.data;
    this.logger = logger ?? createLogger(this.config.logLevel);
    this.embedderChoice = embedder === undefined ? localEmbedderChoice(this.config) : undefined;
    this.embedder = embedder ?? defaultEmbedder(this.config);
    const onIndexError = (error: unknown) => this.logger.error({ err: error }, "search index maintenance failed");
    this.backend = backend ?? createBackend(this.config, { ...(index === undefined ? {} : { index }), onIndexError, logger: this.logger });
    this.llm = chatModel ?? (this.config.llm === undefined ? undefined : chatModelFrom(this.config.llm, this.logger));
    ({ engine: this.engine, writer: this.writer, formation: this.formation } = buildPipeline(this.config, this.backend, this.embedder, this.llm, this.logger, indexRetry));
    this.scopes = new OwnerScopes(this.config);
    this.records = new MemoryRecords(this.backend.store, this.writer, this.scopes, this.formation, this.backend.buffer);
    this.idleFlush = new IdleFlush(this.backend.buffer, this.formation, this.logger, () => this.opened && this.indexProblem === undefined);
  }

  /** The embedder this memory uses: a local one by name (word-vectors, hashed), "endpoint", or "custom" for an instance passed in. */
  get embedderInfo(): EmbedderInfo {
    return describeEmbedder(this.embedder, this.config, this.embedderChoice);
  }

  /** "llm" when an extraction model is configured, "local" otherwise (rule-based boundaries, verbatim episodes, no facts). */
  get mode(): "llm" | "local" {
    return this.llm === undefined ? "local" : "llm";
  }

  static async open(options: MemoryOptions = {}): Promise<Memory> {
    const memory = new Memory(options);
    await memory.ready();
    return memory;
  }

  /** Opens the backend and the index, and replays index work a crash left behind. Idempotent. */
  async ready(): Promise<void> {
    if (this.opened) return;
    await this.backend.open();
    try {
      await this.embedder.ready();
      try {
        await this.backend.index.open({ model: this.embedder.model, dimensions: this.embedder.dimensions });
      } catch (error) {
        if (!(error instanceof IndexMismatchError)) throw error;
        this.indexProblem = error;
        this.logger.warn(error.message);
      }
      this.opened = true;
      if (this.indexProblem === undefined) {
        try {
          const replayed = await this.writer.replay();
          if (replayed > 0) this.logger.info({ replayed }, "replayed index jobs left by an interrupted write");
        } catch (error) {
          // The memories are durable and search finds them from the store: open, and catch up.
          this.logger.warn({ err: error }, "replaying index jobs failed; retrying in the background");
          this.writer.catchUpInBackground();
        }
      }
      this.turnParser = new TurnParser(this.config.multimodal, this.backend.parseCache, this.logger, this.parsingModelsOption, this.config.root);
      const { store } = this.backend;
      this.adds = new AddPipeline({ scopes: this.scopes, parser: this.turnParser, formation: this.formation, writer: this.writer, store, logger: this.logger });
      this.idleFlush.start(this.config.boundary.idleFlushSeconds);
      for (const warning of await this.backend.openWarnings()) this.logger.warn(warning);
    } catch (error) {
      this.opened = false;
      await this.backend.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    await this.idleFlush.stop();
    await this.writer.close();
    await this.turnParser?.close();
    await this.backend.close();
  }

  async add(messages: MessageInput, options: AddOptions = {}): Promise<AddResult> {
    this.requireReady();
    return this.adds!.add(messages, options);
  }

  /** Makes an episode of what a session has buffered (`add` with `flush: false`, or a server's /flush). */
  async flush(options: OwnerOptions & { sessionId: string }): Promise<AddResult> {
    this.requireReady();
    const key = { scope: this.scopes.scopeOf(options), sessionId: assertSegmentId(options.sessionId, "sessionId") };
    const { events, episodes } = await this.formation.flush(key);
    return { results: events, parts: [], episodes };
  }

  /**
   * Extracts again the owner's episodes stored verbatim because extraction kept failing (metadata
   * `extraction: "pending"`); one the model fails on again stays as it is, listed in `failed`.
   */
  async reextract(options: OwnerOptions = {}): Promise<{ results: AddResultEvent[]; episodes: string[]; failed: { id: string; error: string }[] }> {
    this.requireReady();
    return this.records.reextract(options);
  }

  /** The turns a session has buffered and not yet made into an episode, oldest first (parsed text only). */
  async pendingTurns(options: OwnerOptions & { sessionId: string }): Promise<BufferedTurn[]> {
    this.requireReady();
    return this.backend.buffer.pending({ scope: this.scopes.scopeOf(options), sessionId: assertSegmentId(options.sessionId, "sessionId") });
  }

  /** The owners with turns buffered in this session (a session id alone names no owner; buffers are per owner). */
  async sessionOwners(options: Pick<OwnerOptions, "appId" | "projectId"> & { sessionId: string }): Promise<OwnerOptions[]> {
    this.requireReady();
    const { appId, projectId } = this.scopes.appAndProject(options);
    const keys = await this.backend.buffer.ownersOf(appId, projectId, assertSegmentId(options.sessionId, "sessionId"));
    return keys.map((key) => (key.scope.ownerType === "user" ? { userId: key.scope.ownerId } : { agentId: key.scope.ownerId }));
  }

  /** The owners with memories in the app and project (default: the configured ones), most recently active first, one page. */
  async owners(
    options: Pick<OwnerOptions, "appId" | "projectId"> & { limit?: number; offset?: number } = {},
  ): Promise<{ owners: { userId?: string; agentId?: string; memories: number; lastTimestamp: string }[]; total: number }> {
    this.requireReady();
    return this.records.owners(options);
  }

  async search(query: string, options: SearchOptions = {}): Promise<{ results: SearchHit[] }> {
    this.requireReady();
    const method = options.method ?? this.config.search.defaultMethod;
    checkSearch(query, options.threshold, method);
    const owner = withOwnerFromFilters(options);
    const hits = await this.engine.search({
      query,
      scope: this.scopes.scopeOf(owner),
      method,
      limit: options.limit ?? this.config.search.defaultLimit,
      filter: narrowing(owner, options.filters),
      threshold: options.threshold,
      now: searchTime(options.now),
    });
    return { results: hits.map(({ record, score }) => ({ ...toMemoryItem(record), score })) };
  }

  /**
   * The memory with this id, or null when there is none (Mem0's behaviour). With `owner`, only
   * that owner's memory (narrowed by agentId and runId when given); without one, any owner's in
   * the config's (or the given) app and project. Another owner's id is null, as an unknown one.
   */
  async get(id: string, owner?: OwnerOptions): Promise<MemoryItem | null> {
    this.requireReady();
    return this.records.get(id, owner);
  }

  /** One page of an owner's memories, sorted and paged by the store (it reads that page, not them all). */
  async getAll(options: GetAllOptions = {}): Promise<{ results: MemoryItem[]; nextCursor?: string; total?: number }> {
    this.requireReady();
    return this.records.getAll(options);
  }

  /** Changes a memory's text or metadata; NOT_FOUND for an unknown id and for one that is not `owner`'s (see get). */
  async update(id: string, data: string | { text?: string; metadata?: Metadata }, owner?: OwnerOptions): Promise<{ message: string; id: string; memory: string }> {
    this.requireReady();
    return this.records.update(id, data, owner);
  }

  /** Deletes a memory; NOT_FOUND for an unknown id and for one that is not `owner`'s (see get). */
  async delete(id: string, owner?: OwnerOptions): Promise<{ message: string }> {
    this.requireReady();
    return this.records.delete(id, owner);
  }

  /** Deletes every memory of one owner (narrowed by runId when given). */
  async deleteAll(options: OwnerOptions = {}): Promise<{ message: string; deleted: number }> {
    this.requireReady();
    return this.records.deleteAll(options);
  }

  /** A memory's changes, oldest first (also once deleted); none for an unknown id and for one that is not `owner`'s (see get). */
  async history(id: string, owner?: OwnerOptions): Promise<HistoryEntry[]> {
    this.requireReady();
    return this.records.history(id, owner);
  }

  /** Deletes every memory, its history and the index. */
  async reset(): Promise<void> {
    this.requireOpen();
    await this.backend.store.reset();
    await this.backend.index.reset({ model: this.embedder.model, dimensions: this.embedder.dimensions });
    this.indexProblem = undefined;
  }

  /**
   * Rebuilds the catalog from the truth (markdown) and the search index from the catalog, with
   * the configured embedder. The way out of an IndexMismatchError, a deleted `.index/`, or
   * markdown edited by hand.
   */
  async reindex(onProgress?: (progress: ReindexProgress) => void): Promise<{ records: number }> {
    this.requireOpen();
    const result = await rebuildIndex(this.backend, this.embedder, onProgress);
    this.indexProblem = undefined;
    return result;
  }

  /** Waits for background index work (retried index writes first), as benchmarks and tests do before measuring. */
  async idle(): Promise<void> {
    await this.writer.idle();
    await this.backend.index.idle();
  }

  /** The backend's search index, for tools that manage it (maintenance, counts). */
  get searchIndex(): SearchIndex {
    return this.backend.index;
  }

  private requireOpen(): void {
    if (!this.opened) throw new InternalError("the memory is not open: call `await Memory.open(config)` or `await memory.ready()`");
  }

  private requireReady(): void {
    this.requireOpen();
    if (this.indexProblem !== undefined) throw this.indexProblem;
  }
}
