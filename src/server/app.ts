/**
 * The HTTP API as a Hono app over one Memory: EverOS's memory routes (add, flush, search, get)
 * plus update, delete and history, with request ids, structured logs, metrics, API keys, a body
 * limit and one error envelope. `startServer` (./start.ts) puts it on a port.
 */
import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { z } from "zod";
import type { ApiKeyConfig } from "../config/schema.js";
import type { InputMessage } from "../ingest/messages.js";
import { createLogger, type Logger } from "../log.js";
import type { AddResult, Memory, OwnerOptions } from "../memory.js";
import {
  AuthError,
  InternalError,
  isOmnimemError,
  NotFoundError,
  PayloadTooLargeError,
  RequestTimeoutError,
  ValidationError,
  type ErrorCode,
  type OmnimemError,
} from "../spec/errors.js";
import type {
  AddResponse,
  DeleteResponse,
  ErrorEnvelope,
  FlushResponse,
  GetResponse,
  HistoryResponse,
  MessageItem,
  OwnersResponse,
  SearchResponse,
  SuccessEnvelope,
  UpdateResponse,
} from "../spec/http.js";
import type { SearchFilter } from "../spec/types.js";
import { ApiKeyAuth, type Access } from "./auth.js";
import { healthReport, OMNIMEM_VERSION } from "./health.js";
import { handleMcpHttp } from "../mcp/http.js";
import { ServerMetrics } from "./metrics.js";
import { openApiDocument } from "./openapi.js";
import { defaultUiDirectory, uiResponse } from "./ui-files.js";
import {
  addRequestSchema,
  deleteRequestSchema,
  flushRequestSchema,
  getRequestSchema,
  historyRequestSchema,
  ownersRequestSchema,
  searchRequestSchema,
  updateRequestSchema,
} from "./schemas.js";
import { episodeWire, eventWire, factWire, memoryWire, partWire, searchWire, unprocessedWire } from "./wire.js";

export interface AppOptions {
  /** Empty or unset: no authentication (startServer allows that only on loopback, or with `insecure`). */
  apiKeys?: readonly ApiKeyConfig[];
  /** Largest request body; default 80 MiB. */
  bodyLimitBytes?: number;
  logger?: Logger;
  /** Shared with the instrumented models; a fresh registry (observing `memory`) when unset. */
  metrics?: ServerMetrics;
  /** True while the server drains on shutdown: responses then ask clients to close the connection. */
  draining?: () => boolean;
  /** Time limit of one request's handling (`server.request_timeout_ms`); unset: none. */
  requestTimeoutMs?: number;
  /** Work of a request answered at its time limit, still running (the server waits for it when it closes). */
  onAbandoned?: (work: Promise<void>) => void;
  /** The built web memory browser served at /ui; default: dist/ui of this package. */
  uiDirectory?: string;
}

type AppEnv = { Variables: { requestId: string; access: Access; log: Logger } };
type AppContext = Context<AppEnv>;

const DEFAULT_BODY_LIMIT = 80 * 1024 * 1024;
/** How much (at least; twice the body limit when that is more) of a refused request's body is read and dropped, and for how long, before the connection is closed instead. */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
const DISCARD_MAX_MS = 5_000;
const PREFIXES = ["/api/v1", "/api/v2"] as const;
const MEMORY_ROUTES = ["add", "flush", "search", "get", "update", "delete", "history", "owners"] as const;
/** Route labels for metrics: the known paths, everything else one label (no unbounded cardinality). */
const KNOWN_PATHS = new Set<string>(["/health", "/metrics", "/openapi.json", "/mcp", ...PREFIXES.flatMap((prefix) => MEMORY_ROUTES.map((route) => `${prefix}/memory/${route}`))]);
const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

