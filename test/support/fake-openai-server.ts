/**
 * A real HTTP server on 127.0.0.1 that speaks enough of the OpenAI API for omnimem's tests:
 * chat completions (plain, JSON mode, structured output, tool calls, streaming), embeddings
 * and audio transcriptions. Tests script the answers, read the request log and inject
 * failures (rate limits, server errors, slow or hanging responses, malformed bodies).
 *
 * It runs over real sockets on purpose: the code under test goes through the AI SDK and
 * `fetch`, so retries, timeouts, aborts and multipart encoding are exercised for real.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

// ---------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type FakeRoute = "chat" | "embeddings" | "transcriptions";
export type FailureRoute = FakeRoute | "*";

/** What `failNext` makes the server do instead of (or before) answering normally. */
export type InjectedFailure =
  | {
      /** An HTTP error with an OpenAI-style `{error: {...}}` body. */
      status: number;
      /** Sent as `retry-after-ms` and (rounded up to seconds) `retry-after`. */
      retryAfterMs?: number;
      message?: string;
      type?: string;
      code?: string | null;
    }
  /** Waits, then answers normally. */
  | { delayMs: number }
  /** Answers 200 with a body that is not valid JSON (or, when streaming, a broken event). */
  | { malformedJson: true }
  /** Never answers; ends only when the client aborts or the server closes. */
  | { hang: true };

export interface MultipartFile {
  field: string;
  filename: string;
  size: number;
  contentType: string;
  data: Buffer;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: MultipartFile[];
}

export interface LoggedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON; `{fields, files}` for multipart; the raw text when it is neither; undefined when empty. */
  body: JsonValue | MultipartBody | string | undefined;
  /** `Date.now()` when the request body had been read. */
  at: number;
  route: FakeRoute | undefined;
}

export type ResponseFormatType = "text" | "json_object" | "json_schema";

/** The parts of a chat completion request tests usually look at; everything else stays reachable. */
export interface ChatRequestBody {
  model?: string;
  messages?: JsonValue[];
  response_format?: {
    type: ResponseFormatType;
    json_schema?: { name?: string; schema?: JsonValue; strict?: boolean; description?: string };
  };
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: JsonValue[];
  [key: string]: unknown;
}

export interface FakeToolCall {
  id?: string;
  name: string;
  /** A JSON string, or a value that is serialised for you. */
  arguments: string | JsonValue;
}

export interface FakeUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatAnswerObject {
  content?: string | null;
  /** Shorthand for `content: JSON.stringify(json)`. */
  json?: JsonValue;
  toolCalls?: FakeToolCall[];
  usage?: Partial<FakeUsage>;
  finishReason?: string;
}

export type ChatAnswerValue = string | ChatAnswerObject;
export type ChatAnswer = ChatAnswerValue | ((request: ChatRequestBody) => ChatAnswerValue | Promise<ChatAnswerValue>);

export interface TranscriptionRequest {
  model: string | undefined;
  language: string | undefined;
  responseFormat: string | undefined;
  fields: Record<string, string>;
  file: MultipartFile | undefined;
}

export interface TranscriptionAnswerObject {
  text: string;
  language?: string;
  durationSeconds?: number;
}

export type TranscriptionAnswerValue = string | TranscriptionAnswerObject;
export type TranscriptionAnswer =
  | TranscriptionAnswerValue
  | ((request: TranscriptionRequest) => TranscriptionAnswerValue | Promise<TranscriptionAnswerValue>);

export interface FakeServerUsage {
  chatCalls: number;
  embeddingCalls: number;
  transcriptionCalls: number;
  promptTokens: number;
  completionTokens: number;
  embeddingTokens: number;
}

