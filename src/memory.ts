import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { memoryConfigSchema, type LlmConfig, type MemoryConfig, type MemoryConfigInput } from "./config/schema.js";
import { normalizeMessages, type MessageInput, type Turn } from "./ingest/messages.js";
import { SqliteParseCache } from "./store/embedded/sqlite-parse-cache.js";
import { PartParser, type PartReport } from "./ingest/part-parser.js";
import { defaultParsers } from "./parse/default-parsers.js";
import { ParserRegistry } from "./parse/registry.js";
import { parsingModelsFrom, type ParsingModels } from "./providers/multimodal.js";
import { BoundaryJudge } from "./ingest/boundary-judge.js";
import { EXTRACTION_PENDING, MemoryFormation, type MemoryEvent } from "./ingest/formation.js";
import { sha256 } from "./util/hash.js";
import { KeyedMutex } from "./util/keyed-mutex.js";
import { MemoryWriter } from "./ingest/memory-writer.js";
import { FactReconciler } from "./extract/reconciler.js";
import { ChatModel } from "./providers/llm/chat-model.js";
import { scopeKey } from "./spec/scope.js";
import type { StructuredModel } from "./spec/llm.js";
import type { BufferedTurn, SessionKey } from "./spec/session-buffer.js";
import { SqliteSessionBuffer } from "./store/embedded/sqlite-session-buffer.js";
import { createLogger, type Logger } from "./log.js";
import { toMemoryItem } from "./memory-item.js";
import { chooseLocalEmbedder, createLocalEmbedder, localEmbedderOfModel, type LocalEmbedderChoice } from "./providers/embedding/local-choice.js";
import { OpenAICompatibleEmbedder } from "./providers/embedding/openai-embedder.js";
import { validMetadata } from "./ingest/metadata.js";
import { SearchEngine } from "./search/search-engine.js";
import { defaultFusion, defaultVectorWeight } from "./search/fusion-weights.js";
import { vectorQueryFor } from "./search/vector-query.js";
import type { Embedder } from "./spec/embedder.js";
import { CapabilityUnavailableError, IndexMismatchError, InternalError, NotFoundError, ProviderError, ValidationError } from "./spec/errors.js";
import type { SearchIndex } from "./spec/search-index.js";
import type {
  HistoryEntry,
  MemoryItem,
  MemoryRecord,
  Metadata,
  Scope,
  SearchFilter,
  SearchHit,
  SearchMethod,
} from "./spec/types.js";
import { assertMemoryId, assertSegmentId, newMemoryId } from "./store/ids.js";
import { EmbeddedStore } from "./store/embedded/embedded-store.js";
import { recordMatchesOwner } from "./store/owner-match.js";
import type { ListSortField, OwnerMatch } from "./spec/memory-store.js";
import { LanceIndex } from "./store/embedded/lance-index.js";
import { indexDirectory, recordedIndexIdentity } from "./store/embedded/index-identity.js";
import { pendingIndexRecords } from "./store/embedded/pending-records.js";
import { PendingAwareIndex, PendingVectors } from "./store/pending-aware-index.js";

export interface MemoryOptions extends MemoryConfigInput {
  /** An embedder instance (any implementation); wins over `embedding` and the local default. */
  embedder?: Embedder;
  /** A search index instance; default: LanceDB under `<root>/.index/lance`. */
  index?: SearchIndex;
  /** Backoff of the background retry of failed index writes (default 500 ms doubling to 60 s). */
  indexRetry?: { minDelayMs?: number; maxDelayMs?: number };
  /** A chat model instance for extraction and agentic search; wins over `llm`. */
  chatModel?: StructuredModel;
  /** Parsing models (vision, transcription, OCR) as instances; win over `multimodal`. */
  parsingModels?: ParsingModels;
  logger?: Logger;
}

/** Who a call is about: Mem0's ids. A user owns the memory when given, else the agent. */
export interface OwnerOptions {
  userId?: string;
  agentId?: string;
  runId?: string;
  /** The app and project of this call; default: the config's (a server serves many from one root). */
  appId?: string;
  projectId?: string;
}

