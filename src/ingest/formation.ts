import type { Logger } from "../log.js";
import { extractionPrompt } from "../extract/prompts.js";
import { extractionSchema } from "../extract/schemas.js";
import type { FactReconciler } from "../extract/reconciler.js";
import type { StructuredModel } from "../spec/llm.js";
import type { MemoryStore, RecordChange } from "../spec/memory-store.js";
import type { BufferedTurn, SessionBuffer, SessionContext, SessionKey } from "../spec/session-buffer.js";
import type { SessionLocks } from "../spec/session-locks.js";
import { isStorableTime, type MemoryEvent, type MemoryRecord } from "../spec/types.js";
import { parseIsoTime } from "../spec/scope.js";
import { CapabilityUnavailableError, ProviderError } from "../spec/errors.js";
import { turnsFromVerbatim, verbatimText } from "../extract/verbatim.js";
import { sha256 } from "../util/hash.js";
import { creationTime } from "../util/creation-clock.js";
import { InProcessSessionLocks } from "../util/in-process-session-locks.js";
import { type BoundaryRules, overHardLimit, startsNewEpisode } from "./boundary.js";
import { BoundaryJudge } from "./boundary-judge.js";
import type { MemoryWriter } from "./memory-writer.js";
import { joinSourceParts } from "./source-parts.js";

/** Failed extractions of the same pending turns before they are stored verbatim (`llm.max_extraction_attempts`). */
export const DEFAULT_MAX_EXTRACTION_ATTEMPTS = 3;

/** The metadata of an episode stored verbatim because its extraction failed: it awaits a re-extraction. */
export const EXTRACTION_PENDING = { extraction: "pending" } as const;

export type { MemoryEvent };

export interface FormationResult {
  events: MemoryEvent[];
  episodes: string[];
  /** Of the turns given to ingest: how many were new, and how many already seen (pending, or made into an episode). */
  buffered?: number;
  duplicates?: number;
}

export interface MemoryFormationOptions {
  writer: MemoryWriter;
  store: MemoryStore;
  buffer: SessionBuffer;
  /** Makes the work on one session exclusive (across processes for a shared backend); default: in-process. */
  sessionLocks?: SessionLocks;
  /**
   * Without it: local mode (rule-based boundaries, verbatim episodes, no facts). After
   * `maxExtractionAttempts` failed extractions (default 3) of a session's pending turns, they
   * are stored verbatim and marked for re-extraction.
   */
  llm?: { model: StructuredModel; reconciler: FactReconciler; maxExtractionAttempts?: number };
  rules: BoundaryRules;
  judge: BoundaryJudge;
  customInstructions?: string;
  logger: Logger;
}

/**
 * Turns a stream of turns into memories: buffers them per session, cuts episodes where the
 * rules (or, when they cannot tell, the LLM) say, extracts each episode with one LLM call and
 * reconciles its facts with what the owner already has. Adds to one session are serialised.
 */
export class MemoryFormation {
  private readonly sessionLocks: SessionLocks;

  constructor(private readonly options: MemoryFormationOptions) {
    this.sessionLocks = options.sessionLocks ?? new InProcessSessionLocks();
  }

  get localMode(): boolean {
    return this.options.llm === undefined;
  }

  /** Buffers the turns, makes the episodes that are complete, and with `flush` everything pending. */
  async ingest(key: SessionKey, turns: readonly BufferedTurn[], context: SessionContext, flush: boolean): Promise<FormationResult> {
    return this.sessionLocks.run(key, async () => {
      const { buffer, rules, judge } = this.options;
      const appended = await buffer.append(key, turns, context);
      const result: FormationResult = { events: [], episodes: [], buffered: appended.length, duplicates: turns.length - appended.length };
      const flushTurns = async (episodeTurns: BufferedTurn[]) => this.collect(result, await this.makeEpisode(key, episodeTurns));

      const pending = await buffer.pending(key);
      // Finished by the rules: every stretch before a day change or a long silence.
      let current: BufferedTurn[] = [];
      for (const turn of pending) {
        if (startsNewEpisode(current[current.length - 1], turn, rules)) {
          await flushTurns(current);
          current = [];
        }
        current.push(turn);
        if (overHardLimit(current, rules)) {
          await flushTurns(current);
          current = [];
        }
      }
      if (current.length === 0) return result;
      if (flush) {
        await flushTurns(current);
        return result;
      }
      // The rules could not decide: ask the LLM when there is enough new conversation to judge.
      const split = await judge.split(key, current);
      if (split !== undefined) {
        await flushTurns(current.slice(0, split));
        // The rest was just judged as one ongoing episode; do not ask about it again at once.
        await buffer.setJudgedCount(key, current.length - split);
      }
      return result;
    });
  }

