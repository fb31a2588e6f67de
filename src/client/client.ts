/**
 * A typed client for omnimem's HTTP API, on the global fetch (Node 20+, browsers, edge
 * runtimes). Failures raise the library's own error classes (the server's `error.code` mapped
 * back), and 503s are retried with exponential backoff, honouring `Retry-After`.
 */
import {
  AuthError,
  CapabilityUnavailableError,
  FileSizeError,
  IndexMismatchError,
  InternalError,
  InvalidImageError,
  NotFoundError,
  PayloadTooLargeError,
  ProviderError,
  RequestTimeoutError,
  StoreLockedError,
  UnsupportedFormatError,
  UriRejectedError,
  ValidationError,
  type ErrorCode,
  type OmnimemError,
  type OmnimemErrorOptions,
} from "../spec/errors.js";
import type {
  AddRequest,
  AddResponse,
  DeleteRequest,
  DeleteResponse,
  ErrorEnvelope,
  FlushRequest,
  FlushResponse,
  GetRequest,
  GetResponse,
  HealthReport,
  HistoryRequest,
  HistoryResponse,
  MessageItem,
  OwnersRequest,
  OwnersResponse,
  SearchRequest,
  SearchResponse,
  SuccessEnvelope,
  UpdateRequest,
  UpdateResponse,
} from "../spec/http.js";

export interface OmnimemClientOptions {
  /** E.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Retries of a 503 after the first attempt. Default 3. */
  maxRetries?: number;
  /** First backoff delay; doubles per retry, with ±20 % jitter. Default 250. */
  retryBaseDelayMs?: number;
  /** Upper bound for one delay, a server's Retry-After included. Default 10000. */
  retryMaxDelayMs?: number;
  /** Per-attempt time limit. Default 120000 (an add with large documents parses them first). */
  timeoutMs?: number;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
}

/** A message whose timestamp the client fills in (now, in order) when left out. */
export type ClientMessage = Omit<MessageItem, "timestamp"> & { timestamp?: number };
export type ClientAddRequest = Omit<AddRequest, "messages"> & { messages: ClientMessage[] };

/** What a call's envelope carried besides the data. */
export interface ResponseMeta {
  requestId: string;
  status: number;
}

type ErrorFactory = (message: string, options: OmnimemErrorOptions, status: number) => OmnimemError;

const ERROR_CLASSES: Record<ErrorCode, ErrorFactory> = {
  INVALID_INPUT: (message, options) => new ValidationError(message, options),
  UNSUPPORTED_FORMAT: (message, options) => new UnsupportedFormatError(message, options),
  INVALID_IMAGE: (message, options) => new InvalidImageError(message, options),
  FILE_TOO_LARGE: (message, options) => new FileSizeError(message, options),
  URI_REJECTED: (message, options) => new UriRejectedError(message, options),
  CAPABILITY_UNAVAILABLE: (message, options, status) => new CapabilityUnavailableError(message, { ...options, duringParse: status === 415 }),
  NOT_FOUND: (message, options) => new NotFoundError(message, options),
  PROVIDER_ERROR: (message, options, status) => new ProviderError(message, { ...options, isRetryable: status === 503 }),
  UNAUTHORIZED: (message, options) => new AuthError("UNAUTHORIZED", message, options),
  FORBIDDEN: (message, options) => new AuthError("FORBIDDEN", message, options),
  PAYLOAD_TOO_LARGE: (message, options) => new PayloadTooLargeError(message, options),
  INDEX_MISMATCH: (message, options) => new IndexMismatchError(message, options),
  STORE_LOCKED: (message, options) => new StoreLockedError(message, options),
  REQUEST_TIMEOUT: (message, options) => new RequestTimeoutError(message, options),
  INTERNAL: (message, options) => new InternalError(message, options),
};

/** The error class for an error envelope (or a bare status when the body is not one). */
export function errorFromResponse(status: number, body: unknown): OmnimemError {
  const envelope = body as Partial<ErrorEnvelope> | undefined;
  const error = envelope?.error;
  if (error !== undefined && typeof error === "object" && typeof error.code === "string" && Object.hasOwn(ERROR_CLASSES, error.code)) {
    const details: Record<string, unknown> = { ...error.details, status, path: error.path };
    if (typeof envelope?.request_id === "string") details.requestId = envelope.request_id;
    return ERROR_CLASSES[error.code](String(error.message), { details }, status);
  }
  const message = `HTTP ${status} without an omnimem error body`;
  if (status === 503) return new ProviderError(message, { details: { status }, isRetryable: true });
  if (status === 401) return new AuthError("UNAUTHORIZED", message, { details: { status } });
  if (status === 403) return new AuthError("FORBIDDEN", message, { details: { status } });
  if (status === 404) return new NotFoundError(message, { details: { status } });
  if (status === 413) return new PayloadTooLargeError(message, { details: { status } });
  if (status === 422) return new ValidationError(message, { details: { status } });
  return new InternalError(message, { details: { status } });
}