export interface FakeOpenAIOptions {
  /** Dimension of embeddings when the request names none. Default 64. */
  embeddingDimensions?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` answer 401. */
  apiKey?: string;
  /** Largest accepted request body. Default 64 MiB. */
  maxBodyBytes?: number;
  /**
   * Keep every request in `requests` (default true). Benchmarks that send hundreds of thousands
   * of requests turn it off: `usage` still counts everything. Also settable later through
   * `server.logRequests`.
   */
  logRequests?: boolean;
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** The fake's token count: a quarter of the characters, rounded up. */
export function approximateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function isMultipartBody(value: unknown): value is MultipartBody {
  return isJsonObject(value) && "files" in value && Array.isArray((value as { files?: unknown }).files);
}

/** A deterministic generator seeded from a string (mulberry32 over the first 4 bytes of a SHA-256). */
function seededRandom(seed: string): () => number {
  let state = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomDirection(seed: string, dimensions: number): number[] {
  const next = seededRandom(seed);
  const vector: number[] = [];
  for (let i = 0; i < dimensions; i++) vector.push(next() * 2 - 1);
  return vector;
}

function normalise(vector: number[]): number[] {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  if (norm === 0) return vector.map((_, i) => (i === 0 ? 1 : 0));
  return vector.map((value) => value / norm);
}

/**
 * The default fake embedding: the normalised sum of one pseudo-random direction per lowercased
 * word. The same text always gives the same vector, and texts that share words point in
 * similar directions, so search tests can rely on overlap meaning similarity.
 */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return normalise(randomDirection(`text:${text}`, dimensions));
  const sum = new Array<number>(dimensions).fill(0);
  for (const word of words) {
    const direction = randomDirection(`word:${word}`, dimensions);
    for (let i = 0; i < dimensions; i++) sum[i] = (sum[i] ?? 0) + (direction[i] ?? 0);
  }
  return normalise(sum);
}

function errorTypeFor(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

function openAIError(message: string, type: string, code: string | null, param: string | null = null): JsonObject {
  return { error: { message, type, param, code } };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseMultipart(body: Buffer, contentType: string): MultipartBody {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  const result: MultipartBody = { fields: {}, files: [] };
  if (boundary === undefined) return result;
  const delimiter = Buffer.from(`--${boundary}`);
  const partSeparator = Buffer.from(`\r\n--${boundary}`);
  let position = body.indexOf(delimiter);
  if (position < 0) return result;
  position += delimiter.length;
  while (position < body.length) {
    // "--" after a delimiter closes the body.
    if (body[position] === 0x2d && body[position + 1] === 0x2d) break;
    if (body[position] === 0x0d && body[position + 1] === 0x0a) position += 2;
    const headerEnd = body.indexOf("\r\n\r\n", position);
    if (headerEnd < 0) break;
    const headerText = body.subarray(position, headerEnd).toString("utf8");
    const contentStart = headerEnd + 4;
    let contentEnd = body.indexOf(partSeparator, contentStart);
    if (contentEnd < 0) contentEnd = body.length;
    const content = body.subarray(contentStart, contentEnd);
    const partHeaders = new Map<string, string>();
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) partHeaders.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = partHeaders.get("content-disposition") ?? "";
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? "";
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename !== undefined) {
      result.files.push({
        field: name,
        filename,
        size: content.length,
        contentType: partHeaders.get("content-type") ?? "application/octet-stream",
        data: Buffer.from(content),
      });
    } else {
      result.fields[name] = content.toString("utf8");
    }
    position = contentEnd + partSeparator.length;
  }
  return result;
}

/** Text the fake counts as prompt: string contents, text parts and tool-call arguments. */
function promptText(request: ChatRequestBody): string {
  const pieces: string[] = [];
  for (const message of request.messages ?? []) {
    if (!isJsonObject(message)) continue;
    const content = message["content"];
    if (typeof content === "string") pieces.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (isJsonObject(part) && typeof part["text"] === "string") pieces.push(part["text"]);
      }
    }
    const toolCalls = message["tool_calls"];
    if (Array.isArray(toolCalls)) {
      for (const call of toolCalls) {
        const fn = isJsonObject(call) ? call["function"] : undefined;
        if (isJsonObject(fn) && typeof fn["arguments"] === "string") pieces.push(fn["arguments"]);
      }
    }
  }
  return pieces.join("\n");
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
  ) {
    super(`HTTP ${status}`);
  }
}

// ---------------------------------------------------------------------------------------
// Per-route controllers
// ---------------------------------------------------------------------------------------

function defaultChatAnswer(request: ChatRequestBody): ChatAnswerValue {
  const type = request.response_format?.type;
  return type === "json_object" || type === "json_schema" ? "{}" : "ok";
}

export class FakeChatController {
  private readonly queue: ChatAnswer[] = [];
  private defaultAnswer: ChatAnswer = defaultChatAnswer;
  private readonly rejected = new Set<ResponseFormatType>();

  /** Answers for the next chat requests, in order. */
  enqueue(...answers: ChatAnswer[]): this {
    this.queue.push(...answers);
    return this;
  }

  /** The answer once the queue is empty. Default: `"{}"` when JSON output was asked for, else `"ok"`. */
  setDefault(answer: ChatAnswer): this {
    this.defaultAnswer = answer;
    return this;
  }

  /** Requests whose `response_format.type` is listed answer 400, as models without that support do. */
  rejectResponseFormat(types: readonly ("json_schema" | "json_object")[]): this {
    this.rejected.clear();
    for (const type of types) this.rejected.add(type);
    return this;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** @internal */
  isRejected(type: ResponseFormatType | undefined): boolean {
    return type !== undefined && this.rejected.has(type);
  }

  /** @internal */
  next(): ChatAnswer {
    return this.queue.length > 0 ? (this.queue.shift() as ChatAnswer) : this.defaultAnswer;
  }

  /** @internal */
  reset(): void {
    this.queue.length = 0;
    this.defaultAnswer = defaultChatAnswer;
    this.rejected.clear();
  }
}

export class FakeTranscriptionController {
  private readonly queue: TranscriptionAnswer[] = [];
  private defaultAnswer: TranscriptionAnswer = "fake transcript";

  enqueue(...answers: TranscriptionAnswer[]): this {
    this.queue.push(...answers);
    return this;
  }

  setDefault(answer: TranscriptionAnswer): this {
    this.defaultAnswer = answer;
    return this;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** @internal */
  next(): TranscriptionAnswer {
    return this.queue.length > 0 ? (this.queue.shift() as TranscriptionAnswer) : this.defaultAnswer;
  }

  /** @internal */
  reset(): void {
    this.queue.length = 0;
    this.defaultAnswer = "fake transcript";
  }
}

/**
 * What the server does with `encoding_format: "base64"`: sends base64 (as OpenAI does), refuses
 * it with a 400 (as older vLLM did), or ignores it and sends numbers (as Ollama and LM Studio do).
 */
export type Base64Handling = "honour" | "reject" | "ignore";

export class FakeEmbeddingController {
  private readonly overrides = new Map<string, number[]>();
  private dimensions: number;
  base64: Base64Handling = "honour";

  constructor(private readonly initialDimensions: number) {
    this.dimensions = initialDimensions;
  }

  /** Always answer `vector` (as given, whatever dimension was asked for) for exactly this text. */
  setVectorFor(text: string, vector: readonly number[]): this {
    this.overrides.set(text, [...vector]);
    return this;
  }

  /** Dimension used when a request names none. */
  setDefaultDimensions(dimensions: number): this {
    if (!Number.isInteger(dimensions) || dimensions <= 0) throw new RangeError(`bad dimension ${dimensions}`);
    this.dimensions = dimensions;
    return this;
  }

  get defaultDimensions(): number {
    return this.dimensions;
  }

  /** The vector the server answers for `text` (what tests compare against). */
  vectorFor(text: string, dimensions: number = this.dimensions): number[] {
    return this.overrides.get(text) ?? fakeEmbedding(text, dimensions);
  }

  /** @internal */
  reset(): void {
    this.overrides.clear();
    this.dimensions = this.initialDimensions;
    this.base64 = "honour";
  }
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

interface QueuedFailure {
  route: FailureRoute;
  failure: InjectedFailure;
}

function emptyUsage(): FakeServerUsage {
  return { chatCalls: 0, embeddingCalls: 0, transcriptionCalls: 0, promptTokens: 0, completionTokens: 0, embeddingTokens: 0 };
}

function routeFor(method: string, path: string): FakeRoute | undefined {
  if (method !== "POST") return undefined;
  if (path.endsWith("/chat/completions")) return "chat";
  if (path.endsWith("/embeddings")) return "embeddings";
  if (path.endsWith("/audio/transcriptions")) return "transcriptions";
  return undefined;
}

export class FakeOpenAIServer {
  readonly chat: FakeChatController;
  readonly embeddings: FakeEmbeddingController;
  readonly transcriptions: FakeTranscriptionController;
  /** Every request received, in arrival order (logged once its body is read). */
  readonly requests: LoggedRequest[] = [];
  readonly usage: FakeServerUsage = emptyUsage();
  /** Whether requests are kept in `requests` (see `FakeOpenAIOptions.logRequests`). */
  logRequests: boolean;

  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures: QueuedFailure[] = [];
  private readonly apiKey: string | undefined;
  private readonly maxBodyBytes: number;
  private port = 0;
  private closed = false;
  private sequence = 0;

  /** Use `startFakeOpenAI()`. */
  constructor(options: FakeOpenAIOptions = {}) {
    this.chat = new FakeChatController();
    this.embeddings = new FakeEmbeddingController(options.embeddingDimensions ?? 64);
    this.transcriptions = new FakeTranscriptionController();
    this.apiKey = options.apiKey;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.logRequests = options.logRequests ?? true;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.sendJson(res, 500, openAIError(`fake server bug: ${String(error)}`, "server_error", null));
      });
    });
    this.server.keepAliveTimeout = 1000;
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  /** @internal */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What an OpenAI client takes as its base URL, e.g. `http://127.0.0.1:PORT/v1`. */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  /** Requests whose path ends with `pathSuffix` (e.g. `"/embeddings"`). */
  requestsTo(pathSuffix: string): LoggedRequest[] {
    return this.requests.filter((request) => request.path.endsWith(pathSuffix));
  }

