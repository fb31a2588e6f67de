/**
 * What Memory's calls accept (Mem0's names and shapes) and the checks every call makes before it
 * touches anything: bad input is a ValidationError naming the field, and writes nothing.
 */
import type { PartReport } from "./part-parser.js";
import type { ListSortField } from "../spec/memory-store.js";
import { NotFoundError, ValidationError } from "../spec/errors.js";
import type { MemoryEvent, Metadata, SearchFilter, SearchMethod } from "../spec/types.js";
import { assertSegmentId } from "../store/ids.js";
import { MAX_FILTER_DEPTH, parseIsoTime } from "../spec/scope.js";

/** Who a call is about: Mem0's ids. A user owns the memory when given, else the agent. */
export interface OwnerOptions {
  userId?: string;
  agentId?: string;
  runId?: string;
  /** The app and project of this call; default: the config's (a server serves many from one root). */
  appId?: string;
  projectId?: string;
}

export interface AddOptions extends OwnerOptions {
  sessionId?: string;
  metadata?: Metadata;
  /** true (default): buffer, cut episodes and extract memories; false: store each turn as it is. */
  infer?: boolean;
  /** With infer: extract what is buffered before returning (default true); false only buffers. */
  flush?: boolean;
  /**
   * Makes the add safe to repeat: the same key and the same turn position give the same memory
   * (infer: false) or the same buffered message (infer: true), so an add repeated with the key
   * (a retry, an import rerun after a crash) stores nothing twice. Name what the turns are, e.g.
   * an import's source file and record number. 1-512 characters.
   */
  idempotencyKey?: string;
}

export type AddResultEvent = MemoryEvent;

export interface AddResult {
  results: AddResultEvent[];
  /** One report per non-text content item (how it was parsed); empty for text-only turns. */
  parts: PartReport[];
  episodes: string[];
  /**
   * With infer (the default), of this add's turns with text: how many were buffered now, and how
   * many were already seen (pending, or made into an episode by an earlier add) and skipped.
   */
  buffered?: number;
  duplicates?: number;
}

export interface SearchOptions extends OwnerOptions {
  limit?: number;
  method?: SearchMethod;
  filters?: SearchFilter;
  threshold?: number;
  /**
   * When the question is asked (epoch ms, Date or ISO string): dates in the query ("last
   * week", "in May") are resolved against it. Default: the current time.
   */
  now?: number | Date | string;
}

export interface GetAllOptions extends OwnerOptions {
  limit?: number;
  cursor?: string;
  filters?: SearchFilter;
  /** Memories to skip first (page-number paging: (page - 1) * limit); default 0. */
  offset?: number;
  /** Default: created_at. Ties go by id. */
  sortBy?: ListSortField;
  /** Default: desc (newest first). */
  sortOrder?: "asc" | "desc";
  /** Also count every memory that matches (`total`), as a page-number UI needs. */
  withTotal?: boolean;
}

export interface ReindexProgress {
  done: number;
  total: number;
}

const MAX_TEXT_CHARS = 1_000_000;
const MAX_IDEMPOTENCY_KEY_CHARS = 512;
const MAX_QUERY_CHARS = 10_000;
const LIST_SORT_FIELDS = new Set<string>(["timestamp", "created_at", "updated_at"]);

export function optionalSegment(value: string | undefined, field: string): string | undefined {
  return value === undefined ? undefined : assertSegmentId(value, field);
}

export function optionalIdempotencyKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_IDEMPOTENCY_KEY_CHARS) {
    throw new ValidationError(`idempotencyKey must be a string of 1-${MAX_IDEMPOTENCY_KEY_CHARS} characters`, { details: { path: "idempotencyKey" } });
  }
  return value;
}

/**
 * A memory's text as every backend can store it: NUL characters removed. PostgreSQL's text
 * cannot hold one (the embedded store could), and a NUL carries nothing a reader or a search
 * needs, so one contract holds on every backend; a parsed file's stray NUL bytes go the same way.
 */
export function storableText(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "") : text;
}

export function checkTextLength(text: string, path: string): void {
  if (text.length > MAX_TEXT_CHARS) {
    throw new ValidationError(`${path} is longer than ${MAX_TEXT_CHARS} characters`, { details: { path } });
  }
}

const SEARCH_METHODS: ReadonlySet<unknown> = new Set<SearchMethod>(["keyword", "vector", "hybrid", "agentic"]);

/** A search's query, threshold and method, checked. */
export function checkSearch(query: unknown, threshold: unknown, method?: unknown): asserts query is string {
  if (typeof query !== "string" || query.trim() === "") {
    throw new ValidationError("query must be a non-empty string", { details: { path: "query" } });
  }
  if (query.length > MAX_QUERY_CHARS) {
    throw new ValidationError(`query is longer than ${MAX_QUERY_CHARS} characters`, { details: { path: "query" } });
  }
  if (threshold !== undefined && !Number.isFinite(threshold)) {
    throw new ValidationError("threshold must be a number", { details: { path: "threshold" } });
  }
  if (method !== undefined && !SEARCH_METHODS.has(method)) {
    throw new ValidationError(`method must be keyword, vector, hybrid or agentic, got ${JSON.stringify(method)}`, { details: { path: "method" } });
  }
}