export interface AddOptions extends OwnerOptions {
  sessionId?: string;
  metadata?: Metadata;
  /** true (default): buffer, cut episodes and extract memories; false: store each turn as it is. */
  infer?: boolean;
  /** With infer: extract what is buffered before returning (default true); false only buffers. */
  flush?: boolean;
  /**
   * Makes the add safe to repeat: the same key and the same turn position give the same memory
   * (infer: false) or the same buffered message (infer: true), so an add repeated with the key
   * (a retry, an import rerun after a crash) stores nothing twice. Name what the turns are, e.g.
   * an import's source file and record number. 1-512 characters.
   */
  idempotencyKey?: string;
}

export type AddResultEvent = MemoryEvent;

export interface AddResult {
  results: AddResultEvent[];
  /** One report per non-text content item (how it was parsed); empty for text-only turns. */
  parts: PartReport[];
  episodes: string[];
  /**
   * With infer (the default), of this add's turns with text: how many were buffered now, and how
   * many were already seen (pending, or made into an episode by an earlier add) and skipped.
   */
  buffered?: number;
  duplicates?: number;
}

export interface SearchOptions extends OwnerOptions {
  limit?: number;
  method?: SearchMethod;
  filters?: SearchFilter;
  threshold?: number;
  /**
   * When the question is asked (epoch ms, Date or ISO string): dates in the query ("last
   * week", "in May") are resolved against it. Default: the current time.
   */
  now?: number | Date | string;
}

export interface GetAllOptions extends OwnerOptions {
  limit?: number;
  cursor?: string;
  filters?: SearchFilter;
  /** Memories to skip first (page-number paging: (page - 1) * limit); default 0. */
  offset?: number;
  /** Default: created_at. Ties go by id. */
  sortBy?: ListSortField;
  /** Default: desc (newest first). */
  sortOrder?: "asc" | "desc";
  /** Also count every memory that matches (`total`), as a page-number UI needs. */
  withTotal?: boolean;
}

export interface ReindexProgress {
  done: number;
  total: number;
}

const MAX_TEXT_CHARS = 1_000_000;
const MAX_IDEMPOTENCY_KEY_CHARS = 512;
const MAX_QUERY_CHARS = 10_000;
const DELETE_BATCH = 500;
const LIST_SORT_FIELDS = new Set<string>(["timestamp", "created_at", "updated_at"]);

/**
 * The library API (Mem0's names and shapes). It wires the store, the index, the embedder and
 * search together; each does one job.
 */
export class Memory {
  readonly config: MemoryConfig;
  private readonly logger: Logger;
  private readonly embedder: Embedder;
  private readonly embedderChoice: LocalEmbedderChoice | undefined;
  private readonly store: EmbeddedStore;
  private readonly index: SearchIndex;
  private readonly engine: SearchEngine;
  private readonly writer: MemoryWriter;
  private readonly formation: MemoryFormation;
  private readonly buffer: SqliteSessionBuffer;
  private readonly llm: StructuredModel | undefined;
  private opened = false;
  /** Set when the index does not match the embedder: everything but reindex() refuses. */
  private indexProblem: IndexMismatchError | undefined;
  private warnedLocalMode = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly parsingModelsOption: ParsingModels | undefined;
  private parsingModels: ParsingModels = {};
  private partParser: PartParser | undefined;
  private idleFlushRunning: Promise<void> | undefined;
  /** Serialises verbatim adds that share an idempotency key, so two at once cannot both write. */
  private readonly idempotentAdds = new KeyedMutex();