export class OmnimemClient {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private lastTimestamp = 0;

  constructor(options: OmnimemClientOptions) {
    if (typeof options?.baseUrl !== "string" || !/^https?:\/\//.test(options.baseUrl)) {
      throw new ValidationError("baseUrl must be an http(s) URL", { details: { path: "baseUrl" } });
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.fetch = options.fetch ?? globalThis.fetch;
    this.maxRetries = options.maxRetries ?? 3;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 250;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.headers = { ...options.headers };
    if (options.apiKey !== undefined) this.headers.authorization = `Bearer ${options.apiKey}`;
  }

  /** Parses every non-text item, then buffers the turns (or, with `sync: true`, extracts them). */
  async add(request: ClientAddRequest): Promise<AddResponse> {
    // Fixed before the first attempt: a retried add then names the same turns, which the server
    // does not buffer twice. Increasing across calls, so quick adds keep their order.
    const messages = request.messages.map((message) => ({ ...message, timestamp: message.timestamp ?? this.nextTimestamp() }));
    return this.post<AddResponse>("add", { ...request, messages });
  }

  flush(request: FlushRequest): Promise<FlushResponse> {
    return this.post("flush", request);
  }

  search(request: SearchRequest): Promise<SearchResponse> {
    return this.post("search", request);
  }

  get(request: GetRequest): Promise<GetResponse> {
    return this.post("get", request);
  }

  update(request: UpdateRequest): Promise<UpdateResponse> {
    return this.post("update", request);
  }

  delete(request: DeleteRequest): Promise<DeleteResponse> {
    return this.post("delete", request);
  }

  history(request: HistoryRequest): Promise<HistoryResponse> {
    return this.post("history", request);
  }

  /** The owners with memories in an app and project, most recently active first. */
  owners(request: OwnersRequest = {}): Promise<OwnersResponse> {
    return this.post("owners", request);
  }

  async health(): Promise<HealthReport> {
    return (await this.send("GET", "/health")).body as HealthReport;
  }

  /** Prometheus text. */
  async metrics(): Promise<string> {
    return (await this.send("GET", "/metrics", undefined, "text")).body as string;
  }

  async openapi(): Promise<Record<string, unknown>> {
    return (await this.send("GET", "/openapi.json")).body as Record<string, unknown>;
  }

  private nextTimestamp(): number {
    this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
    return this.lastTimestamp;
  }

  private async post<T>(route: string, body: unknown): Promise<T> {
    const { body: envelope } = await this.send("POST", `/api/v1/memory/${route}`, body);
    return (envelope as SuccessEnvelope<T>).data;
  }

  private async send(method: "GET" | "POST", path: string, body?: unknown, as: "json" | "text" = "json"): Promise<{ body: unknown; meta: ResponseMeta }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { accept: "application/json", ...(payload === undefined ? {} : { "content-type": "application/json" }), ...this.headers },
          ...(payload === undefined ? {} : { body: payload }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        // The server's own codes for the same failures seen from its side: no answer in time is
        // REQUEST_TIMEOUT, a server that cannot be reached CAPABILITY_UNAVAILABLE (as an
        // unreachable PostgreSQL is for the server), both retryable, neither INTERNAL.
        const details = { url: `${this.baseUrl}${path}` };
        if ((error as Error)?.name === "TimeoutError") {
          throw new RequestTimeoutError(`no answer from ${this.baseUrl}${path} within ${this.timeoutMs} ms`, { cause: error, details });
        }
        throw new CapabilityUnavailableError(`could not reach the omnimem server at ${this.baseUrl}: ${(error as Error)?.message ?? String(error)}`, {
          cause: error,
          details,
        });
      }
      const text = await response.text();
      const parsed = as === "text" && response.ok ? text : parseJson(text);
      if (response.ok) {
        const requestId = response.headers.get("x-request-id") ?? "";
        return { body: parsed, meta: { requestId, status: response.status } };
      }
      if (response.status === 503 && attempt < this.maxRetries) {
        await sleep(this.delay(attempt, response.headers.get("retry-after")));
        continue;
      }
      throw errorFromResponse(response.status, parsed);
    }
  }

  private delay(attempt: number, retryAfter: string | null): number {
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    const backoff = this.retryBaseDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4);
    const wanted = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : backoff;
    return Math.min(wanted, this.retryMaxDelayMs);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
