import { createHash } from "node:crypto";
import { join } from "node:path";
import { memoryConfigSchema, type MemoryConfig, type MemoryConfigInput } from "./config/schema.js";
import { toTurns, type MessageInput } from "./ingest/messages.js";
import { createLogger, type Logger } from "./log.js";
import { toMemoryItem } from "./memory-item.js";
import { LocalEmbedder } from "./providers/embedding/local-embedder.js";
import { OpenAICompatibleEmbedder } from "./providers/embedding/openai-embedder.js";
import { METADATA_KEY } from "./search/filters.js";
import { SearchEngine } from "./search/search-engine.js";
import type { Embedder } from "./spec/embedder.js";
import { IndexMismatchError, InternalError, NotFoundError, ValidationError } from "./spec/errors.js";
import type { IndexJob, RecordChange } from "./spec/memory-store.js";
import type { SearchIndex } from "./spec/search-index.js";
import type {
  HistoryEntry,
  MemoryItem,
  MemoryRecord,
  Metadata,
  ParsedPart,
  Scope,
  SearchFilter,
  SearchHit,
  SearchMethod,
} from "./spec/types.js";
import { assertMemoryId, assertSegmentId, newMemoryId } from "./store/ids.js";
import { EmbeddedStore } from "./store/embedded/embedded-store.js";
import { LanceIndex } from "./store/embedded/lance-index.js";

export interface MemoryOptions extends MemoryConfigInput {
  /** An embedder instance (any implementation); wins over `embedding` and the local default. */
  embedder?: Embedder;
  /** A search index instance; default: LanceDB under `<root>/.index/lance`. */
  index?: SearchIndex;
  logger?: Logger;
}

/** Who a call is about: Mem0's ids. A user owns the memory when given, else the agent. */
export interface OwnerOptions {
  userId?: string;
  agentId?: string;
  runId?: string;
}

export interface AddOptions extends OwnerOptions {
  sessionId?: string;
  metadata?: Metadata;
  /** true (default): extract memories with the LLM; false: store the turns as they are. */
  infer?: boolean;
}

export interface AddResultEvent {
  id: string;
  memory: string;
  event: "ADD" | "UPDATE" | "DELETE" | "NONE";
  previousMemory?: string;
}

export interface AddResult {
  results: AddResultEvent[];
  /** One report per non-text content item (how it was parsed); empty for text-only turns. */
  parts: Omit<ParsedPart, "text">[];
  episodes: string[];
}

export interface SearchOptions extends OwnerOptions {
  limit?: number;
  method?: SearchMethod;
  filters?: SearchFilter;
  threshold?: number;
}

export interface GetAllOptions extends OwnerOptions {
  limit?: number;
  cursor?: string;
  filters?: SearchFilter;
}

export interface ReindexProgress {
  done: number;
  total: number;
}

const MAX_TEXT_CHARS = 1_000_000;
const MAX_QUERY_CHARS = 10_000;
const OUTBOX_BATCH = 500;

/**
 * The library API (Mem0's names and shapes). It wires the store, the index, the embedder and
 * search together; each does one job.
 */
export class Memory {
  readonly config: MemoryConfig;
  private readonly logger: Logger;
  private readonly embedder: Embedder;
  private readonly store: EmbeddedStore;
  private readonly index: SearchIndex;
  private readonly engine: SearchEngine;
  private opened = false;
  /** Set when the index does not match the embedder: everything but reindex() refuses. */
  private indexProblem: IndexMismatchError | undefined;
  private warnedInfer = false;

  constructor(options: MemoryOptions = {}) {
    const { embedder, logger, index, ...config } = options;
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
    this.embedder = embedder ?? defaultEmbedder(this.config);
    this.store = new EmbeddedStore({ root: this.config.root });
    this.index = index ?? new LanceIndex({
      directory: join(this.config.root, ".index", "lance"),
      annMinRows: this.config.search.annMinRows,
      onBackgroundError: (error) => this.logger.error({ err: error }, "search index maintenance failed"),
    });
    this.engine = new SearchEngine({ index: this.index, store: this.store, embedder: this.embedder, rrfK: this.config.search.rrfK });
  }

  static async open(options: MemoryOptions = {}): Promise<Memory> {
    const memory = new Memory(options);
    await memory.ready();
    return memory;
  }