  constructor(options: MemoryOptions = {}) {
    const { embedder, logger, index, chatModel, parsingModels, indexRetry, ...config } = options;
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
    this.store = new EmbeddedStore({ root: this.config.root });
    this.index = index ?? new LanceIndex({
      directory: indexDirectory(this.config.root),
      annMinRows: this.config.search.annMinRows,
      ef: this.config.search.annEf,
      onBackgroundError: (error) => this.logger.error({ err: error }, "search index maintenance failed"),
    });
    this.llm = chatModel ?? (this.config.llm === undefined ? undefined : chatModelFrom(this.config.llm, this.logger));
    // Search also sees memories whose index write failed or is under way (see MemoryWriter).
    const pendingVectors = new PendingVectors();
    const pendingRecords = async (scope: Scope, filter: SearchFilter | undefined, limit: number) =>
      pendingIndexRecords(this.store.stateDb, scope, filter, limit);
    this.engine = new SearchEngine({
      index: new PendingAwareIndex(this.index, pendingRecords, this.embedder, pendingVectors, (scope) => this.store.count(scope)),
      store: this.store,
      embedder: this.embedder,
      rrfK: this.config.search.rrfK,
      timeWeight: this.config.search.timeWeight,
      fusion: this.config.search.fusion ?? defaultFusion(localEmbedderOfModel(this.embedder.model)),
      // By embedder kind when unset: see search/fusion-weights.ts (bench/reports/retrieval.md).
      vectorWeight: this.config.search.vectorWeight ?? defaultVectorWeight(localEmbedderOfModel(this.embedder.model)),
      vectorQuery: vectorQueryFor(localEmbedderOfModel(this.embedder.model)),
      llm: this.llm,
      logger: this.logger,
    });
    this.writer = new MemoryWriter(this.store, this.index, this.embedder, {
      logger: this.logger,
      pendingVectors,
      ...(indexRetry === undefined ? {} : { retry: indexRetry }),
    });
    this.buffer = new SqliteSessionBuffer(() => this.store.stateDb);
    const { boundary } = this.config;
    const customInstructions = this.config.extraction.customInstructions;
    this.formation = new MemoryFormation({
      writer: this.writer,
      store: this.store,
      buffer: this.buffer,
      llm:
        this.llm === undefined
          ? undefined
          : {
              model: this.llm,
              reconciler: new FactReconciler(this.llm, this.engine, this.logger, customInstructions),
              ...(this.config.llm === undefined ? {} : { maxExtractionAttempts: this.config.llm.maxExtractionAttempts }),
            },
      rules: boundary,
      judge: new BoundaryJudge(this.llm, this.buffer, { minMessages: boundary.llmMinMessages, judgeEvery: boundary.llmJudgeEvery }, this.logger),
      customInstructions,
      logger: this.logger,
    });
  }

  /**
   * The embedder this memory uses: a local one by name (word-vectors, hashed), "endpoint" for
   * the configured embedding model, "custom" for an instance passed in.
   */
  get embedderInfo(): EmbedderInfo {
    const { model, dimensions } = this.embedder;
    const local = localEmbedderOfModel(model);
    const name = local ?? (this.config.embedding !== undefined && model === this.config.embedding.model ? "endpoint" : "custom");
    return { name, model, dimensions, ...(this.embedderChoice === undefined ? {} : { chosenBy: this.embedderChoice.reason }) };
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
      this.partParser = this.makePartParser();
      this.startIdleFlush();
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
    clearInterval(this.idleTimer);
    await this.idleFlushRunning;
    await this.writer.close();
    await this.parsingModels.ocr?.close?.();
    await this.index.close();
    await this.store.close();
  }

