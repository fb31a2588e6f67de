import { randomUUID } from "node:crypto";
import type { Logger } from "../log.js";
import type { MemoryStore } from "../spec/memory-store.js";
import { scopeKey } from "../spec/scope.js";
import type { BufferedTurn, SessionKey } from "../spec/session-buffer.js";
import type { MemoryRecord, Metadata, Scope } from "../spec/types.js";
import { newMemoryId } from "../store/ids.js";
import { sha256 } from "../util/hash.js";
import { creationTime } from "../util/creation-clock.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
import { type AddOptions, type AddResult, type AddResultEvent, type OwnerOptions, optionalIdempotencyKey, optionalSegment } from "./call-options.js";
import type { MemoryFormation } from "./formation.js";
import type { MessageInput, Turn } from "./messages.js";
import type { MemoryWriter } from "./memory-writer.js";
import { validMetadata } from "./metadata.js";
import type { OwnerScopes } from "./owner-scopes.js";
import type { PartReport } from "./part-parser.js";
import type { TurnParser } from "./turn-parser.js";

export interface AddPipelineParts {
  scopes: OwnerScopes;
  parser: TurnParser;
  formation: MemoryFormation;
  writer: MemoryWriter;
  store: MemoryStore;
  logger: Logger;
}

/** `Memory.add`: checks the call, parses the turns, then buffers them for formation (infer) or stores each as it is. */
export class AddPipeline {
  /** Serialises verbatim adds that share an idempotency key, so two at once cannot both write. */
  private readonly idempotentAdds = new KeyedMutex();
  private warnedLocalMode = false;

  constructor(private readonly parts: AddPipelineParts) {}

  async add(messages: MessageInput, options: AddOptions): Promise<AddResult> {
    const scope = this.parts.scopes.scopeOf(options);
    const sessionId = optionalSegment(options.sessionId, "sessionId");
    const runId = optionalSegment(options.runId, "runId");
    const metadata = validMetadata(options.metadata);
    const idempotencyKey = optionalIdempotencyKey(options.idempotencyKey);
    const now = Date.now();
    const { turns, parts } = await this.parts.parser.parse(messages);
    if (options.infer === false) {
      const verbatimOptions = { ...options, sessionId, runId };
      if (idempotencyKey === undefined) return this.addVerbatim(turns, parts, scope, verbatimOptions, metadata, now);
      return this.idempotentAdds.run(`${scopeKey(scope)}|${idempotencyKey}`, () =>
        this.addVerbatim(turns, parts, scope, verbatimOptions, metadata, now, idempotencyKey),
      );
    }

    if (this.parts.formation.localMode && !this.warnedLocalMode) {
      this.warnedLocalMode = true;
      this.parts.logger.warn("no extraction LLM configured: local mode (rule-based episodes stored verbatim, no facts); set [llm] to extract memories");
    }
    // Without a session, the call's turns are one conversation of their own (Mem0's behaviour);
    // with an idempotency key that conversation must be the same one when the add is repeated.
    const key: SessionKey = { scope, sessionId: sessionId ?? implicitSessionId(idempotencyKey) };
    const buffered = turns.map((turn, i) => toBufferedTurn(key, turn, now + i, options, idempotencyKey));
    const context = { ...ownerContext(options), ...(runId === undefined ? {} : { runId }), metadata };
    const formed = await this.parts.formation.ingest(key, buffered, context, options.flush ?? true);
    return { results: formed.events, parts, episodes: formed.episodes, buffered: formed.buffered ?? 0, duplicates: formed.duplicates ?? 0 };
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
    const created = creationTime(turns.length);
    const records: MemoryRecord[] = turns.map((turn, i) => {
      const record: MemoryRecord = {
        id: idempotencyKey === undefined ? newMemoryId() : derivedMemoryId(`${scopeKey(scope)}|${idempotencyKey}|${turn.index}`),
        kind: "episode",
        scope,
        text: turn.text,
        role: turn.role,
        // Later turns of one call sort after earlier ones even within the same millisecond.
        timestamp: turn.timestamp ?? now + i,
        createdAt: created + i,
        updatedAt: created + i,
        metadata,
        hash: sha256(turn.text),
      };
      if (turn.sourceParts !== undefined) record.sourceParts = turn.sourceParts;
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
    /** Stored by an earlier add with this key and deleted since: a retry does not bring it back. */
    const deletedSince = new Set<string>();
    if (idempotencyKey !== undefined) {
      for (const record of await this.parts.store.getMany(records.map((record) => record.id))) existing.set(record.id, record);
      const missing = records.filter((record) => !existing.has(record.id));
      // A scope names the owner as a by-id match does (app, project, owner).
      const histories = await Promise.all(missing.map((record) => this.parts.store.history(record.id, scope)));
      missing.forEach((record, i) => {
        if (histories[i]!.length > 0) deletedSince.add(record.id);
      });
    }
    let fresh = records.filter((record) => !existing.has(record.id) && !deletedSince.has(record.id));
    try {
      if (fresh.length > 0) await this.parts.writer.write(fresh.map((record) => ({ op: "add", record })));
    } catch (error) {
      // The same add repeated by another process at the same moment (servers sharing a database
      // lock keys within their own process only) may have stored these ids first: the write then
      // fails as a whole, and what the other one stored is this add's, as "NONE".
      if (idempotencyKey === undefined) throw error;
      const storedMeanwhile = await this.parts.store.getMany(fresh.map((record) => record.id));
      if (storedMeanwhile.length !== fresh.length) throw error;
      for (const record of storedMeanwhile) existing.set(record.id, record);
      fresh = [];
    }
    return {
      results: records.map((record): AddResultEvent => {
        const stored = existing.get(record.id);
        if (deletedSince.has(record.id)) return { id: record.id, memory: record.text, event: "NONE", kind: "episode" };
        return stored === undefined
          ? { id: record.id, memory: record.text, event: "ADD", kind: "episode" }
          : { id: stored.id, memory: stored.text, event: "NONE", kind: stored.kind };
      }),
      parts,
      episodes: fresh.map((record) => record.id),
    };
  }
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

function assignDefined<T extends object>(target: T, values: Partial<T>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
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
  if (turn.sourceParts !== undefined) buffered.sourceParts = turn.sourceParts;
  const sender = turn.senderId ?? (turn.role === "user" ? options.userId : options.agentId);
  if (sender !== undefined) buffered.senderId = sender;
  return buffered;
}