  /** Makes an episode of whatever the session has pending. */
  async flush(key: SessionKey): Promise<FormationResult> {
    const context = (await this.options.buffer.context(key)) ?? { metadata: {} };
    return this.ingest(key, [], context, true);
  }

  /**
   * Extracts an episode that was stored verbatim because its extraction failed (metadata
   * `extraction: "pending"`): it becomes the extracted episode (same id, the verbatim text kept
   * in its history) and its facts are reconciled with the owner's. Throws when the model fails
   * again; the episode then stays as it was, marked. An episode no longer marked is left alone.
   */
  async reextract(episode: MemoryRecord): Promise<FormationResult> {
    const { llm, store, writer } = this.options;
    if (llm === undefined) throw new CapabilityUnavailableError("re-extraction needs an extraction LLM: set [llm]");
    const key: SessionKey = { scope: episode.scope, sessionId: episode.sessionId ?? `episode-${episode.id}` };
    return this.sessionLocks.run(key, async () => {
      const current = await store.get(episode.id);
      if (current === undefined || current.kind !== "episode" || current.metadata.extraction !== EXTRACTION_PENDING.extraction) {
        return { events: [], episodes: [] };
      }
      const { extraction: _mark, ...metadata } = current.metadata;
      const context: SessionContext = { metadata, ...ownerIds(current) };
      const turns = turnsFromVerbatim(current.text, current.timestamp, current.id);
      const extracted = await this.runExtraction(llm, key, turns, context, current);
      const updated: MemoryRecord = {
        ...current,
        text: extracted.narrative,
        subject: extracted.subject,
        summary: extracted.summary,
        metadata,
        hash: sha256(extracted.narrative),
        updatedAt: Math.max(Date.now(), current.updatedAt + 1),
      };
      await writer.write([{ op: "update", record: updated }, ...extracted.changes]);
      const event: MemoryEvent = { id: current.id, memory: updated.text, event: "UPDATE", previousMemory: current.text, kind: "episode" };
      return { events: [event, ...extracted.events], episodes: [current.id] };
    });
  }

  private extract(
    llm: NonNullable<MemoryFormationOptions["llm"]>,
    key: SessionKey,
    turns: readonly BufferedTurn[],
    context: SessionContext,
    episode: MemoryRecord,
  ): Promise<Extraction | undefined> {
    return extractOrGiveUp(llm, this.options.buffer, this.options.logger, key, () => this.runExtraction(llm, key, turns, context, episode));
  }

  /** One extraction call and the reconciliation of its facts; nothing is written. */
  private async runExtraction(
    llm: NonNullable<MemoryFormationOptions["llm"]>,
    key: SessionKey,
    turns: readonly BufferedTurn[],
    context: SessionContext,
    episode: MemoryRecord,
  ): Promise<Extraction> {
    const owner = `${key.scope.ownerType} ${key.scope.ownerId}`;
    const { value } = await llm.model.generateJson({
      schema: extractionSchema,
      schemaName: "episode_extraction",
      ...extractionPrompt(turns, owner, this.options.customInstructions),
    });
    const facts = value.facts.map((fact) => ({ text: fact.text, timestamp: parseTime(fact.time) ?? episode.timestamp }));
    const reconciled = await llm.reconciler.reconcile(key.scope, facts, { ...context, sessionId: key.sessionId, episodeId: episode.id });
    return { narrative: value.narrative, subject: value.subject, summary: value.summary, ...reconciled };
  }

  private collect(into: FormationResult, from: FormationResult): void {
    into.events.push(...from.events);
    into.episodes.push(...from.episodes);
  }