  async add(messages: MessageInput, options: AddOptions = {}): Promise<AddResult> {
    this.requireReady();
    const scope = this.scopeOf(options);
    const sessionId = optionalSegment(options.sessionId, "sessionId");
    const runId = optionalSegment(options.runId, "runId");
    const metadata = validMetadata(options.metadata);
    const idempotencyKey = optionalIdempotencyKey(options.idempotencyKey);
    const now = Date.now();
    const { turns, parts } = await this.parseTurns(messages);
    if (options.infer === false) {
      const verbatimOptions = { ...options, sessionId, runId };
      if (idempotencyKey === undefined) return this.addVerbatim(turns, parts, scope, verbatimOptions, metadata, now);
      return this.idempotentAdds.run(`${scopeKey(scope)}|${idempotencyKey}`, () =>
        this.addVerbatim(turns, parts, scope, verbatimOptions, metadata, now, idempotencyKey),
      );
    }

    if (this.llm === undefined && !this.warnedLocalMode) {
      this.warnedLocalMode = true;
      this.logger.warn("no extraction LLM configured: local mode (rule-based episodes stored verbatim, no facts); set [llm] to extract memories");
    }
    // Without a session, the call's turns are one conversation of their own (Mem0's behaviour);
    // with an idempotency key that conversation must be the same one when the add is repeated.
    const key: SessionKey = { scope, sessionId: sessionId ?? implicitSessionId(idempotencyKey) };
    const buffered = turns.map((turn, i) => toBufferedTurn(key, turn, now + i, options, idempotencyKey));
    const context = { ...ownerContext(options), ...(runId === undefined ? {} : { runId }), metadata };
    const formed = await this.formation.ingest(key, buffered, context, options.flush ?? true);
    return { results: formed.events, parts, episodes: formed.episodes, buffered: formed.buffered ?? 0, duplicates: formed.duplicates ?? 0 };
  }

  /** Validates the messages, parses every non-text part (a bad one aborts the batch), and returns text turns. */
  private async parseTurns(messages: MessageInput): Promise<{ turns: Turn[]; parts: PartReport[] }> {
    const normalized = normalizeMessages(messages).filter((message) => message.role !== "system");
    const { texts, reports } = await this.partParser!.parseMessages(normalized);
    const turns: Turn[] = [];
    normalized.forEach((message, i) => {
      const text = texts[i]!;
      if (text.trim() === "") return;
      checkTextLength(text, `messages[${message.index}]`);
      const turn: Turn = { index: message.index, role: message.role, text };
      if (message.senderId !== undefined) turn.senderId = message.senderId;
      if (message.timestamp !== undefined) turn.timestamp = message.timestamp;
      turns.push(turn);
    });
    return { turns, parts: reports };
  }

  private makePartParser(): PartParser {
    const { multimodal } = this.config;
    this.parsingModels = this.parsingModelsOption ?? parsingModelsFrom(multimodal, this.logger);
    return new PartParser({
      registry: new ParserRegistry(defaultParsers()),
      load: {
        maxBytes: multimodal.maxBytes,
        fetchTimeoutMs: multimodal.fetchTimeoutMs,
        allowPrivateHosts: multimodal.allowPrivateHosts,
        fileUriMaxBytes: multimodal.fileUriMaxBytes,
        fileUriAllowDirs: multimodal.fileUriAllowDirs,
        allowFileUris: multimodal.allowFileUris,
        maxRedirects: 5,
      },
      limits: {
        maxImagePixels: multimodal.maxImagePixels,
        maxPdfPages: multimodal.maxPdfPages,
        maxAudioSeconds: multimodal.maxAudioSeconds,
        maxHtmlBytes: multimodal.maxHtmlBytes,
        maxEmailAttachments: multimodal.maxEmailAttachments,
        maxAttachmentBytes: multimodal.maxAttachmentBytes,
        officeTimeoutMs: multimodal.officeTimeoutMs,
      },
      ...this.parsingModels,
      cache: new SqliteParseCache(() => this.store.stateDb),
      maxConcurrency: multimodal.maxConcurrency,
      maxRequestBytes: multimodal.maxRequestBytes,
      logger: this.logger,
    });
  }

  /** Makes an episode of what a session has buffered (`add` with `flush: false`, or a server's /flush). */
  async flush(options: OwnerOptions & { sessionId: string }): Promise<AddResult> {
    this.requireReady();
    const key = { scope: this.scopeOf(options), sessionId: assertSegmentId(options.sessionId, "sessionId") };
    const { events, episodes } = await this.formation.flush(key);
    return { results: events, parts: [], episodes };
  }

