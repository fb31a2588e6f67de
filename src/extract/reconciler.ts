import type { Logger } from "../log.js";
import type { SearchEngine } from "../search/search-engine.js";
import type { StructuredModel } from "../spec/llm.js";
import type { RecordChange } from "../spec/memory-store.js";
import type { MemoryEvent, MemoryRecord, Metadata, Scope } from "../spec/types.js";
import { newMemoryId } from "../store/ids.js";
import { sha256 } from "../util/hash.js";
import { creationTime } from "../util/creation-clock.js";
import { reconciliationPrompt } from "./prompts.js";
import { reconciliationSchema } from "./schemas.js";

export interface NewFact {
  text: string;
  timestamp: number;
}

export interface FactContext {
  userId?: string;
  agentId?: string;
  runId?: string;
  sessionId: string;
  episodeId: string;
  metadata: Metadata;
}

/** Similar existing facts fetched per new fact; more gives the model context, and costs tokens. */
const SIMILAR_PER_FACT = 5;
const MAX_EXISTING = 30;

/**
 * Decides, for a batch of new facts, what happens to the owner's memory: ADD, UPDATE, DELETE
 * or NONE, in one LLM call. Existing facts are shown as small integers so the model cannot
 * invent ids; operations naming an id that was not shown are dropped.
 */
export class FactReconciler {
  constructor(
    private readonly llm: StructuredModel,
    private readonly search: SearchEngine,
    private readonly logger: Logger,
    private readonly customInstructions?: string,
  ) {}

  async reconcile(scope: Scope, facts: readonly NewFact[], context: FactContext): Promise<{ changes: RecordChange[]; events: MemoryEvent[] }> {
    if (facts.length === 0) return { changes: [], events: [] };
    const existing = await this.similarFacts(scope, facts);
    const now = Date.now();
    const newRecord = (text: string, fact: NewFact | undefined, created = creationTime()): MemoryRecord => ({
      id: newMemoryId(),
      kind: "fact",
      scope,
      text,
      timestamp: fact?.timestamp ?? now,
      createdAt: created,
      updatedAt: created,
      metadata: context.metadata,
      hash: sha256(text),
      sessionId: context.sessionId,
      episodeId: context.episodeId,
      ...(context.userId === undefined ? {} : { userId: context.userId }),
      ...(context.agentId === undefined ? {} : { agentId: context.agentId }),
      ...(context.runId === undefined ? {} : { runId: context.runId }),
    });
    const changes: RecordChange[] = [];
    const events: MemoryEvent[] = [];
    const add = (text: string, fact: NewFact | undefined) => {
      const record = newRecord(text, fact);
      changes.push({ op: "add", record });
      events.push({ id: record.id, memory: text, event: "ADD", kind: "fact" });
    };
    // Nothing similar is known: every fact is new, and no model call is needed to say so.
    if (existing.length === 0) {
      for (const fact of facts) add(fact.text, fact);
      return { changes, events };
    }
    const { value } = await this.llm.generateJson({
      schema: reconciliationSchema,
      schemaName: "memory_reconciliation",
      ...reconciliationPrompt(existing.map((record) => record.text), facts.map((fact) => fact.text), this.customInstructions),
    });
    const touched = new Set<number>();
    for (const operation of value.operations) {
      const fact = operation.fact === null ? undefined : facts[operation.fact];
      if (operation.event === "NONE") continue;
      if (operation.event === "ADD") {
        const text = operation.text ?? fact?.text;
        if (text === undefined || text.trim() === "") {
          this.logger.warn({ operation }, "reconciliation: ADD without a text or a known fact; dropped");
          continue;
        }
        add(text, fact);
        continue;
      }
      const target = operation.id === null ? undefined : existing[operation.id];
      if (target === undefined || touched.has(operation.id!)) {
        this.logger.warn({ operation }, "reconciliation: an operation names an id that was not offered (or twice); dropped");
        continue;
      }
      touched.add(operation.id!);
      if (operation.event === "DELETE") {
        changes.push({ op: "delete", id: target.id });
        events.push({ id: target.id, memory: target.text, event: "DELETE", kind: "fact" });
        continue;
      }
      const text = operation.text ?? fact?.text;
      if (text === undefined || text.trim() === "") continue;
      const updated: MemoryRecord = {
        ...target,
        text,
        hash: sha256(text),
        updatedAt: Math.max(now, target.updatedAt + 1),
        timestamp: fact?.timestamp ?? target.timestamp,
        episodeId: context.episodeId,
      };
      changes.push({ op: "update", record: updated });
      events.push({ id: target.id, memory: text, event: "UPDATE", previousMemory: target.text, kind: "fact" });
    }
    return { changes, events };
  }

  private async similarFacts(scope: Scope, facts: readonly NewFact[]): Promise<MemoryRecord[]> {
    const found = new Map<string, MemoryRecord>();
    for (const fact of facts) {
      const hits = await this.search.search({ query: fact.text, scope, method: "hybrid", limit: SIMILAR_PER_FACT, filter: { kind: "fact" } });
      for (const { record } of hits) if (found.size < MAX_EXISTING) found.set(record.id, record);
    }
    return [...found.values()];
  }
}