export function createApp(memory: Memory, options: AppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const auth = new ApiKeyAuth(options.apiKeys ?? []);
  const logger = (options.logger ?? createLogger(memory.config.logLevel)).child({ component: "server" });
  const metrics =
    options.metrics ??
    (() => {
      const fresh = new ServerMetrics();
      fresh.observeMemory(memory);
      return fresh;
    })();
  const defaults = { appId: memory.config.appId, projectId: memory.config.projectId };
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const discardLimit = Math.max(DISCARD_MAX_BYTES, 2 * limit);

  app.use("*", async (c, next) => {
    const offered = c.req.header("x-request-id");
    const requestId = offered !== undefined && REQUEST_ID.test(offered) ? offered : randomUUID().replaceAll("-", "");
    const log = logger.child({ request_id: requestId });
    c.set("requestId", requestId);
    c.set("log", log);
    const started = performance.now();
    const done = metrics.requestStarted();
    try {
      await next();
    } finally {
      done();
    }
    const seconds = (performance.now() - started) / 1000;
    const status = c.res.status;
    c.res.headers.set("x-request-id", requestId);
    // A request refused before its body was read (401, 413): the client is still sending it. Reading
    // it to the end (and dropping it) lets the client see the answer instead of a broken pipe and
    // keeps the connection usable; past a bound the connection is closed instead.
    const unread = status >= 400 && c.req.raw.body !== null && !c.req.raw.bodyUsed && !(await discardBody(c.req.raw, discardLimit));
    if (options.draining?.() === true || unread) c.res.headers.set("connection", "close");
    metrics.request(c.req.method, KNOWN_PATHS.has(c.req.path) ? c.req.path : "other", status, seconds);
    const fields = { method: c.req.method, path: c.req.path, status, duration_ms: Math.round(seconds * 10_000) / 10 };
    if (status >= 500) log.error(fields, "request failed");
    else log.info(fields, "request");
  });

  app.onError((error, c) => errorResponse(c as AppContext, error));

  // A stuck parse or model call must not hold a connection forever: past the limit the caller gets
  // REQUEST_TIMEOUT. Work already under way cannot be recalled and may still finish.
  const requestTimeoutMs = options.requestTimeoutMs;
  if (requestTimeoutMs !== undefined) {
    app.use("*", async (_c, next) => {
      const work = next();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), requestTimeoutMs)));
      try {
        if ((await Promise.race([work, deadline])) !== "timeout") return;
      } finally {
        clearTimeout(timer);
      }
      options.onAbandoned?.(work.then(() => undefined, () => undefined));
      throw new RequestTimeoutError(`the request did not finish within ${requestTimeoutMs} ms (server.request_timeout_ms)`, {
        details: { timeoutMs: requestTimeoutMs },
      });
    });
  }
  app.notFound((c) => errorResponse(c as AppContext, new NotFoundError(`no route ${c.req.method} ${c.req.path}`)));

  // Authentication before the body is read: an unknown caller cannot make the server parse or keep anything.
  app.use("/api/*", async (c, next) => {
    c.set("access", auth.authenticate(c.req.header("authorization")));
    await next();
  });
  app.use("/metrics", async (c, next) => {
    c.set("access", auth.authenticate(c.req.header("authorization")));
    await next();
  });
  app.use("/mcp", async (c, next) => {
    c.set("access", auth.authenticate(c.req.header("authorization")));
    await next();
  });
  const tooLarge = (c: AppContext) =>
    errorResponse(c, new PayloadTooLargeError(`the request body is over the server's limit of ${limit} bytes`, { details: { limit } }));
  const limitStreamedBody = bodyLimit({ maxSize: limit, onError: (c) => tooLarge(c as AppContext) });
  app.use("/api/*", async (c, next) => {
    // A body with a length is judged by its header alone. Hono's bodyLimit looks at
    // c.req.raw.body first, and on Node that makes @hono/node-server build a WHATWG Request with
    // a web stream over the socket (0.2 ms of the server's CPU a request under bench/load.ts),
    // where reading the text later goes to the socket directly. A chunked body has no length:
    // bodyLimit counts it as it arrives.
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) return Number(length) > limit ? tooLarge(c) : next();
    return limitStreamedBody(c, next);
  });

  // Open to anyone (load balancers, the page before it has a key); where things are on disk
  // (the data folder, the tools' paths) only for a caller with a valid key, or with no keys set.
  app.get("/health", (c) => c.json(healthReport(memory, { locations: auth.admits(c.req.header("authorization")) })));
  app.get("/openapi.json", (c) => c.json(openApiDocument(OMNIMEM_VERSION)));
  // The web memory browser (src/ui): static files; what it shows comes from the API, behind the keys.
  const uiDirectory = options.uiDirectory ?? defaultUiDirectory();
  app.get("/ui", () => uiResponse(uiDirectory, ""));
  app.get("/ui/*", (c) => uiResponse(uiDirectory, c.req.path.slice("/ui".length)));
  app.get("/metrics", async (c) => c.body(await metrics.text(), 200, { "content-type": metrics.contentType }));
  // The MCP server (streamable HTTP), behind the same keys; the owner comes from /mcp?user_id=… (src/mcp/http.ts).
  app.all("/mcp", (c) =>
    handleMcpHttp(c.req.raw, memory, {
      // A key confined to an app or project acts there unless the connection names another (then FORBIDDEN).
      defaults: { appId: c.get("access").appId ?? defaults.appId, projectId: c.get("access").projectId ?? defaults.projectId },
      authorize: (appId, projectId) => ApiKeyAuth.authorize(c.get("access"), appId, projectId),
      logger: c.get("log"),
      version: OMNIMEM_VERSION,
      maxRequestBytes: limit,
    }),
  );

  /** The app and project a call names, else its API key's (a confined key need not repeat them), else the server's. */
  const scopeOf = (c: AppContext, body: { app_id?: string | undefined; project_id?: string | undefined }) => {
    const access = c.get("access");
    const scope = { appId: body.app_id ?? access.appId ?? defaults.appId, projectId: body.project_id ?? access.projectId ?? defaults.projectId };
    ApiKeyAuth.authorize(access, scope.appId, scope.projectId);
    return scope;
  };

  /**
   * Whose memories a by-id call may reach: its scope (see scopeOf), and the owner when it names
   * one. A memory outside is NOT_FOUND as an unknown id is, so neither another owner nor a key
   * confined elsewhere learns that it exists.
   */
  const byIdOwner = (
    c: AppContext,
    body: { app_id?: string | undefined; project_id?: string | undefined; user_id?: string | undefined; agent_id?: string | undefined; run_id?: string | undefined },
  ): OwnerOptions => ({
    ...scopeOf(c, body),
    ...ownerOf(body),
  });

  for (const prefix of PREFIXES) {
    const route = (name: (typeof MEMORY_ROUTES)[number]) => `${prefix}/memory/${name}`;

    app.post(route("add"), async (c) => {
      const body = parseBody(addRequestSchema, await readJson(c));
      const scope = scopeOf(c, body);
      const owner = ownerOfAdd(body);
      let result: AddResult;
      try {
        result = await memory.add(body.messages.map(toInputMessage), {
          ...scope,
          ...owner,
          sessionId: body.session_id,
          ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
          flush: body.sync === true,
        });
      } catch (error) {
        if (isOmnimemError(error) && error.httpStatus === 415) metrics.parseRejected(error.code);
        throw error;
      }
      metrics.parsed(result.parts);
      const data: AddResponse = { message_count: body.messages.length, ...addOutcome(result), parts: result.parts.map(partWire) };
      if (result.results.length > 0) data.memories = result.results.map(eventWire);
      return success(c, data);
    });

    app.post(route("flush"), async (c) => {
      const body = parseBody(flushRequestSchema, await readJson(c));
      const scope = scopeOf(c, body);
      const named = ownerOf(body);
      // EverOS clients flush by session alone: then every owner with turns pending in it.
      const owners = named ?? (await memory.sessionOwners({ ...scope, sessionId: body.session_id }));
      const results: AddResult[] = [];
      for (const owner of Array.isArray(owners) ? owners : [owners]) {
        results.push(await memory.flush({ ...scope, ...owner, sessionId: body.session_id }));
      }
      const episodes = results.flatMap((result) => result.episodes);
      const data: FlushResponse = {
        status: episodes.length > 0 ? "extracted" : "no_extraction",
        memories: results.flatMap((result) => result.results.map(eventWire)),
      };
      return success(c, data);
    });

    app.post(route("search"), async (c) => {
      const body = parseBody(searchRequestSchema, await readJson(c));
      const scope = scopeOf(c, body);
      const owner = ownerOf(body)!;
      const filters = combineFilters(body.filters as SearchFilter | null | undefined, body.session_id === undefined ? undefined : { session_id: body.session_id });
      const { results } = await memory.search(body.query, {
        ...scope,
        ...owner,
        ...(body.method === undefined ? {} : { method: body.method }),
        ...(body.top_k === undefined || body.top_k === -1 ? {} : { limit: body.top_k }),
        ...(filters === undefined ? {} : { filters }),
        ...(body.min_score === undefined || body.min_score === null ? {} : { threshold: body.min_score }),
        ...(body.now === undefined ? {} : { now: body.now }),
      });
      // EverOS returns a session's buffered turns when the search names one session.
      const filterSession = body.filters?.session_id;
      const pendingSession = body.session_id ?? (typeof filterSession === "string" ? filterSession : undefined);
      const pending =
        pendingSession === undefined || !SEGMENT.test(pendingSession)
          ? []
          : (await memory.pendingTurns({ ...scope, ...owner, sessionId: pendingSession })).map((turn) =>
              unprocessedWire(turn, { ...scope, sessionId: pendingSession }),
            );
      const data: SearchResponse = { ...searchWire(results), unprocessed_messages: pending };
      return success(c, data);
    });

    app.post(route("get"), async (c) => {
      const body = parseBody(getRequestSchema, await readJson(c));
      if (body.memory_id !== undefined) {
        const item = await memory.get(body.memory_id, byIdOwner(c, body));
        if (item === null || (body.memory_type !== undefined && item.kind !== body.memory_type)) {
          throw new NotFoundError(`memory ${body.memory_id} not found`, { details: { id: body.memory_id } });
        }
        const one: GetResponse = {
          episodes: item.kind === "episode" ? [episodeWire(item)] : [],
          facts: item.kind === "fact" ? [factWire(item)] : [],
          total_count: 1,
          count: 1,
        };
        return success(c, one);
      }
      const scope = scopeOf(c, body);
      const owner = ownerOf(body)!;
      const filters = combineFilters(body.filters as SearchFilter | null | undefined, body.memory_type === undefined ? undefined : { kind: body.memory_type });
      const pageSize = body.page_size ?? 20;
      // Sorted, skipped and counted by the store: a page reads that page.
      const page = await memory.getAll({
        ...scope,
        ...owner,
        limit: pageSize,
        offset: ((body.page ?? 1) - 1) * pageSize,
        sortBy: body.sort_by ?? "timestamp",
        sortOrder: body.sort_order ?? "desc",
        withTotal: true,
        ...(filters === undefined ? {} : { filters }),
      });
      const items = page.results;
      const data: GetResponse = {
        episodes: items.filter((item) => item.kind === "episode").map((item) => episodeWire(item)),
        facts: items.filter((item) => item.kind === "fact").map((item) => factWire(item)),
        total_count: page.total ?? items.length,
        count: items.length,
      };
      return success(c, data);
    });

    app.post(route("update"), async (c) => {
      const body = parseBody(updateRequestSchema, await readJson(c));
      const owner = byIdOwner(c, body);
      await memory.update(
        body.memory_id,
        {
          ...(body.text === undefined ? {} : { text: body.text }),
          ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
        },
        owner,
      );
      const updated = await memory.get(body.memory_id, owner);
      // Deleted between the update and this read.
      if (updated === null) throw new NotFoundError(`memory ${body.memory_id} not found`, { details: { id: body.memory_id } });
      const data: UpdateResponse = memoryWire(updated);
      return success(c, data);
    });

    app.post(route("delete"), async (c) => {
      const body = parseBody(deleteRequestSchema, await readJson(c));
      let data: DeleteResponse;
      if (body.memory_id !== undefined) {
        await memory.delete(body.memory_id, byIdOwner(c, body));
        data = { deleted: 1 };
      } else {
        const { deleted } = await memory.deleteAll({ ...scopeOf(c, body), ...ownerOf(body)! });
        data = { deleted };
      }
      return success(c, data);
    });

    app.post(route("history"), async (c) => {
      const body = parseBody(historyRequestSchema, await readJson(c));
      // Also a deleted memory's (its history rows keep its owner); none: unknown, or not the caller's.
      const history = await memory.history(body.memory_id, byIdOwner(c, body));
      if (history.length === 0) throw new NotFoundError(`memory ${body.memory_id} not found`, { details: { id: body.memory_id } });
      const data: HistoryResponse = { memory_id: body.memory_id, history };
      return success(c, data);
    });

    // For browsing (the /ui page): whose memories there are, in the caller's app and project.
    app.post(route("owners"), async (c) => {
      const body = parseBody(ownersRequestSchema, await readJson(c));
      const pageSize = body.page_size ?? 50;
      const page = await memory.owners({ ...scopeOf(c, body), limit: pageSize, offset: ((body.page ?? 1) - 1) * pageSize });
      const data: OwnersResponse = {
        owners: page.owners.map((owner) => ({
          ...(owner.userId === undefined ? {} : { user_id: owner.userId }),
          ...(owner.agentId === undefined ? {} : { agent_id: owner.agentId }),
          memory_count: owner.memories,
          last_timestamp: owner.lastTimestamp,
        })),
        total_count: page.total,
      };
      return success(c, data);
    });
  }

  return app;
}

