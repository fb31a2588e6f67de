import type { MemoryStore } from "./memory-store.js";
import type { ParseCache } from "./parse-cache.js";
import type { SearchIndex } from "./search-index.js";
import type { SessionBuffer } from "./session-buffer.js";
import type { SessionLocks } from "./session-locks.js";
import type { MemoryRecord, Scope, SearchFilter } from "./types.js";

/**
 * Everything `Memory` needs from where memories live; Memory never looks behind it. Each backend
 * is a folder of its own under src/store/ (embedded: markdown + SQLite + LanceDB; postgres: one
 * PostgreSQL database with pgvector), and every backend passes the conformance suites looped over
 * all of them in src/store/backends.test.ts. Constructing a backend does no I/O.
 */
export interface Backend {
  /** Which backend this is ("embedded", "postgres", or a library user's own). */
  readonly kind: string;
  /** Records, their history, and (for a backend with an outbox) the index work owed. */
  readonly store: MemoryStore;
  /** Keyword and vector search; Memory opens it with the embedder's identity after `open`. */
  readonly index: SearchIndex;
  /** Turns waiting to become an episode, per session and owner, and the processed-message ids. */
  readonly buffer: SessionBuffer;
  /** Makes the work on one session exclusive across every process sharing the backend. */
  readonly sessionLocks: SessionLocks;
  /** Parsed text of attachments, shared by every process using the backend. */
  readonly parseCache: ParseCache;
  /** Opens the store and what the other parts share (a root lock, a pool); idempotent per open/close pair. */
  open(): Promise<void>;
  /** Closes every part (the index too, when it was opened). */
  close(): Promise<void>;
  /**
   * Records durable in the store that the index does not hold yet (its outbox), of one owner,
   * matching `filter`, newest first: search merges them in, so a memory is found from the moment
   * it is durable. Empty for a backend whose index is written with the record.
   */
  pendingRecords(scope: Scope, filter: SearchFilter | undefined, limit: number): Promise<MemoryRecord[]>;
  /** What is worth a warning once open (e.g. markdown present but the catalog new: run reindex). */
  openWarnings(): Promise<string[]>;
  /** Where the memories live, for health, doctor and logs (never a password). */
  describe(): BackendDescription;
  /** The embedded backend's markdown truth, for tools that read or copy the files; absent elsewhere. */
  readonly markdown?: MarkdownTruth;
  /** Every record matching `filter`, oldest first (created_at, then id), for export; absent when a backend cannot yet. */
  recordsInCreationOrder?(filter?: RecordFilter, batchSize?: number): AsyncIterable<MemoryRecord>;
}

export interface BackendDescription {
  kind: string;
  /** A folder, or a database URL with the password removed. */
  location: string;
}

/** Markdown files that are the truth of a backend (embedded): the catalog and index derive from them. */
export interface MarkdownTruth {
  /** The data root the paths are relative to. */
  readonly root: string;
  /** Every log file, relative to root with `/` separators (`<app>/<project>/<users|agents>/<owner>/<kind>/<date>.md`). */
  logFiles(): Promise<string[]>;
}

/** Fields `recordsInCreationOrder` can narrow by; every one given must match. */
export interface RecordFilter {
  appId?: string;
  projectId?: string;
  ownerType?: Scope["ownerType"];
  ownerId?: string;
  /** The agent a memory was made with (a user's memory may name one too). */
  agentId?: string;
  kind?: MemoryRecord["kind"];
}
