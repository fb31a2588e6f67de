import type { Backend, BackendDescription, MarkdownTruth, RecordFilter } from "../../spec/backend.js";
import type { SearchIndex } from "../../spec/search-index.js";
import type { MemoryRecord, Scope, SearchFilter } from "../../spec/types.js";
import { InProcessSessionLocks } from "../../util/in-process-session-locks.js";
import type { Logger } from "../../log.js";
import { EmbeddedStore } from "./embedded-store.js";
import { indexDirectory } from "./index-identity.js";
import { LanceIndex } from "./lance-index.js";
import { SqliteParseCache } from "./sqlite-parse-cache.js";
import { SqliteSessionBuffer } from "./sqlite-session-buffer.js";

export interface EmbeddedBackendOptions {
  /** The data root: markdown folders per app, `.index/` for SQLite and LanceDB. */
  root: string;
  /** Another search index instead of LanceDB under `<root>/.index/lance` (tests inject failing ones). */
  index?: SearchIndex;
  /** LanceDB: rows below which vector search scans exactly, and the ANN search breadth. */
  annMinRows?: number;
  annEf?: number;
  /** Called when LanceDB's background maintenance fails (it is retried later). */
  onIndexError?: (error: unknown) => void;
  /** Where the store warns about background work that fell back to a slower path. */
  logger?: Logger;
}

/**
 * The default backend: markdown daily logs are the truth, SQLite (WAL) holds the catalog,
 * history, outbox, session buffers and parse cache, LanceDB the search index. One process owns a
 * root (the root lock), so session locks are in-process. Writes owe the index an outbox job
 * until it takes them; `pendingRecords` lets search see them meanwhile, and Memory's start-up
 * replay finishes what a crash left.
 */
export class EmbeddedBackend implements Backend {
  readonly kind = "embedded";
  readonly store: EmbeddedStore;
  readonly index: SearchIndex;
  readonly buffer: SqliteSessionBuffer;
  readonly sessionLocks = new InProcessSessionLocks();
  readonly parseCache: SqliteParseCache;

  constructor(options: EmbeddedBackendOptions) {
    this.store = new EmbeddedStore({ root: options.root, ...(options.logger === undefined ? {} : { logger: options.logger }) });
    this.index =
      options.index ??
      new LanceIndex({
        directory: indexDirectory(options.root),
        ...(options.annMinRows === undefined ? {} : { annMinRows: options.annMinRows }),
        ...(options.annEf === undefined ? {} : { ef: options.annEf }),
        ...(options.onIndexError === undefined ? {} : { onBackgroundError: options.onIndexError }),
      });
    this.buffer = new SqliteSessionBuffer(() => this.store.stateDb);
    this.parseCache = new SqliteParseCache(() => this.store.stateDb);
  }

  get markdown(): MarkdownTruth {
    return this.store;
  }

  open(): Promise<void> {
    return this.store.open();
  }

  async close(): Promise<void> {
    await this.index.close();
    await this.sessionLocks.close();
    await this.store.close();
  }

  async pendingRecords(scope: Scope, filter: SearchFilter | undefined, limit: number): Promise<MemoryRecord[]> {
    return this.store.owedRecords(scope, filter, limit);
  }

  async openWarnings(): Promise<string[]> {
    if (!this.store.stateWasCreated || (await this.store.logFiles()).length === 0) return [];
    return ["markdown memories exist but the catalog is new (was .index/ deleted?); run `omnimem reindex` to rebuild it"];
  }

  describe(): BackendDescription {
    return { kind: this.kind, location: this.store.root };
  }

  recordsInCreationOrder(filter?: RecordFilter, batchSize?: number): AsyncIterable<MemoryRecord> {
    return this.store.recordsInCreationOrder(filter, batchSize);
  }
}
