/**
 * What the agent-facing tools (MCP, AI SDK) need from a memory: a small interface that the
 * in-process `Memory` satisfies as it is, and that `httpMemory` (./http-memory.ts) implements
 * over the HTTP client, so one set of tools serves a library user and a server's client alike.
 */
import type { InputMessage } from "../ingest/messages.js";
import type { AddOptions, GetAllOptions, OwnerOptions, SearchOptions } from "../memory.js";
import type { HistoryEntry, MemoryKind, Metadata, PartType } from "../spec/types.js";

/** A memory as the tools show it: the fields both the library and the HTTP API return. */
export interface MemoryView {
  id: string;
  memory: string;
  kind: MemoryKind;
  createdAt: string;
  updatedAt: string;
  timestamp: string;
  userId?: string;
  agentId?: string;
  runId?: string;
  sessionId?: string;
  metadata: Metadata;
  subject?: string;
  summary?: string;
  /** For a fact: the episode it was extracted from (Mem0's `sources`). */
  sources?: string[];
  /** Present on search results. */
  score?: number;
}

export interface PortEvent {
  id: string;
  memory: string;
  event: "ADD" | "UPDATE" | "DELETE" | "NONE";
  kind: MemoryKind;
}

export interface PortPartReport {
  type: PartType;
  format: string;
  parseStatus: "ok" | "failed";
  parser: string;
  chars: number;
  error?: { code: string; message: string };
}

export interface PortAddResult {
  results: PortEvent[];
  parts: PortPartReport[];
  /** Episodes this call made; empty when the turns were only buffered. */
  episodes: string[];
}

export interface MemoryPort {
  add(messages: InputMessage[], options: AddOptions): Promise<PortAddResult>;
  search(query: string, options: SearchOptions): Promise<{ results: MemoryView[] }>;
  getAll(options: GetAllOptions): Promise<{ results: MemoryView[]; nextCursor?: string }>;
  /** null when the id is unknown or belongs to another owner (the two look the same). */
  get(id: string, owner: OwnerOptions): Promise<MemoryView | null>;
  update(id: string, data: { text?: string; metadata?: Metadata }, owner: OwnerOptions): Promise<unknown>;
  delete(id: string, owner: OwnerOptions): Promise<unknown>;
  history(id: string, owner: OwnerOptions): Promise<HistoryEntry[]>;
  flush(options: OwnerOptions & { sessionId: string }): Promise<PortAddResult>;
}

/**
 * Whose memory the tools act on and where, fixed by whoever set the tools up (a server's
 * arguments, the app's code), never by the model: no tool takes an owner as input.
 */
export interface ToolOwner extends OwnerOptions {
  /** The session new turns go to; default "default". */
  sessionId?: string;
}