/** Reads a request body to its end without keeping it; false when it is too large, too slow or already taken. */
async function discardBody(request: Request, maxBytes: number): Promise<boolean> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  const body = request.body;
  if (body === null || body.locked || declared > maxBytes) return false;
  const reader = body.getReader();
  const timer = setTimeout(() => void reader.cancel().catch(() => undefined), DISCARD_MAX_MS);
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        return false;
      }
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function success<T>(c: AppContext, data: T): Response {
  const envelope: SuccessEnvelope<T> = { request_id: c.get("requestId"), data };
  return c.json(envelope);
}

function errorResponse(c: AppContext, error: unknown): Response {
  const requestId = c.get("requestId") ?? randomUUID().replaceAll("-", "");
  const log = c.get("log");
  const known = toOmnimemError(error);
  const status = known?.httpStatus ?? 500;
  if (known === undefined || status >= 500) log?.error({ err: error }, known === undefined ? "unexpected error" : known.message);
  const code: ErrorCode = known?.code ?? "INTERNAL";
  // An unexpected error's message may name internals: it goes to the log, the caller gets the request id.
  const message =
    known === undefined || code === "INTERNAL" ? `internal error; the server log has the details (request_id ${requestId})` : known.message;
  const envelope: ErrorEnvelope = {
    request_id: requestId,
    error: { code, message, timestamp: new Date().toISOString(), path: c.req.path },
  };
  if (known !== undefined && code !== "INTERNAL" && known.details !== undefined) envelope.error.details = known.details;
  const headers: Record<string, string> = { "x-request-id": requestId };
  if (status === 401) headers["www-authenticate"] = 'Bearer realm="omnimem"';
  if (status === 503 && known?.isRetryable === true) headers["retry-after"] = "1";
  return c.json(envelope, status as 500, headers);
}