  /**
   * Extracts again the owner's episodes that were stored verbatim because extraction kept failing
   * (metadata `extraction: "pending"`, see README): each becomes an extracted episode with its
   * facts. One the model fails on again stays as it is and is listed in `failed`.
   */
  async reextract(options: OwnerOptions = {}): Promise<{ results: AddResultEvent[]; episodes: string[]; failed: { id: string; error: string }[] }> {
    this.requireReady();
    if (this.llm === undefined) throw new CapabilityUnavailableError("re-extraction needs an extraction LLM: set [llm]");
    const owner = withOwnerFromFilters(options);
    const scope = this.scopeOf(owner);
    const filter = narrowing(owner, { AND: [{ kind: "episode" }, { ...EXTRACTION_PENDING }] });
    // Listed first: each re-extraction removes its episode from the filter, which would shift pages.
    const marked: MemoryRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.list({ scope, filter, limit: DELETE_BATCH, ...(cursor === undefined ? {} : { cursor }) });
      marked.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const done: { results: AddResultEvent[]; episodes: string[]; failed: { id: string; error: string }[] } = { results: [], episodes: [], failed: [] };
    for (const episode of marked.reverse()) {
      try {
        const { events, episodes } = await this.formation.reextract(episode);
        done.results.push(...events);
        done.episodes.push(...episodes);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        done.failed.push({ id: episode.id, error: error.message });
      }
    }
    return done;
  }

  /** The turns a session has buffered and not yet made into an episode, oldest first (parsed text only). */
  async pendingTurns(options: OwnerOptions & { sessionId: string }): Promise<BufferedTurn[]> {
    this.requireReady();
    return this.buffer.pending({ scope: this.scopeOf(options), sessionId: assertSegmentId(options.sessionId, "sessionId") });
  }

  /** The owners with turns buffered in this session (a session id alone names no owner; buffers are per owner). */
  async sessionOwners(options: Pick<OwnerOptions, "appId" | "projectId"> & { sessionId: string }): Promise<OwnerOptions[]> {
    this.requireReady();
    const { appId, projectId } = this.appAndProject(options);
    const sessionId = assertSegmentId(options.sessionId, "sessionId");
    const keys = await this.buffer.ownersOf(appId, projectId, sessionId);
    return keys.map((key) => (key.scope.ownerType === "user" ? { userId: key.scope.ownerId } : { agentId: key.scope.ownerId }));
  }

  /** The owners with memories in the app and project (default: the configured ones), most recently active first, one page. */
  async owners(
    options: Pick<OwnerOptions, "appId" | "projectId"> & { limit?: number; offset?: number } = {},
  ): Promise<{ owners: { userId?: string; agentId?: string; memories: number; lastTimestamp: string }[]; total: number }> {
    this.requireReady();
    const { appId, projectId } = this.appAndProject(options);
    const limit = options.limit ?? 100;
    const offset = options.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError("limit must be an integer in 1..1000", { details: { path: "limit" } });
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ValidationError("offset must be a non-negative integer", { details: { path: "offset" } });
    const page = await this.store.owners(appId, projectId, { limit, offset });
    return {
      owners: page.owners.map((owner) => ({
        ...(owner.ownerType === "user" ? { userId: owner.ownerId } : { agentId: owner.ownerId }),
        memories: owner.memories,
        lastTimestamp: new Date(owner.lastTimestamp).toISOString(),
      })),
      total: page.total,
    };
  }