/** `SearchOptions.now` as epoch ms; undefined means the current time. */
export function searchTime(now: SearchOptions["now"]): number | undefined {
  if (now === undefined) return undefined;
  const ms = typeof now === "number" ? now : now instanceof Date ? now.getTime() : parseIsoTime(now);
  if (!Number.isFinite(ms)) throw new ValidationError("now must be epoch milliseconds, a Date or an ISO 8601 date", { details: { path: "now" } });
  return ms;
}

/** A page's size and start: limit 1..1000 (default 100), offset >= 0 (default 0). */
export function pageOf(options: { limit?: number; offset?: number }): { limit: number; offset: number } {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new ValidationError("limit must be an integer in 1..1000", { details: { path: "limit" } });
  }
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new ValidationError("offset must be a non-negative integer", { details: { path: "offset" } });
  }
  return { limit, offset };
}

export function sortOf(options: Pick<GetAllOptions, "sortBy" | "sortOrder">): { by: ListSortField; order: "asc" | "desc" } {
  const by = options.sortBy ?? "created_at";
  const order = options.sortOrder ?? "desc";
  if (!LIST_SORT_FIELDS.has(by)) throw new ValidationError("sortBy must be timestamp, created_at or updated_at", { details: { path: "sortBy" } });
  if (order !== "asc" && order !== "desc") throw new ValidationError("sortOrder must be asc or desc", { details: { path: "sortOrder" } });
  return { by, order };
}

/** Mem0 callers often name the user only in `filters: { user_id }`; that names the owner too. */
export function withOwnerFromFilters<T extends OwnerOptions & { filters?: SearchFilter }>(options: T): T {
  const fromFilters = options.filters?.user_id;
  return options.userId === undefined && typeof fromFilters === "string" ? { ...options, userId: fromFilters } : options;
}

/**
 * A caller's filters, checked for shape before any store or index sees them: an object, AND / OR
 * holding lists of filters nested at most MAX_FILTER_DEPTH deep, `metadata` an object. The
 * backends' compilers check the same and the fields themselves; checked here, a filter nested
 * thousands deep is refused at once, before code that walks it recursively (serialising it,
 * compiling it) could overflow the stack.
 */
export function checkFilters(filters: unknown, path = "filters", depth = 0): asserts filters is SearchFilter {
  const invalid = (message: string, at = path) => new ValidationError(`invalid filters: ${message}`, { details: { path: at } });
  if (depth > MAX_FILTER_DEPTH) throw invalid(`AND / OR nest more than ${MAX_FILTER_DEPTH} deep`);
  if (filters === null || typeof filters !== "object" || Array.isArray(filters)) throw invalid("filters must be an object");
  for (const [key, value] of Object.entries(filters)) {
    if (key === "__proto__") throw invalid("__proto__ is not a field", `${path}.${key}`);
    if (key === "AND" || key === "OR") {
      if (!Array.isArray(value)) throw invalid(`${key} must be a list of filters`, `${path}.${key}`);
      value.forEach((child, i) => checkFilters(child, `${path}.${key}[${i}]`, depth + 1));
    } else if (key === "metadata") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid("metadata filter must be an object", `${path}.${key}`);
      for (const [metaKey, condition] of Object.entries(value)) checkCondition(condition, `${path}.metadata.${metaKey}`, invalid);
    } else {
      checkCondition(value, `${path}.${key}`, invalid);
    }
  }
}

type FilterScalarValue = string | number | boolean | null;
const isScalar = (value: unknown): value is FilterScalarValue => value === null || ["string", "number", "boolean"].includes(typeof value);

/** A field's condition: a value, or operators over values (`{ gte: 3 }`, `{ in: ["a", "b"] }`). */
function checkCondition(condition: unknown, path: string, invalid: (message: string, at: string) => ValidationError): void {
  if (condition === undefined || isScalar(condition)) return;
  const operands = condition !== null && typeof condition === "object" && !Array.isArray(condition) ? Object.values(condition) : undefined;
  if (operands?.every((operand) => isScalar(operand) || (Array.isArray(operand) && operand.every(isScalar)))) return;
  throw invalid("a condition is a value or an object of operators over values ({ gte: 3 }, { in: [...] })", path);
}

/** Filters implied by the owner options beyond the owner itself (the agent of a user's memory, the run). */
export function narrowing(options: OwnerOptions, filters: SearchFilter | undefined): SearchFilter | undefined {
  if (filters !== undefined) checkFilters(filters);
  const extra: SearchFilter[] = [];
  if (options.userId !== undefined && options.agentId !== undefined) extra.push({ agent_id: assertSegmentId(options.agentId, "agentId") });
  if (options.runId !== undefined) extra.push({ run_id: assertSegmentId(options.runId, "runId") });
  if (filters !== undefined) extra.push(filters);
  if (extra.length === 0) return undefined;
  return extra.length === 1 ? extra[0] : { AND: extra };
}

/** One message for an unknown id and another owner's: nothing tells the caller the memory exists. */
export function memoryNotFound(id: string): NotFoundError {
  return new NotFoundError(`memory ${id} not found`, { details: { id } });
}
