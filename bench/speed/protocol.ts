/** What the speed benchmark's parent and its per-system children say to each other (over IPC). */
import type { FakeServerUsage } from "../../test/support/fake-openai-server.js";
import type { LatencySummary } from "../stats.js";

export const SYSTEMS = ["mem0", "omnimem", "omnimem-local"] as const;
export type SystemName = (typeof SYSTEMS)[number];

export function isSystemName(value: string): value is SystemName {
  return (SYSTEMS as readonly string[]).includes(value);
}

export interface MemoryUse {
  /** `process.resourceUsage().maxRSS` at the end of the child: its peak resident set, MiB. */
  peakRssMiB: number;
  /** `process.memoryUsage().heapUsed` at the end, after the last measured operation, MiB. */
  heapUsedMiB: number;
}

/** Fake-server counters spent by some operations, divided by how many there were. */
export interface CallsPer {
  chatCalls: number;
  embeddingCalls: number;
  promptTokens: number;
  completionTokens: number;
  embeddingTokens: number;
}

export interface SearchResultRow {
  /** omnimem: "vector" | "hybrid"; Mem0: "mem0" (its one search path). */
  method: string;
  latency: LatencySummary;
  /** How often the memory a query was cut from is among the top 10. */
  recallAt10: number;
  /** Stopped at the time budget before all queries ran. */
  budgetHit: boolean;
  perSearch: CallsPer;
}

export interface ScaleResult {
  kind: "scale";
  system: SystemName;
  n: number;
  users: number;
  /** The memories' timestamps span this many days (omnimem keeps one markdown log per owner and day). */
  days: number;
  dimensions: number;
  openMs: number;
  bulk: { count: number; batch: number; seconds: number; perSecond: number; perAdd: CallsPer };
  /** omnimem: waiting for background index work after the bulk fill, before timing single adds. */
  settleMs: number;
  /** `breakdownMs`: mean milliseconds per single add spent in each named inner step. */
  singleAdd: { latency: LatencySummary; perAdd: CallsPer; breakdownMs: Record<string, number> };
  /** omnimem: `idle()` + `searchIndex.maintain()` before the searches; 0 for Mem0 (nothing to do). */
  maintenanceMs: number;
  search: SearchResultRow[];
  memory: MemoryUse;
  diskMiB: number;
  blockedConnections: string[];
  notes: string[];
}

export interface InferResult {
  kind: "infer";
  system: SystemName;
  adds: number;
  latency: LatencySummary;
  perAdd: CallsPer;
  /** Memories the adds reported as created (Mem0: results; omnimem: episodes + facts). */
  memoriesCreated: number;
  memory: MemoryUse;
  blockedConnections: string[];
  notes: string[];
}

export type ChildResult = ScaleResult | InferResult;

export type ChildMessage =
  | { type: "usage-request"; id: number }
  | { type: "progress"; text: string }
  | { type: "result"; result: ChildResult }
  | { type: "error"; message: string };

export type ParentMessage = { type: "usage"; id: number; usage: FakeServerUsage };

export function callsPer(before: FakeServerUsage, after: FakeServerUsage, count: number): CallsPer {
  const per = (key: keyof FakeServerUsage) => (count === 0 ? 0 : (after[key] - before[key]) / count);
  return {
    chatCalls: per("chatCalls"),
    embeddingCalls: per("embeddingCalls"),
    promptTokens: per("promptTokens"),
    completionTokens: per("completionTokens"),
    embeddingTokens: per("embeddingTokens"),
  };
}