/** Hono's own exceptions (a malformed request it refused) in the error table's terms. */
function toOmnimemError(error: unknown): OmnimemError | undefined {
  if (isOmnimemError(error)) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new PayloadTooLargeError(error.message || "the request body is too large");
    if (error.status === 401) return new AuthError("UNAUTHORIZED", error.message || "unauthorized");
    if (error.status < 500) return new ValidationError(error.message || "bad request");
    return new InternalError(error.message, { cause: error });
  }
  return undefined;
}

async function readJson(c: AppContext): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") throw new ValidationError("the request body is empty: send a JSON object", { details: { path: "" } });
  let prototypeKey = false;
  let body: unknown;
  try {
    // A "__proto__" key parses as a plain field, but the schemas' copies turn it into a prototype:
    // in metadata or filters it would vanish without a word (a filter then matching more).
    body = JSON.parse(text, (key, value: unknown) => {
      if (key === "__proto__") prototypeKey = true;
      return value;
    });
  } catch (error) {
    throw new ValidationError(`the request body is not valid JSON: ${(error as Error).message}`, { details: { path: "" } });
  }
  if (prototypeKey) throw new ValidationError('"__proto__" is not allowed as a key anywhere in the request body', { details: { path: "" } });
  return body;
}

/** What an add did, for its answer: see AddStatus in spec/http.ts. */
function addOutcome(result: AddResult): Pick<AddResponse, "status" | "reason" | "duplicate_count"> {
  const duplicates = result.duplicates ?? 0;
  const counted = duplicates > 0 ? { duplicate_count: duplicates } : {};
  if (result.episodes.length > 0) return { status: "extracted", ...counted };
  if ((result.buffered ?? 0) > 0) return { status: "accumulated", ...counted };
  if (duplicates > 0) {
    return {
      status: "duplicate",
      reason: `every message was already received (same sender, timestamp and text in this session): ${duplicates === 1 ? "it was" : "they were"} not buffered again and nothing was extracted`,
      ...counted,
    };
  }
  return { status: "no_extraction", reason: "no message carried text to remember (system messages and empty content are skipped)" };
}