  /**
   * infer: false — each turn becomes an episode as it is, with no model involved. With an
   * idempotency key each turn's id is derived from (owner, key, position), and turns whose
   * memory already exists are not written again: they come back as "NONE".
   */
  private async addVerbatim(
    turns: Turn[],
    parts: PartReport[],
    scope: Scope,
    options: AddOptions,
    metadata: Metadata,
    now: number,
    idempotencyKey?: string,
  ): Promise<AddResult> {
    const records: MemoryRecord[] = turns.map((turn, i) => {
      const record: MemoryRecord = {
        id: idempotencyKey === undefined ? newMemoryId() : derivedMemoryId(`${scopeKey(scope)}|${idempotencyKey}|${turn.index}`),
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
        runId: options.runId,
        sessionId: options.sessionId,
        senderId: turn.senderId ?? (turn.role === "user" ? options.userId : options.agentId),
      });
      return record;
    });
    const existing = new Map<string, MemoryRecord>();
    if (idempotencyKey !== undefined) {
      for (const record of await this.store.getMany(records.map((record) => record.id))) existing.set(record.id, record);
    }
    const fresh = records.filter((record) => !existing.has(record.id));
    if (fresh.length > 0) await this.writer.write(fresh.map((record) => ({ op: "add", record })));
    return {
      results: records.map((record): AddResultEvent => {
        const stored = existing.get(record.id);
        return stored === undefined
          ? { id: record.id, memory: record.text, event: "ADD", kind: "episode" }
          : { id: stored.id, memory: stored.text, event: "NONE", kind: stored.kind };
      }),
      parts,
      episodes: fresh.map((record) => record.id),
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
    const record = await this.ownedRecord(id, owner);
    return record === undefined ? null : toMemoryItem(record);
  }

