/**
 * The page's only way out: the HTTP API of the server that served it (same origin, relative
 * paths). The API key, when the server asks for one, lives in sessionStorage: for this tab only.
 */
import type {
  AddResponse,
  DeleteResponse,
  ErrorEnvelope,
  FlushResponse,
  GetResponse,
  HealthReport,
  HistoryResponse,
  OwnersResponse,
  SearchResponse,
  SuccessEnvelope,
  UpdateResponse,
} from "../spec/http.js";

export type * from "../spec/http.js";
export type { HistoryEntry } from "../spec/types.js";

const KEY_STORAGE = "omnimem.apiKey";

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

/** A refused call, with the API's stable error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the server answers 401: the app asks for a key and the call is retried with it. */
let onUnauthorized: ((reason: string) => Promise<void>) | undefined;

export function setUnauthorizedHandler(handler: (reason: string) => Promise<void>): void {
  onUnauthorized = handler;
}

async function post<T>(route: string, body: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const key = storedKey();
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`/api/v1/memory/${route}`, { method: "POST", headers, body: JSON.stringify(body) });
  const payload = (await response.json().catch(() => null)) as SuccessEnvelope<T> | ErrorEnvelope | null;
  if (response.ok && payload !== null && "data" in payload) return payload.data;
  const error = payload !== null && "error" in payload ? payload.error : { code: "INTERNAL", message: `HTTP ${response.status}` };
  if (response.status === 401 && onUnauthorized !== undefined && !retried) {
    await onUnauthorized(key === null ? "This server needs an API key." : `The server refused this key: ${error.message}`);
    return post<T>(route, body, false);
  }
  throw new ApiError(response.status, error.code, error.message);
}

export interface Owner {
  user_id?: string;
  agent_id?: string;
}

export const api = {
  search: (body: Record<string, unknown>) => post<SearchResponse>("search", body),
  get: (body: Record<string, unknown>) => post<GetResponse>("get", body),
  add: (body: Record<string, unknown>) => post<AddResponse>("add", body),
  flush: (body: Record<string, unknown>) => post<FlushResponse>("flush", body),
  update: (body: Record<string, unknown>) => post<UpdateResponse>("update", body),
  delete: (body: Record<string, unknown>) => post<DeleteResponse>("delete", body),
  history: (body: Record<string, unknown>) => post<HistoryResponse>("history", body),
  owners: (body: Record<string, unknown>) => post<OwnersResponse>("owners", body),
  async health(): Promise<HealthReport> {
    // With the key, the report names where things are (the data folder, the tools' paths).
    const key = storedKey();
    const response = await fetch("/health", key === null ? {} : { headers: { authorization: `Bearer ${key}` } });
    if (!response.ok) throw new ApiError(response.status, "INTERNAL", `health answered HTTP ${response.status}`);
    return (await response.json()) as HealthReport;
  },
};

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.code} (${error.status}): ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
