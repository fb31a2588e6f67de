/**
 * The HTTP API's shapes (EverOS's names, snake_case), shared by the server and the client.
 * Types only. The server validates requests against the zod schemas in server/schemas.ts,
 * which are checked at compile time to accept every value of these request types.
 */
import type { ErrorCode } from "./errors.js";
import type { HistoryEntry, Metadata, PartType, Provenance, Role, SearchFilter, SearchMethod, SourcePart } from "./types.js";

/** Every success: the request's id (also the `x-request-id` header) and the route's data. */
export interface SuccessEnvelope<T> {
  request_id: string;
  data: T;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** ISO-8601 time of the failure. */
  timestamp: string;
  /** The request path, e.g. `/api/v1/memory/add`. */
  path: string;
  /** Structured detail where the error has some: the field path of an invalid input, a limit. */
  details?: Record<string, unknown>;
}

export interface ErrorEnvelope {
  request_id: string;
  error: ErrorBody;
}

/** The app and project a call acts in; both default to "default". */
export interface ScopeFields {
  app_id?: string;
  project_id?: string;
}

/** Whose memories: a user, or (without one) an agent; `run_id` narrows to one run of theirs. */
export interface OwnerFields {
  user_id?: string;
  agent_id?: string;
  run_id?: string;
}

export type ContentItemType = PartType;

/** One content item of a message: exactly one of `text` / `uri` / `base64` carries the payload. */
export interface ContentItem {
  type: ContentItemType;
  text?: string | null;
  /** `http(s)://` (fetched by the server) or `file://` (read from the server's disk, guarded). */
  uri?: string | null;
  /** Plain base64, no `data:` prefix. */
  base64?: string | null;
  /** File-extension hint ("pdf", "png"), needed for base64 payloads whose bytes do not tell. */
  ext?: string | null;
  name?: string | null;
  extras?: Record<string, unknown> | null;
}

export interface MessageItem {
  /** Who said it; the sender of a `role: "user"` message owns the memories unless `user_id` is given. */
  sender_id?: string;
  sender_name?: string | null;
  role: Exclude<Role, "system"> | "system";
  /** Epoch milliseconds. */
  timestamp: number;
  content: string | ContentItem[];
  tool_calls?: unknown[] | null;
  tool_call_id?: string | null;
}

export interface AddRequest extends ScopeFields, OwnerFields {
  session_id: string;
  messages: MessageItem[];
  /** true: extract what is buffered before answering; false (default): buffer, extracting only where boundaries are certain. */
  sync?: boolean;
  metadata?: Metadata;
}

/** How one non-text content item was parsed. */
export interface PartReportWire {
  message_index: number;
  item_index: number;
  type: PartType;
  declared_type?: PartType;
  format: string;
  /** The file name, when the item or its URL named one. */
  name?: string;
  parse_status: "ok" | "failed";
  parser: string;
  /** The model or engine behind the parser, where there is one. */
  model?: string;
  chars: number;
  bytes: number;
  sha256: string;
  duration_ms: number;
  cached: boolean;
  provenance?: Provenance[];
  /** What the parser left out and why (e.g. an e-mail's MIME parts past the limit). */
  warnings?: string[];
  error?: { code: string; message: string };
}

export interface MemoryEventWire {
  id: string;
  kind: "episode" | "fact";
  memory: string;
  event: "ADD" | "UPDATE" | "DELETE" | "NONE";
  previous_memory?: string;
}

/**
 * What an add did: `extracted` made episodes (and facts); `accumulated` buffered turns for a later
 * episode; `duplicate`: every turn was one already seen (buffered or made into an episode before:
 * a retried add), so nothing was buffered or extracted; `no_extraction`: no turn carried text.
 */
export type AddStatus = "accumulated" | "extracted" | "duplicate" | "no_extraction";

export interface AddResponse {
  message_count: number;
  status: AddStatus;
  /** Why nothing was buffered or extracted (with `duplicate` and `no_extraction`). */
  reason?: string;
  /** Turns of this add already seen, so not buffered again (present when there were any). */
  duplicate_count?: number;
  parts: PartReportWire[];
  /** What this call wrote (present when it extracted something). */
  memories?: MemoryEventWire[];
}

export interface FlushRequest extends ScopeFields, OwnerFields {
  session_id: string;
}

export interface FlushResponse {
  status: "extracted" | "no_extraction";
  memories: MemoryEventWire[];
}

export interface AtomicFactWire {
  id: string;
  kind: "fact";
  content: string;
  /** The episode the fact was extracted from. */
  episode_id: string | null;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  app_id: string;
  project_id: string;
  session_id: string | null;
  timestamp: string;
  created_at: string;
  updated_at: string;
  metadata: Metadata;
  score?: number;
}