  /** One page of an owner's memories, sorted and paged by the store (it reads that page, not them all). */
  async getAll(options: GetAllOptions = {}): Promise<{ results: MemoryItem[]; nextCursor?: string; total?: number }> {
    this.requireReady();
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ValidationError("limit must be an integer in 1..1000", { details: { path: "limit" } });
    }
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new ValidationError("offset must be a non-negative integer", { details: { path: "offset" } });
    }
    const sortBy = options.sortBy ?? "created_at";
    const sortOrder = options.sortOrder ?? "desc";
    if (!LIST_SORT_FIELDS.has(sortBy)) throw new ValidationError("sortBy must be timestamp, created_at or updated_at", { details: { path: "sortBy" } });
    if (sortOrder !== "asc" && sortOrder !== "desc") throw new ValidationError("sortOrder must be asc or desc", { details: { path: "sortOrder" } });
    const owner = withOwnerFromFilters(options);
    const scope = this.scopeOf(owner);
    const filter = narrowing(owner, options.filters);
    const page = await this.store.list({ scope, filter, limit, cursor: options.cursor, offset, sort: { by: sortBy, order: sortOrder } });
    const result: { results: MemoryItem[]; nextCursor?: string; total?: number } = { results: page.records.map(toMemoryItem) };
    if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
    if (options.withTotal === true) result.total = await this.store.count(scope, filter);
    return result;
  }

  /** Changes a memory's text or metadata; NOT_FOUND for an unknown id and for one that is not `owner`'s (see get). */
  async update(
    id: string,
    data: string | { text?: string; metadata?: Metadata },
    owner?: OwnerOptions,
  ): Promise<{ message: string; id: string; memory: string }> {
    this.requireReady();
    const current = await this.ownedRecord(id, owner);
    if (current === undefined) throw memoryNotFound(id);
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
    await this.writer.write([{ op: "update", record }]);
    return { message: "Memory updated successfully!", id, memory: text };
  }

  /** Deletes a memory; NOT_FOUND for an unknown id and for one that is not `owner`'s (see get). */
  async delete(id: string, owner?: OwnerOptions): Promise<{ message: string }> {
    this.requireReady();
    if ((await this.ownedRecord(id, owner)) === undefined) throw memoryNotFound(id);
    await this.applyDeletes([id]);
    return { message: "Memory deleted successfully!" };
  }

  /** Deletes every memory of one owner (narrowed by runId when given). */
  async deleteAll(options: OwnerOptions): Promise<{ message: string; deleted: number }> {
    this.requireReady();
    const scope = this.scopeOf(options);
    const filter = narrowing(options, undefined);
    let deleted = 0;
    for (;;) {
      const page = await this.store.list({ scope, filter, limit: DELETE_BATCH });
      if (page.records.length === 0) break;
      await this.applyDeletes(page.records.map((record) => record.id));
      deleted += page.records.length;
    }
    return { message: "Memories deleted successfully!", deleted };
  }

  /** A memory's changes, oldest first (also once deleted); none for an unknown id and for one that is not `owner`'s (see get). */
  async history(id: string, owner?: OwnerOptions): Promise<HistoryEntry[]> {
    this.requireReady();
    return this.store.history(assertMemoryId(id), this.ownerMatch(owner));
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
    // Index writes that failed are retried in the background; wait for them to land first.
    await this.writer.idle();
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
    await this.writer.write(ids.map((id) => ({ op: "delete", id })));
  }

  /** Sessions untouched for `idle_flush_seconds` become episodes in the background. */
  private startIdleFlush(): void {
    const idleMs = this.config.boundary.idleFlushSeconds * 1000;
    this.idleTimer = setInterval(() => {
      if (this.idleFlushRunning !== undefined || this.indexProblem !== undefined) return;
      this.idleFlushRunning = this.flushIdleSessions(idleMs).finally(() => {
        this.idleFlushRunning = undefined;
      });
    }, Math.min(Math.max(idleMs / 4, 50), 30_000));
    // The timer must not keep a process alive that is otherwise done.
    this.idleTimer.unref();
  }

  private async flushIdleSessions(idleMs: number): Promise<void> {
    for (const key of await this.buffer.idleSessions(Date.now() - idleMs)) {
      if (!this.opened) return;
      try {
        const { episodes } = await this.formation.flush(key);
        this.logger.info({ session: key.sessionId, episodes: episodes.length }, "idle session flushed");
      } catch (error) {
        this.logger.warn({ err: error, session: key.sessionId }, "idle flush failed; will retry");
      }
    }
  }

  private identity() {
    return { model: this.embedder.model, dimensions: this.embedder.dimensions };
  }

  private appAndProject(options: Pick<OwnerOptions, "appId" | "projectId">): Pick<Scope, "appId" | "projectId"> {
    return {
      appId: options.appId === undefined ? this.config.appId : assertSegmentId(options.appId, "appId"),
      projectId: options.projectId === undefined ? this.config.projectId : assertSegmentId(options.projectId, "projectId"),
    };
  }

  /** The memory with this id when `owner` may reach it (see get), else undefined. */
  private async ownedRecord(id: string, owner: OwnerOptions | undefined): Promise<MemoryRecord | undefined> {
    const match = this.ownerMatch(owner);
    const record = await this.store.get(assertMemoryId(id));
    return record !== undefined && recordMatchesOwner(record, match) ? record : undefined;
  }

  /** What a by-id call may reach: the app and project always (the config's by default), the owner when named. */
  private ownerMatch(owner: OwnerOptions = {}): OwnerMatch {
    const match: OwnerMatch = this.appAndProject(owner);
    if (owner.userId !== undefined || owner.agentId !== undefined) {
      const { ownerType, ownerId } = this.scopeOf(owner);
      match.ownerType = ownerType;
      match.ownerId = ownerId;
      // A user's memory made with an agent: naming both narrows to it, as getAll does.
      if (owner.userId !== undefined && owner.agentId !== undefined) match.agentId = assertSegmentId(owner.agentId, "agentId");
    }
    if (owner.runId !== undefined) match.runId = assertSegmentId(owner.runId, "runId");
    return match;
  }

  private scopeOf(options: OwnerOptions): Scope {
    const { appId, projectId } = this.appAndProject(options);
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

/**
 * The embedder `[embedding]` (or its absence) asks for; the server builds it itself to time its
 * calls. Without an endpoint, the local embedder the root was built with (see chooseLocalEmbedder).
 */
export function defaultEmbedder(config: MemoryConfig): Embedder {
  const local = localEmbedderChoice(config);
  if (local !== undefined) return createLocalEmbedder(local, config.localEmbedding);
  const { baseUrl, ...rest } = config.embedding!;
  return new OpenAICompatibleEmbedder({ ...rest, baseURL: baseUrl });
}

/** Which local embedder a root uses when no endpoint is configured; undefined with an endpoint. */
export function localEmbedderChoice(config: MemoryConfig): LocalEmbedderChoice | undefined {
  if (config.embedding !== undefined) return undefined;
  return chooseLocalEmbedder(config.localEmbedding, recordedIndexIdentity(indexDirectory(config.root)));
}

export interface EmbedderInfo {
  name: "word-vectors" | "hashed" | "endpoint" | "custom";
  model: string;
  dimensions: number;
  /** For a local embedder: named in the config, kept from the root's index, or the default of a new root. */
  chosenBy?: LocalEmbedderChoice["reason"];
}

/** Mem0 callers often name the user only in `filters: { user_id }`; that names the owner too. */
/** `SearchOptions.now` as epoch ms; undefined means the current time. */
function searchTime(now: SearchOptions["now"]): number | undefined {
  if (now === undefined) return undefined;
  const ms = typeof now === "number" ? now : now instanceof Date ? now.getTime() : Date.parse(now);
  if (!Number.isFinite(ms)) throw new ValidationError("now must be epoch milliseconds, a Date or an ISO 8601 date", { details: { path: "now" } });
  return ms;
}

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

/** One message for an unknown id and another owner's: nothing tells the caller the memory exists. */
function memoryNotFound(id: string): NotFoundError {
  return new NotFoundError(`memory ${id} not found`, { details: { id } });
}

function optionalSegment(value: string | undefined, field: string): string | undefined {
  return value === undefined ? undefined : assertSegmentId(value, field);
}

function optionalIdempotencyKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_IDEMPOTENCY_KEY_CHARS) {
    throw new ValidationError(`idempotencyKey must be a string of 1-${MAX_IDEMPOTENCY_KEY_CHARS} characters`, { details: { path: "idempotencyKey" } });
  }
  return value;
}

