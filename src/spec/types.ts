/**
 * The data that flows through the pipeline. Types only: nothing here does I/O.
 */

/** Where a memory lives: an app and project, and the one user or agent that owns it. */
export interface Scope {
  appId: string;
  projectId: string;
  ownerType: "user" | "agent";
  ownerId: string;
}

export type PartType = "text" | "image" | "pdf" | "audio" | "doc" | "html" | "email";

/** One content item of a message, in canonical form (after content/normalize). */
export type Part =
  | { type: "text"; text: string }
  | {
      type: Exclude<PartType, "text">;
      /** Exactly one of these carries the payload. */
      source:
        | { kind: "url"; url: string }
        | { kind: "base64"; data: string }
        | { kind: "bytes"; data: Uint8Array };
      mediaType?: string;
      ext?: string;
      name?: string;
    };

export interface Provenance {
  page?: number;
  startMs?: number;
  endMs?: number;
  attachment?: string;
}

/** A part turned into text, with how and from what. */
export interface ParsedPart {
  messageIndex: number;
  itemIndex: number;
  type: PartType;
  parseStatus: "ok" | "failed";
  parser: string;
  chars: number;
  text: string;
  bytes?: number;
  sha256?: string;
  durationMs?: number;
  provenance?: Provenance[];
  error?: { code: string; message: string };
}

/**
 * A file whose parsed text is part of a memory: what it was and which parser (and model, where
 * one read it) turned it into text. Kept with the memory, so a reader can tell where text came from.
 */
export interface SourcePart {
  /** The modality it was parsed as (the sniffed one). */
  type: PartType;
  /** The sniffed format, e.g. "png", "pdf", "docx". */
  format: string;
  /** The file name, when the content item or its URL named one. */
  name?: string;
  /** Which parser produced the text, e.g. "image/ocr", "image/vision", "pdf/text-layer". */
  parser: string;
  /** The model or engine behind the parser, where there is one (e.g. "tesseract.js", a vision model's name). */
  model?: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  bytes: number;
}

export type Role = "user" | "assistant" | "system" | "tool";

/** One conversation turn after parsing: plain text plus who said it and when. */
export interface Message {
  role: Role;
  text: string;
  senderId?: string;
  /** Epoch milliseconds of the turn. */
  timestamp: number;
}

export type Metadata = Record<string, string | number | boolean | null>;

export type MemoryKind = "episode" | "fact";

/**
 * The latest time a memory can carry: the end of year 9999 (epoch ms). Memories are filed by day
 * in logs named YYYY-MM-DD, so every backend takes times from 1970 to 9999: a later one (valid
 * for a JSON number, and for Date up to year 275760) is refused at the input, not when a write
 * is half done.
 */
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Whether `ms` is a time a memory can carry: whole or fractional epoch ms in 0..MAX_TIMESTAMP_MS. */
export function isStorableTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIMESTAMP_MS;
}

/** The stored form of a memory: what the markdown entry and the catalog row both hold. */
export interface MemoryRecord {
  id: string;
  kind: MemoryKind;
  scope: Scope;
  text: string;
  userId?: string;
  agentId?: string;
  runId?: string;
  sessionId?: string;
  senderId?: string;
  role?: Role;
  /** When what the memory describes happened (epoch ms). */
  timestamp: number;
  createdAt: number;
  updatedAt: number;
  metadata: Metadata;
  /** For a fact: the episode it was extracted from. */
  episodeId?: string;
  /** For an extracted episode: its title and a one-paragraph summary (the text is the narrative). */
  subject?: string;
  summary?: string;
  /** The files whose parsed text this memory holds (an episode made from turns that carried files). */
  sourceParts?: SourcePart[];
  /** sha256 of the text, hex. */
  hash: string;
}

export type Episode = MemoryRecord & { kind: "episode" };
export type Fact = MemoryRecord & { kind: "fact" };

/** A memory as the library returns it (Mem0's field names). */
export interface MemoryItem {
  id: string;
  memory: string;
  kind: MemoryKind;
  hash: string;
  createdAt: string;
  updatedAt: string;
  timestamp: string;
  userId?: string;
  agentId?: string;
  runId?: string;
  sessionId?: string;
  senderId?: string;
  role?: Role;
  appId: string;
  projectId: string;
  metadata: Metadata;
  /** Ids of what this memory came from (a fact's episode). */
  sources: string[];
  subject?: string;
  summary?: string;
  /** The files whose parsed text this memory holds, each with the parser that read it. */
  sourceParts?: SourcePart[];
}

export type SearchMethod = "keyword" | "vector" | "hybrid" | "agentic";

export interface SearchHit extends MemoryItem {
  /** keyword: BM25; vector: cosine similarity; hybrid: reciprocal-rank fusion scaled to 0..1. */
  score: number;
}

export type HistoryAction = "ADD" | "UPDATE" | "DELETE";

/** One change of a memory, in Mem0's `history()` row shape. */
export interface HistoryEntry {
  id: string;
  memory_id: string;
  previous_value: string | null;
  new_value: string | null;
  action: HistoryAction;
  created_at: string;
  updated_at: string | null;
  is_deleted: 0 | 1;
}

/**
 * When a history row's change happened. Rows keep Mem0's fields: `created_at` is the memory's
 * creation time on every row, and an update's or a delete's own time is its `updated_at`.
 */
export function historyChangeTime(entry: Pick<HistoryEntry, "action" | "created_at" | "updated_at">): string {
  return entry.action === "ADD" ? entry.created_at : (entry.updated_at ?? entry.created_at);
}

export type FilterScalar = string | number | boolean;
export interface FilterOperators {
  eq?: FilterScalar;
  ne?: FilterScalar;
  gt?: number | string;
  gte?: number | string;
  lt?: number | string;
  lte?: number | string;
  in?: FilterScalar[];
}
/**
 * Mem0-style filters: field conditions combined with AND/OR, nestable.
 * Fields: session_id, sender_id, run_id, agent_id, user_id, role, kind, timestamp, created_at,
 * updated_at, and `metadata: {key: value}`; any other key is a metadata key.
 */
export interface SearchFilter {
  AND?: SearchFilter[];
  OR?: SearchFilter[];
  [field: string]: FilterScalar | FilterOperators | SearchFilter[] | Record<string, FilterScalar> | undefined;
}

/** A memory event caused by an add or a flush (Mem0's shape, plus the kind). */
export interface MemoryEvent {
  id: string;
  memory: string;
  event: "ADD" | "UPDATE" | "DELETE" | "NONE";
  previousMemory?: string;
  kind: "episode" | "fact";
}