  /** Bodies of the chat completion requests so far. */
  chatRequests(): ChatRequestBody[] {
    return this.requests
      .filter((request) => request.route === "chat" && isJsonObject(request.body))
      .map((request) => request.body as ChatRequestBody);
  }

  /** The next `times` requests to `route` (or to any route, with `"*"`) fail as described, in FIFO order. */
  failNext(route: FailureRoute, failure: InjectedFailure, times = 1): this {
    for (let i = 0; i < times; i++) this.failures.push({ route, failure });
    return this;
  }

  get pendingFailures(): number {
    return this.failures.length;
  }

  /** Clears scripted answers, overrides, injected failures, the request log and usage counters. */
  reset(): void {
    this.chat.reset();
    this.embeddings.reset();
    this.transcriptions.reset();
    this.failures.length = 0;
    this.requests.length = 0;
    Object.assign(this.usage, emptyUsage());
  }

  /** Stops listening and destroys every open socket, hanging requests included. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  // -------------------------------------------------------------------------------------

  private takeFailure(route: FakeRoute): InjectedFailure | undefined {
    const index = this.failures.findIndex((entry) => entry.route === route || entry.route === "*");
    if (index < 0) return undefined;
    return this.failures.splice(index, 1)[0]?.failure;
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > this.maxBodyBytes) {
        throw new HttpFailure(
          413,
          openAIError(`Request body larger than ${this.maxBodyBytes} bytes`, "invalid_request_error", "payload_too_large"),
        );
      }
      chunks.push(buffer);
    }
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    let raw: Buffer;
    try {
      raw = await this.readBody(req);
    } catch (error) {
      if (error instanceof HttpFailure) {
        // Stop reading the rest of an oversized upload.
        res.setHeader("connection", "close");
        this.sendJson(res, error.status, error.body);
        return;
      }
      return; // The client went away mid-body.
    }

    const route = routeFor(method, path);
    const contentType = headerValue(req.headers, "content-type") ?? "";
    let body: LoggedRequest["body"];
    if (raw.length === 0) body = undefined;
    else if (contentType.toLowerCase().startsWith("multipart/form-data")) body = parseMultipart(raw, contentType);
    else {
      const text = raw.toString("utf8");
      try {
        body = JSON.parse(text) as JsonValue;
      } catch {
        body = text;
      }
    }
    if (this.logRequests) this.requests.push({ method, path, headers: req.headers, body, at: Date.now(), route });

    if (this.apiKey !== undefined && headerValue(req.headers, "authorization") !== `Bearer ${this.apiKey}`) {
      this.sendJson(res, 401, openAIError("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"));
      return;
    }

    if (method === "GET" && path.endsWith("/models")) {
      this.sendJson(res, 200, { object: "list", data: [{ id: "fake-model", object: "model", created: 0, owned_by: "omnimem-tests" }] });
      return;
    }

    if (route === undefined) {
      this.sendJson(res, 404, openAIError(`Unknown route: ${method} ${path}`, "invalid_request_error", "unknown_url"));
      return;
    }

    const failure = this.takeFailure(route);
    if (failure !== undefined) {
      if ("hang" in failure) return; // Left open; close() or the client's abort ends it.
      if ("delayMs" in failure) {
        const stillOpen = await this.wait(failure.delayMs, res);
        if (!stillOpen) return;
      } else if ("malformedJson" in failure) {
        this.sendMalformed(res, route, body);
        return;
      } else {
        this.sendFailure(res, failure);
        return;
      }
    }

    try {
      if (route === "chat") await this.answerChat(res, body);
      else if (route === "embeddings") this.answerEmbeddings(res, body);
      else await this.answerTranscription(res, body);
    } catch (error) {
      if (error instanceof HttpFailure) this.sendJson(res, error.status, error.body);
      else throw error;
    }
  }

  /** Resolves false when the client or the server went away first. */
  private wait(ms: number, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        res.off("close", onClose);
        resolve(!res.destroyed && !this.closed);
      }, ms);
      const onClose = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve(false);
      };
      this.timers.add(timer);
      res.once("close", onClose);
    });
  }

  private sendJson(res: ServerResponse, status: number, value: JsonValue, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(value);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private sendText(res: ServerResponse, status: number, text: string, contentType = "text/plain; charset=utf-8"): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  private sendFailure(res: ServerResponse, failure: Extract<InjectedFailure, { status: number }>): void {
    const headers: Record<string, string> = {};
    if (failure.retryAfterMs !== undefined) {
      headers["retry-after-ms"] = String(failure.retryAfterMs);
      headers["retry-after"] = String(Math.ceil(failure.retryAfterMs / 1000));
    }
    const type = failure.type ?? errorTypeFor(failure.status);
    const code = failure.code === undefined ? (failure.status === 429 ? "rate_limit_exceeded" : null) : failure.code;
    const message = failure.message ?? `Injected failure: HTTP ${failure.status}`;
    this.sendJson(res, failure.status, openAIError(message, type, code), headers);
  }

  private sendMalformed(res: ServerResponse, route: FakeRoute, body: LoggedRequest["body"]): void {
    if (route === "chat" && isJsonObject(body) && body["stream"] === true) {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.end('data: {"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"cont\n\n');
      return;
    }
    const truncated =
      route === "embeddings"
        ? '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2,'
        : '{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"message":{"role":"assis';
    this.sendText(res, 200, truncated, "application/json");
  }

  // ---- chat --------------------------------------------------------------------------

  private async answerChat(res: ServerResponse, body: LoggedRequest["body"]): Promise<void> {
    if (!isJsonObject(body)) {
      throw new HttpFailure(400, openAIError("Expected a JSON body", "invalid_request_error", null));
    }
    const request = body as ChatRequestBody;
    const formatType = request.response_format?.type;
    if (this.chat.isRejected(formatType)) {
      throw new HttpFailure(
        400,
        openAIError(
          `Invalid parameter: 'response_format' of type '${formatType}' is not supported with this model.`,
          "invalid_request_error",
          null,
          "response_format",
        ),
      );
    }

    const scripted = this.chat.next();
    const value = typeof scripted === "function" ? await scripted(request) : scripted;
    const answer: ChatAnswerObject = typeof value === "string" ? { content: value } : value;
    const content = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.content ?? null);
    const toolCalls = (answer.toolCalls ?? []).map((call, index) => ({
      id: call.id ?? `call_fake_${++this.sequence}_${index}`,
      type: "function",
      function: {
        name: call.name,
        arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
      },
    }));
    const finishReason = answer.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop");
    const completionText = (content ?? "") + toolCalls.map((call) => call.function.arguments).join("");
    const promptTokens = answer.usage?.promptTokens ?? approximateTokens(promptText(request));
    const completionTokens = answer.usage?.completionTokens ?? approximateTokens(completionText);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };

    this.usage.chatCalls += 1;
    this.usage.promptTokens += promptTokens;
    this.usage.completionTokens += completionTokens;

    const id = `chatcmpl-fake-${++this.sequence}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof request.model === "string" ? request.model : "fake-model";

    if (request.stream === true) {
      this.streamChat(res, { id, created, model, content, toolCalls, finishReason, usage, includeUsage: request.stream_options?.include_usage === true });
      return;
    }

    const message: JsonObject = { role: "assistant", content, refusal: null };
    if (toolCalls.length > 0) message["tool_calls"] = toolCalls;
    this.sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
      usage,
    });
  }

  private streamChat(
    res: ServerResponse,
    answer: {
      id: string;
      created: number;
      model: string;
      content: string | null;
      toolCalls: { id: string; type: string; function: { name: string; arguments: string } }[];
      finishReason: string;
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
      includeUsage: boolean;
    },
  ): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const chunk = (choices: JsonValue[], extra: JsonObject = {}): string =>
      `data: ${JSON.stringify({ id: answer.id, object: "chat.completion.chunk", created: answer.created, model: answer.model, choices, ...extra })}\n\n`;
    const delta = (value: JsonObject, finishReason: string | null = null): JsonObject => ({
      index: 0,
      delta: value,
      logprobs: null,
      finish_reason: finishReason,
    });
    let out = chunk([delta({ role: "assistant", content: "" })]);
    const content = answer.content ?? "";
    // A few pieces, so clients really have to join deltas.
    const pieceSize = Math.max(1, Math.ceil(content.length / 3));
    for (let i = 0; i < content.length; i += pieceSize) out += chunk([delta({ content: content.slice(i, i + pieceSize) })]);
    answer.toolCalls.forEach((call, index) => {
      out += chunk([
        delta({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: call.function.arguments } }] }),
      ]);
    });
    out += chunk([delta({}, answer.finishReason)]);
    if (answer.includeUsage) out += chunk([], { usage: answer.usage });
    out += "data: [DONE]\n\n";
    res.end(out);
  }

  // ---- embeddings --------------------------------------------------------------------

  private answerEmbeddings(res: ServerResponse, body: LoggedRequest["body"]): void {
    if (!isJsonObject(body)) {
      throw new HttpFailure(400, openAIError("Expected a JSON body", "invalid_request_error", null));
    }
    const input = body["input"];
    let texts: string[];
    if (typeof input === "string") texts = [input];
    else if (Array.isArray(input) && input.every((item) => typeof item === "string")) texts = input as string[];
    else if (Array.isArray(input) && input.every((item) => typeof item === "number")) texts = [JSON.stringify(input)];
    else if (Array.isArray(input) && input.every((item) => Array.isArray(item))) texts = input.map((item) => JSON.stringify(item));
    else throw new HttpFailure(400, openAIError("'input' must be a string or an array of strings", "invalid_request_error", null, "input"));
    if (texts.length === 0) {
      throw new HttpFailure(400, openAIError("'input' must not be empty", "invalid_request_error", null, "input"));
    }

    const requested = body["dimensions"];
    let dimensions = this.embeddings.defaultDimensions;
    if (requested !== undefined && requested !== null) {
      if (typeof requested !== "number" || !Number.isInteger(requested) || requested <= 0) {
        throw new HttpFailure(400, openAIError("'dimensions' must be a positive integer", "invalid_request_error", null, "dimensions"));
      }
      dimensions = requested;
    }
    if (body["encoding_format"] === "base64" && this.embeddings.base64 === "reject") {
      throw new HttpFailure(400, openAIError("base64 encoding is not currently supported", "invalid_request_error", null, "encoding_format"));
    }
    const base64 = body["encoding_format"] === "base64" && this.embeddings.base64 === "honour";

    let tokens = 0;
    const data = texts.map((text, index) => {
      tokens += approximateTokens(text);
      const vector = this.embeddings.vectorFor(text, dimensions);
      const embedding: JsonValue = base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector;
      return { object: "embedding", index, embedding };
    });

    this.usage.embeddingCalls += 1;
    this.usage.embeddingTokens += tokens;
    this.sendJson(res, 200, {
      object: "list",
      data,
      model: typeof body["model"] === "string" ? body["model"] : "fake-embedding-model",
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  // ---- transcriptions ----------------------------------------------------------------

  private async answerTranscription(res: ServerResponse, body: LoggedRequest["body"]): Promise<void> {
    if (!isMultipartBody(body)) {
      throw new HttpFailure(400, openAIError("Expected multipart/form-data", "invalid_request_error", null));
    }
    const file = body.files.find((candidate) => candidate.field === "file") ?? body.files[0];
    if (file === undefined) {
      throw new HttpFailure(400, openAIError("Missing 'file'", "invalid_request_error", null, "file"));
    }
    const request: TranscriptionRequest = {
      model: body.fields["model"],
      language: body.fields["language"],
      responseFormat: body.fields["response_format"],
      fields: body.fields,
      file,
    };
    const scripted = this.transcriptions.next();
    const value = typeof scripted === "function" ? await scripted(request) : scripted;
    const answer: TranscriptionAnswerObject = typeof value === "string" ? { text: value } : value;
    this.usage.transcriptionCalls += 1;

    const format = request.responseFormat ?? "json";
    const duration = answer.durationSeconds ?? 1;
    if (format === "text") {
      this.sendText(res, 200, answer.text);
    } else if (format === "srt") {
      this.sendText(res, 200, `1\n00:00:00,000 --> 00:00:${String(Math.min(59, Math.ceil(duration))).padStart(2, "0")},000\n${answer.text}\n`);
    } else if (format === "vtt") {
      this.sendText(res, 200, `WEBVTT\n\n00:00:00.000 --> 00:00:${String(Math.min(59, Math.ceil(duration))).padStart(2, "0")}.000\n${answer.text}\n`, "text/vtt");
    } else if (format === "verbose_json") {
      this.sendJson(res, 200, {
        task: "transcribe",
        language: answer.language ?? request.language ?? "english",
        duration,
        text: answer.text,
        segments: [
          { id: 0, seek: 0, start: 0, end: duration, text: answer.text, tokens: [], temperature: 0, avg_logprob: 0, compression_ratio: 1, no_speech_prob: 0 },
        ],
      });
    } else {
      this.sendJson(res, 200, { text: answer.text });
    }
  }
}

/** Starts a fake OpenAI-compatible server on 127.0.0.1 with a random port. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
  const server = new FakeOpenAIServer(options);
  await server.listen();
  return server;
}

/** The text of the last message with this role in a logged chat request (string or text parts). */
export function lastMessageText(body: ChatRequestBody, role: "system" | "user" | "assistant"): string {
  const messages = (body.messages ?? []).filter(isJsonObject).filter((message) => message.role === role);
  const content = messages.at(-1)?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .filter(isJsonObject)
      .map((part) => (typeof part.text === "string" ? part.text : ""))
      .join("");
  }
  return "";
}

/** The structured-output schema name a logged chat request asked for, or "plain". */
export function schemaNameOf(body: ChatRequestBody): string {
  return body.response_format?.json_schema?.name ?? (body.response_format === undefined ? "plain" : body.response_format.type);
}