/** The first problem only, as EverOS words it: `<message>: <dotted path>`. */
function parseBody<Schema extends z.ZodType>(schema: Schema, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = mostSpecific(result.error.issues[0]!);
  const path = issue.path.map(String).join(".");
  throw new ValidationError(path === "" ? issue.message : `${issue.message}: ${path}`, { details: { path } });
}

/**
 * A union's own issue says only "Invalid input"; the branch that got furthest (content given
 * as an array whose item is wrong) says what is wrong and where.
 */
function mostSpecific(issue: z.core.$ZodIssue): { message: string; path: PropertyKey[] } {
  // An unknown field is named by its own path, so the caller sees which one (and a union prefers that branch).
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    return { message: `unknown field ${JSON.stringify(key)}${issue.keys.length > 1 ? ` (and ${issue.keys.length - 1} more)` : ""}`, path: [...issue.path, key] };
  }
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue;
  let best: { message: string; path: PropertyKey[] } | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first === undefined) continue;
    const candidate = mostSpecific(first);
    if (best === undefined || candidate.path.length > best.path.length) best = candidate;
  }
  return best === undefined ? issue : { message: best.message, path: [...issue.path, ...best.path] };
}

function ownerOf(body: { user_id?: string | undefined; agent_id?: string | undefined; run_id?: string | undefined }): OwnerOptions | undefined {
  if (body.user_id === undefined && body.agent_id === undefined) {
    if (body.run_id !== undefined) throw new ValidationError("run_id narrows an owner's memories: name the owner too (user_id or agent_id)", { details: { path: "run_id" } });
    return undefined;
  }
  const owner: OwnerOptions = {};
  if (body.user_id !== undefined) owner.userId = body.user_id;
  if (body.agent_id !== undefined) owner.agentId = body.agent_id;
  if (body.run_id !== undefined) owner.runId = body.run_id;
  return owner;
}