  /** Opens the store and the index, and replays index work a crash left behind. Idempotent. */
  async ready(): Promise<void> {
    if (this.opened) return;
    await this.store.open();
    try {
      await this.embedder.ready();
      try {
        await this.index.open(this.identity());
      } catch (error) {
        if (!(error instanceof IndexMismatchError)) throw error;
        this.indexProblem = error;
        this.logger.warn(error.message);
      }
      this.opened = true;
      if (this.indexProblem === undefined) await this.replayOutbox();
      if (this.store.stateWasCreated && (await this.store.logFiles()).length > 0) {
        this.logger.warn("markdown memories exist but the catalog is new (was .index/ deleted?); run `omnimem reindex` to rebuild it");
      }
    } catch (error) {
      this.opened = false;
      await this.store.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    await this.index.close();
    await this.store.close();
  }

  async add(messages: MessageInput, options: AddOptions = {}): Promise<AddResult> {
    this.requireReady();
    const scope = this.scopeOf(options);
    const sessionId = optionalSegment(options.sessionId, "sessionId");
    const runId = optionalSegment(options.runId, "runId");
    const metadata = validMetadata(options.metadata);
    if (options.infer !== false && !this.warnedInfer) {
      this.warnedInfer = true;
      this.logger.warn("infer: true needs memory extraction, which this build does not have yet: turns are stored as episodes, as with infer: false");
    }
    const now = Date.now();
    const turns = toTurns(messages).filter((turn) => turn.role !== "system" && turn.text.trim() !== "");
    const records: MemoryRecord[] = turns.map((turn, i) => {
      checkTextLength(turn.text, `messages[${turn.index}]`);
      const record: MemoryRecord = {
        id: newMemoryId(),
        kind: "episode",
        scope,
        text: turn.text,
        role: turn.role,
        // Later turns of one call sort after earlier ones even within the same millisecond.
        timestamp: turn.timestamp ?? now + i,
        createdAt: now + i,
        updatedAt: now + i,
        metadata,
        hash: sha256(turn.text),
      };
      assignDefined(record, {
        userId: options.userId,
        agentId: options.agentId,
        runId,
        sessionId,
        senderId: turn.senderId ?? (turn.role === "user" ? options.userId : options.agentId),
      });
      return record;
    });
    if (records.length === 0) return { results: [], parts: [], episodes: [] };
    const vectors = await this.embedder.embed(records.map((record) => record.text));
    const { jobs } = await this.store.apply(records.map((record) => ({ op: "add", record })));
    await this.index.insert(records.map((record, i) => ({ record, vector: vectors[i]! })));
    await this.store.completeIndexJobs(jobs.map((job) => job.seq));
    return {
      results: records.map((record) => ({ id: record.id, memory: record.text, event: "ADD" })),
      parts: [],
      episodes: records.map((record) => record.id),
    };
  }

  async search(query: string, options: SearchOptions = {}): Promise<{ results: SearchHit[] }> {
    this.requireReady();
    if (typeof query !== "string" || query.trim() === "") {
      throw new ValidationError("query must be a non-empty string", { details: { path: "query" } });
    }
    if (query.length > MAX_QUERY_CHARS) {
      throw new ValidationError(`query is longer than ${MAX_QUERY_CHARS} characters`, { details: { path: "query" } });
    }
    if (options.threshold !== undefined && !Number.isFinite(options.threshold)) {
      throw new ValidationError("threshold must be a number", { details: { path: "threshold" } });
    }
    const owner = withOwnerFromFilters(options);
    const scope = this.scopeOf(owner);
    const hits = await this.engine.search({
      query,
      scope,
      method: options.method ?? this.config.search.defaultMethod,
      limit: options.limit ?? this.config.search.defaultLimit,
      filter: narrowing(owner, options.filters),
      threshold: options.threshold,
    });
    return { results: hits.map(({ record, score }) => ({ ...toMemoryItem(record), score })) };
  }

  /** The memory with this id, or null when there is none (Mem0's behaviour). */
  async get(id: string): Promise<MemoryItem | null> {
    this.requireReady();
    const record = await this.store.get(assertMemoryId(id));
    return record === undefined ? null : toMemoryItem(record);
  }

  async getAll(options: GetAllOptions = {}): Promise<{ results: MemoryItem[]; nextCursor?: string }> {
    this.requireReady();
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ValidationError("limit must be an integer in 1..1000", { details: { path: "limit" } });
    }
    const owner = withOwnerFromFilters(options);
    const page = await this.store.list({
      scope: this.scopeOf(owner),
      filter: narrowing(owner, options.filters),
      limit,
      cursor: options.cursor,
    });
    const results = page.records.map(toMemoryItem);
    return page.nextCursor === undefined ? { results } : { results, nextCursor: page.nextCursor };
  }

