import type { RecordFilter } from "../../spec/backend.js";
import type { MemoryRecord } from "../../spec/types.js";
import type { MigrationReport } from "./migrations.js";
import { PostgresDatabase, type PostgresOptions } from "./pg-database.js";
import { PostgresMemoryStore } from "./pg-memory-store.js";
import { PostgresParseCache } from "./pg-parse-cache.js";
import { PostgresSearchIndex, type PostgresSearchIndexOptions } from "./pg-search-index.js";
import { PostgresSessionBuffer, type PostgresSessionBufferOptions } from "./pg-session-buffer.js";
import { PostgresSessionLocks } from "./pg-session-locks.js";

export interface PostgresBackendOptions extends PostgresOptions {
  index?: PostgresSearchIndexOptions;
  buffer?: PostgresSessionBufferOptions;
}

/**
 * Everything Memory needs from a backend, on one PostgreSQL database: any number of servers
 * can open the same database at once. The parts share one pool (opened by the first part that
 * opens, ended by the last that closes). Constructing does no I/O.
 */
export class PostgresBackend {
  readonly database: PostgresDatabase;
  readonly store: PostgresMemoryStore;
  readonly index: PostgresSearchIndex;
  readonly buffer: PostgresSessionBuffer;
  readonly sessionLocks: PostgresSessionLocks;
  readonly parseCache: PostgresParseCache;

  constructor(options: PostgresBackendOptions) {
    this.database = new PostgresDatabase(options);
    this.store = new PostgresMemoryStore(this.database);
    this.index = new PostgresSearchIndex(this.database, options.index);
    this.buffer = new PostgresSessionBuffer(this.database, options.buffer);
    this.sessionLocks = new PostgresSessionLocks(this.database);
    this.parseCache = new PostgresParseCache(this.database);
  }

  /** Every record matching `filter`, oldest first (created_at, then id): export and copy read this. */
  recordsInCreationOrder(filter?: RecordFilter, batchSize?: number): AsyncIterable<MemoryRecord> {
    return this.store.recordsInCreationOrder(filter, batchSize);
  }

  /** Applies pending schema migrations (`omnimem migrate`); servers already running are unaffected. */
  migrate(): Promise<MigrationReport> {
    return this.database.migrate();
  }
}