  private async makeEpisode(key: SessionKey, turns: BufferedTurn[]): Promise<FormationResult> {
    const { buffer, store, writer, llm } = this.options;
    const messageIds = turns.map((turn) => turn.messageId);
    const episodeId = episodeIdFor(messageIds);
    // A crash after the episode was written but before the buffer was cleared: just clear it.
    if ((await store.get(episodeId)) !== undefined) {
      await buffer.markFlushed(key, messageIds, episodeId);
      return { events: [], episodes: [] };
    }
    const context = (await buffer.context(key)) ?? { metadata: {} };
    const now = creationTime();
    const episode: MemoryRecord = {
      id: episodeId,
      kind: "episode",
      scope: key.scope,
      sessionId: key.sessionId,
      text: "",
      timestamp: turns[0]!.timestamp,
      createdAt: now,
      updatedAt: now,
      metadata: context.metadata,
      hash: "",
      ...ownerIds(context),
    };
    // The files the turns came with stay named on the episode, whether its text is the turns or a narrative of them.
    const sourceParts = joinSourceParts(turns.map((turn) => turn.sourceParts));
    if (sourceParts !== undefined) episode.sourceParts = sourceParts;
    const changes: RecordChange[] = [];
    const events: MemoryEvent[] = [];
    const extracted = llm === undefined ? undefined : await this.extract(llm, key, turns, context, episode);
    if (extracted === undefined) {
      episode.text = verbatimText(turns);
      // Turns the model could not extract: found by search as they are, and findable for a re-extraction.
      if (llm !== undefined) episode.metadata = { ...context.metadata, ...EXTRACTION_PENDING };
    } else {
      episode.text = extracted.narrative;
      episode.subject = extracted.subject;
      episode.summary = extracted.summary;
      changes.push(...extracted.changes);
      events.push(...extracted.events);
    }
    episode.hash = sha256(episode.text);
    await writer.write([{ op: "add", record: episode }, ...changes]);
    await buffer.markFlushed(key, messageIds, episodeId);
    return { events: [{ id: episode.id, memory: episode.text, event: "ADD", kind: "episode" }, ...events], episodes: [episode.id] };
  }
}

/**
 * One extraction attempt: the episode and its facts, reconciled with the owner's. undefined when
 * the model failed for the `maxExtractionAttempts`-th time on these pending turns: the caller
 * stores them verbatim instead. Earlier failures are counted (in the session buffer, so a
 * restart keeps the count) and thrown, so the turns stay buffered and the caller sees the error.
 *
 * Only failures that another try of the same request would meet again count: output that stays
 * unusable after the correction round, or a request the endpoint refuses (non-retryable
 * ProviderError). An endpoint that is down or overloaded does not: the turns wait for it.
 */
async function extractOrGiveUp(
  llm: NonNullable<MemoryFormationOptions["llm"]>,
  buffer: SessionBuffer,
  logger: Logger,
  key: SessionKey,
  work: () => Promise<Extraction>,
): Promise<Extraction | undefined> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ProviderError) || error.isRetryable) throw error;
    const attempts = await buffer.recordFailedExtraction(key);
    const allowed = llm.maxExtractionAttempts ?? DEFAULT_MAX_EXTRACTION_ATTEMPTS;
    if (attempts < allowed) throw error;
    logger.warn(
      { err: error, session: key.sessionId, attempts },
      "extraction failed on every attempt; the turns are stored verbatim as an episode marked extraction: pending",
    );
    return undefined;
  }
}

interface Extraction {
  narrative: string;
  subject: string;
  summary: string;
  changes: RecordChange[];
  events: MemoryEvent[];
}

/** The same turns always make the same episode id: a retried flush cannot write it twice. */
function episodeIdFor(messageIds: readonly string[]): string {
  const hex = sha256(messageIds.join("\n"));
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function ownerIds(context: SessionContext): Pick<MemoryRecord, "userId" | "agentId" | "runId"> {
  const ids: Pick<MemoryRecord, "userId" | "agentId" | "runId"> = {};
  if (context.userId !== undefined) ids.userId = context.userId;
  if (context.agentId !== undefined) ids.agentId = context.agentId;
  if (context.runId !== undefined) ids.runId = context.runId;
  return ids;
}

/** A fact's time as the model wrote it; one no memory can carry (unparsable, year 10000) is ignored. */
function parseTime(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = parseIsoTime(value);
  return isStorableTime(ms) ? ms : undefined;
}