  async update(id: string, data: string | { text?: string; metadata?: Metadata }): Promise<{ message: string; id: string; memory: string }> {
    this.requireReady();
    const current = await this.store.get(assertMemoryId(id));
    if (current === undefined) throw new NotFoundError(`memory ${id} not found`, { details: { id } });
    const change = typeof data === "string" ? { text: data } : data;
    if (change === null || typeof change !== "object") throw new ValidationError("update needs a text or { text, metadata }");
    const text = change.text ?? current.text;
    if (typeof text !== "string" || text.trim() === "") {
      throw new ValidationError("the new text must be a non-empty string", { details: { path: "text" } });
    }
    checkTextLength(text, "text");
    const record: MemoryRecord = {
      ...current,
      text,
      metadata: change.metadata === undefined ? current.metadata : validMetadata(change.metadata),
      hash: sha256(text),
      updatedAt: Math.max(Date.now(), current.updatedAt + 1),
    };
    const [vector] = await this.embedder.embed([text]);
    const { jobs } = await this.store.apply([{ op: "update", record }]);
    await this.index.upsert([{ record, vector: vector! }]);
    await this.store.completeIndexJobs(jobs.map((job) => job.seq));
    return { message: "Memory updated successfully!", id, memory: text };
  }

  async delete(id: string): Promise<{ message: string }> {
    this.requireReady();
    await this.applyDeletes([assertMemoryId(id)]);
    return { message: "Memory deleted successfully!" };
  }

  /** Deletes every memory of one owner (narrowed by runId when given). */
  async deleteAll(options: OwnerOptions): Promise<{ message: string; deleted: number }> {
    this.requireReady();
    const scope = this.scopeOf(options);
    const filter = narrowing(options, undefined);
    let deleted = 0;
    for (;;) {
      const page = await this.store.list({ scope, filter, limit: OUTBOX_BATCH });
      if (page.records.length === 0) break;
      await this.applyDeletes(page.records.map((record) => record.id));
      deleted += page.records.length;
    }
    return { message: "Memories deleted successfully!", deleted };
  }

  async history(id: string): Promise<HistoryEntry[]> {
    this.requireReady();
    return this.store.history(assertMemoryId(id));
  }

  /** Deletes every memory, its history and the index. */
  async reset(): Promise<void> {
    this.requireOpen();
    await this.store.reset();
    await this.index.reset(this.identity());
    this.indexProblem = undefined;
  }

  /**
   * Rebuilds the catalog from the markdown files and the search index from the catalog, with
   * the configured embedder. The way out of an IndexMismatchError, a deleted `.index/`, or
   * markdown edited by hand.
   */
  async reindex(onProgress?: (progress: ReindexProgress) => void): Promise<{ records: number }> {
    this.requireOpen();
    const { records: total } = await this.store.rebuildCatalog();
    await this.index.reset(this.identity());
    this.indexProblem = undefined;
    let done = 0;
    onProgress?.({ done, total });
    for await (const batch of this.store.scan(256)) {
      const vectors = await this.embedder.embed(batch.map((record) => record.text));
      await this.index.insert(batch.map((record, i) => ({ record, vector: vectors[i]! })));
      done += batch.length;
      onProgress?.({ done, total });
    }
    await this.index.maintain();
    return { records: total };
  }

  /** Waits for background index maintenance (benchmarks and tests use it before measuring). */
  async idle(): Promise<void> {
    await this.index.idle();
  }

  /** The search index, for tools that manage it (maintenance, counts). */
  get searchIndex(): SearchIndex {
    return this.index;
  }

  /** The durable store, for tools that inspect it (doctor, export, the demo). */
  get memoryStore(): EmbeddedStore {
    return this.store;
  }

  private async applyDeletes(ids: string[]): Promise<void> {
    const changes: RecordChange[] = ids.map((id) => ({ op: "delete", id }));
    const { jobs } = await this.store.apply(changes);
    await this.index.remove(ids);
    await this.store.completeIndexJobs(jobs.map((job) => job.seq));
  }