/** A memory id (UUID-shaped, like the random ones) that the same seed always gives. */
function derivedMemoryId(seed: string): string {
  const hex = sha256(seed);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The session of an add that names none: its own, random one; the key's own with an idempotency key. */
function implicitSessionId(idempotencyKey: string | undefined): string {
  return idempotencyKey === undefined ? `add-${randomUUID()}` : `add-${sha256(idempotencyKey).slice(0, 32)}`;
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

export function chatModelFrom(config: LlmConfig, logger: Logger): StructuredModel {
  // maxExtractionAttempts is formation's setting, not the model's.
  const { baseUrl, maxExtractionAttempts: _formationSetting, ...rest } = config;
  return new ChatModel({ ...rest, baseURL: baseUrl, logger });
}

function ownerContext(options: OwnerOptions): Pick<OwnerOptions, "userId" | "agentId"> {
  const context: Pick<OwnerOptions, "userId" | "agentId"> = {};
  if (options.userId !== undefined) context.userId = options.userId;
  if (options.agentId !== undefined) context.agentId = options.agentId;
  return context;
}

/**
 * A turn's id is derived from (session, idempotency key, position) when the caller gave a key,
 * else from (session, timestamp, position, who, text) when the caller gave a timestamp, so
 * sending the same turns again does not buffer them twice; with neither it cannot be. Without a
 * key the text is part of it: two different turns that share a millisecond and a position (two
 * quick adds to one session) are both kept; a key names the turns, so it needs no text.
 */
function toBufferedTurn(key: SessionKey, turn: Turn, fallbackTime: number, options: OwnerOptions, idempotencyKey: string | undefined): BufferedTurn {
  const session = `${scopeKey(key.scope)}|${key.sessionId}`;
  const messageId =
    idempotencyKey !== undefined
      ? sha256(`${session}|key:${idempotencyKey}|${turn.index}`).slice(0, 32)
      : turn.timestamp === undefined
        ? randomUUID()
        : sha256(`${session}|${turn.timestamp}|${turn.index}|${turn.role}|${turn.senderId ?? ""}|${turn.text}`).slice(0, 32);
  const buffered: BufferedTurn = { messageId, role: turn.role, timestamp: turn.timestamp ?? fallbackTime, text: turn.text };
  const sender = turn.senderId ?? (turn.role === "user" ? options.userId : options.agentId);
  if (sender !== undefined) buffered.senderId = sender;
  return buffered;
}