/** `user_id` when given; else the sender of the first role:user message; else `agent_id`. */
function ownerOfAdd(body: z.output<typeof addRequestSchema>): OwnerOptions {
  if (body.user_id !== undefined) return ownerOf(body)!;
  const index = body.messages.findIndex((message) => message.role === "user" && message.sender_id !== undefined);
  if (index >= 0) {
    const sender = body.messages[index]!.sender_id!;
    if (!SEGMENT.test(sender)) {
      throw new ValidationError(
        `sender ${JSON.stringify(sender)} cannot own memories (1-128 letters, digits and . _ @ + -, starting with a letter or digit); pass user_id: messages.${index}.sender_id`,
        { details: { path: `messages.${index}.sender_id` } },
      );
    }
    return { userId: sender, ...(body.agent_id === undefined ? {} : { agentId: body.agent_id }), ...(body.run_id === undefined ? {} : { runId: body.run_id }) };
  }
  if (body.agent_id !== undefined) return ownerOf(body)!;
  throw new ValidationError("name the owner: user_id, agent_id, or a sender_id on a role:user message: user_id", { details: { path: "user_id" } });
}

function toInputMessage(message: MessageItem): InputMessage {
  const input: InputMessage = {
    role: message.role,
    content:
      typeof message.content === "string"
        ? message.content
        : message.content.map((item) => {
            const clean: Record<string, unknown> = { type: item.type };
            for (const field of ["text", "uri", "base64", "ext", "name"] as const) {
              const value = item[field];
              if (value !== undefined && value !== null) clean[field] = value;
            }
            return clean;
          }),
    timestamp: message.timestamp,
  };
  if (message.sender_id !== undefined) input.sender_id = message.sender_id;
  return input;
}

function combineFilters(a: SearchFilter | null | undefined, b: SearchFilter | undefined): SearchFilter | undefined {
  if (a === undefined || a === null) return b;
  if (b === undefined) return a;
  return { AND: [a, b] };
}
