import type { Metadata, Role, Scope, SourcePart } from "./types.js";

/** A session's pending turns belong to one owner: group chats buffer per owner. */
export interface SessionKey {
  scope: Scope;
  sessionId: string;
}

/** A turn waiting in a session buffer: parsed text only, never raw bytes. */
export interface BufferedTurn {
  /** Deterministic (session, timestamp, index): a retried add does not buffer a turn twice. */
  messageId: string;
  role: Role;
  senderId?: string;
  timestamp: number;
  text: string;
  /** The files whose parsed text the turn holds: the episode made from it carries them. */
  sourceParts?: SourcePart[];
}

/** What an episode made from the buffer carries besides the turns: from the latest add. */
export interface SessionContext {
  userId?: string;
  agentId?: string;
  runId?: string;
  metadata: Metadata;
}

export interface SessionBuffer {
  /** Buffers turns not seen before (neither pending nor already made into an episode). */
  append(key: SessionKey, turns: readonly BufferedTurn[], context: SessionContext): Promise<BufferedTurn[]>;
  /** Pending turns, oldest first. */
  pending(key: SessionKey): Promise<BufferedTurn[]>;
  context(key: SessionKey): Promise<SessionContext | undefined>;
  /** Removes the turns from the buffer and remembers they became this episode. */
  markFlushed(key: SessionKey, messageIds: readonly string[], episodeId: string): Promise<void>;
  /** How many pending turns the boundary LLM has already judged; reset by a flush. */
  judgedCount(key: SessionKey): Promise<number>;
  setJudgedCount(key: SessionKey, count: number): Promise<void>;
  /**
   * Failed extraction attempts of the pending turns, kept with the buffer so that a restart does
   * not forget them; reset by markFlushed. After `llm.max_extraction_attempts` the turns are
   * stored verbatim (see ingest/formation.ts), so a model that keeps failing blocks no session.
   */
  extractionAttempts(key: SessionKey): Promise<number>;
  /** Counts one more failed extraction attempt and returns the new count. */
  recordFailedExtraction(key: SessionKey): Promise<number>;
  /** Sessions with pending turns and no activity since `before` (epoch ms). */
  idleSessions(before: number): Promise<SessionKey[]>;
  /**
   * Drops an owner's pending turns and session state (of one run's sessions when `runId` is
   * given: those whose latest add named it), as deleting all of an owner's memories must: a
   * buffered turn would otherwise become a memory again at the next flush. Returns the turns dropped.
   */
  discard(scope: Scope, runId?: string): Promise<number>;
  /** The buffers (one per owner) holding pending turns of this session. */
  ownersOf(appId: string, projectId: string, sessionId: string): Promise<SessionKey[]>;
  /**
   * Gives back a session `idleSessions` claimed, after its flush failed, so any process may try
   * again at once (a shared backend claims idle sessions so that one process flushes each).
   */
  releaseClaim?(key: SessionKey): Promise<void>;
}