/** A file whose parsed text an episode holds, and the parser (and model) that read it: the record's own keys, which are already wire-shaped. */
export type SourcePartWire = SourcePart;

export interface EpisodeWire {
  id: string;
  kind: "episode";
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  app_id: string;
  project_id: string;
  session_id: string | null;
  /** ISO-8601, UTC. */
  timestamp: string;
  sender_ids: string[];
  subject: string;
  summary: string;
  /** The full text (the narrative, or the turns themselves in local mode). */
  episode: string;
  type: "Conversation";
  created_at: string;
  updated_at: string;
  metadata: Metadata;
  score?: number;
  /** The files whose parsed text the episode holds (present when there are any). */
  source_parts?: SourcePartWire[];
  /** In search results: the facts of this episode that matched too. */
  atomic_facts?: AtomicFactWire[];
}

export type MemoryWire = EpisodeWire | AtomicFactWire;

export interface SearchRequest extends ScopeFields, OwnerFields {
  query: string;
  method?: SearchMethod;
  /** -1 (default): the server's default; else 1..100. */
  top_k?: number;
  min_score?: number | null;
  /** When the question is asked (epoch ms or ISO 8601): dates in the query are resolved against it. Default: now. */
  now?: number | string;
  filters?: SearchFilter | null;
  /** Narrows to one session and returns its buffered turns as `unprocessed_messages`. */
  session_id?: string;
}

/** A turn sent to /add and still waiting in its session's buffer (parsed text only). */
export interface UnprocessedMessageWire {
  id: string;
  app_id: string;
  project_id: string;
  session_id: string;
  sender_id: string | null;
  sender_name: string | null;
  role: Role;
  content: string;
  timestamp: string;
  tool_calls: null;
  tool_call_id: null;
}

export interface SearchResponse {
  episodes: EpisodeWire[];
  facts: AtomicFactWire[];
  unprocessed_messages: UnprocessedMessageWire[];
}

export interface GetRequest extends ScopeFields, OwnerFields {
  /**
   * One memory by id instead of a list (owner optional; when named, only that owner's): the
   * answer holds it, or the call is 404 NOT_FOUND as for any memory the caller may not reach.
   */
  memory_id?: string;
  /** Unset: both kinds. */
  memory_type?: "episode" | "fact";
  page?: number;
  page_size?: number;
  sort_by?: "timestamp" | "created_at" | "updated_at";
  sort_order?: "asc" | "desc";
  filters?: SearchFilter | null;
}

export interface GetResponse {
  episodes: EpisodeWire[];
  facts: AtomicFactWire[];
  /** Matching memories before paging. */
  total_count: number;
  /** Memories on this page. */
  count: number;
}

/**
 * By-id requests act only on memories the caller may reach: in the named app and project (else the
 * API key's, else the server's default) and, with user_id / agent_id, that owner's. Any other
 * memory answers 404 NOT_FOUND exactly as an id that does not exist.
 */
export interface UpdateRequest extends ScopeFields, OwnerFields {
  memory_id: string;
  text?: string;
  metadata?: Metadata;
}

export type UpdateResponse = MemoryWire;

/** One memory by id (only the named owner's, when one is named), or every memory of an owner. */
export type DeleteRequest = (ScopeFields & OwnerFields & { memory_id: string }) | (ScopeFields & OwnerFields);

export interface DeleteResponse {
  deleted: number;
}

export interface HistoryRequest extends ScopeFields, OwnerFields {
  memory_id: string;
}

export interface HistoryResponse {
  memory_id: string;
  history: HistoryEntry[];
}

/** The owners with memories in an app and project (the API key's, when it is confined to one). */
export interface OwnersRequest extends ScopeFields {
  page?: number;
  page_size?: number;
}

export interface OwnerWire {
  /** Exactly one of user_id / agent_id: whose memories these are. */
  user_id?: string;
  agent_id?: string;
  memory_count: number;
  /** ISO-8601 time of the owner's latest memory. */
  last_timestamp: string;
}

export interface OwnersResponse {
  /** Most recently active first. */
  owners: OwnerWire[];
  total_count: number;
}

export type CapabilityState = "enabled" | "local" | "unavailable";

export interface CapabilityReport {
  state: CapabilityState;
  /** What is in use now. */
  detail: string;
  /** What would enable or upgrade it; absent when nothing would. */
  enable?: string;
}

export interface HealthReport {
  status: "ok";
  version: string;
  mode: "llm" | "local";
  /** `store`: which backend holds the memories and where (a database URL without its password). */
  capabilities: Record<"llm" | "multimodal" | "embedding" | "ocr" | "office" | "audio" | "store", CapabilityReport>;
}