  /** Index work committed to SQLite but not acknowledged by the index (a crash in between). */
  private async replayOutbox(): Promise<void> {
    let replayed = 0;
    for (;;) {
      const jobs = await this.store.pendingIndexJobs(OUTBOX_BATCH);
      if (jobs.length === 0) break;
      await this.replay(jobs);
      replayed += jobs.length;
    }
    if (replayed > 0) this.logger.info({ replayed }, "replayed index jobs left by an interrupted write");
  }

  private async replay(jobs: IndexJob[]): Promise<void> {
    // Only the latest job per memory matters; the record's current state decides what to do.
    const ids = [...new Set(jobs.map((job) => job.memoryId))];
    const records = await this.store.getMany(ids);
    const present = new Set(records.map((record) => record.id));
    const vectors = await this.embedder.embed(records.map((record) => record.text));
    await this.index.upsert(records.map((record, i) => ({ record, vector: vectors[i]! })));
    await this.index.remove(ids.filter((id) => !present.has(id)));
    await this.store.completeIndexJobs(jobs.map((job) => job.seq));
  }

  private identity() {
    return { model: this.embedder.model, dimensions: this.embedder.dimensions };
  }

  private scopeOf(options: OwnerOptions): Scope {
    const { appId, projectId } = this.config;
    if (options.userId !== undefined) {
      return { appId, projectId, ownerType: "user", ownerId: assertSegmentId(options.userId, "userId") };
    }
    if (options.agentId !== undefined) {
      return { appId, projectId, ownerType: "agent", ownerId: assertSegmentId(options.agentId, "agentId") };
    }
    throw new ValidationError("one of userId or agentId is required", { details: { path: "userId" } });
  }

  private requireOpen(): void {
    if (!this.opened) throw new InternalError("the memory is not open: call `await Memory.open(config)` or `await memory.ready()`");
  }

  private requireReady(): void {
    this.requireOpen();
    if (this.indexProblem !== undefined) throw this.indexProblem;
  }
}

function defaultEmbedder(config: MemoryConfig): Embedder {
  if (config.embedding === undefined) return new LocalEmbedder({ dimensions: config.localEmbedding.dimensions });
  const { baseUrl, ...rest } = config.embedding;
  return new OpenAICompatibleEmbedder({ ...rest, baseURL: baseUrl });
}

/** Mem0 callers often name the user only in `filters: { user_id }`; that names the owner too. */
function withOwnerFromFilters<T extends OwnerOptions & { filters?: SearchFilter }>(options: T): T {
  const fromFilters = options.filters?.user_id;
  return options.userId === undefined && typeof fromFilters === "string" ? { ...options, userId: fromFilters } : options;
}

/** Filters implied by the owner options beyond the owner itself (the agent of a user's memory, the run). */
function narrowing(options: OwnerOptions, filters: SearchFilter | undefined): SearchFilter | undefined {
  const extra: SearchFilter[] = [];
  if (options.userId !== undefined && options.agentId !== undefined) extra.push({ agent_id: assertSegmentId(options.agentId, "agentId") });
  if (options.runId !== undefined) extra.push({ run_id: assertSegmentId(options.runId, "runId") });
  if (filters !== undefined) extra.push(filters);
  if (extra.length === 0) return undefined;
  return extra.length === 1 ? extra[0] : { AND: extra };
}

function optionalSegment(value: string | undefined, field: string): string | undefined {
  return value === undefined ? undefined : assertSegmentId(value, field);
}

function validMetadata(metadata: unknown): Metadata {
  if (metadata === undefined) return {};
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new ValidationError("metadata must be an object", { details: { path: "metadata" } });
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(key)) {
      throw new ValidationError(`metadata key ${JSON.stringify(key)} must be 1-64 letters, digits, _ . -`, { details: { path: `metadata.${key}` } });
    }
    const ok = value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
    if (!ok) throw new ValidationError(`metadata.${key} must be a string, number, boolean or null`, { details: { path: `metadata.${key}` } });
  }
  return metadata as Metadata;
}

function checkTextLength(text: string, path: string): void {
  if (text.length > MAX_TEXT_CHARS) {
    throw new ValidationError(`${path} is longer than ${MAX_TEXT_CHARS} characters`, { details: { path } });
  }
}

function assignDefined<T extends object>(target: T, values: Partial<T>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
