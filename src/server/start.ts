/**
 * Puts the app on a port: checks that the address is safe for the configuration, opens the
 * Memory (with models timed for /metrics), listens, and drains on close.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { memoryConfigSchema, type MemoryConfig, type MemoryConfigInput } from "../config/schema.js";
import { createLogger, type Logger } from "../log.js";
import { chatModelFrom, defaultEmbedder, Memory, type MemoryOptions } from "../memory.js";
import { parsingModelsFrom } from "../providers/multimodal.js";
import { InternalError, ValidationError } from "../spec/errors.js";
import { createApp } from "./app.js";
import { instrumentChatModel, instrumentEmbedder, instrumentParsingModels } from "./instrumented-models.js";
import { ServerMetrics } from "./metrics.js";

/** Time a client gets to send a request's headers (at most the request time limit). */
const HEADERS_TIMEOUT_MS = 60_000;

export interface StartServerOptions {
  logger?: Logger;
  /** Instances for the Memory (an embedder, a chat model, parsing models), e.g. in tests. */
  memoryOptions?: Omit<MemoryOptions, keyof MemoryConfigInput | "logger">;
}

export interface RunningServer {
  /** `http://host:port`, with the port actually bound (port 0 picks a free one). */
  url: string;
  host: string;
  port: number;
  memory: Memory;
  /** Stops accepting connections, lets in-flight requests finish, then closes the Memory. Idempotent. */
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and localhost: addresses nothing outside this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare) || /^::ffff:127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * What the server changes in the configuration, or refuses: beyond loopback it needs API keys
 * (or `insecure`). file:// payloads read the server's disk with the server's rights, which is
 * only the caller's own business for one local user: with API keys (callers the server tells
 * apart, a key perhaps confined to one app) or beyond loopback they are refused unless
 * `multimodal.file_uri_allow_dirs` confines them. (The data root is never read either way.)
 */
export function serverMemoryConfig(config: MemoryConfig): { config: MemoryConfig; warnings: string[] } {
  const { server } = config;
  const warnings: string[] = [];
  const loopback = isLoopbackHost(server.host);
  if (loopback && server.apiKeys.length === 0) return { config, warnings };
  if (!loopback && server.apiKeys.length === 0) {
    if (!server.insecure) {
      throw new ValidationError(
        `refusing to listen on ${server.host} without API keys: anyone who can reach it could read and write every memory. ` +
          "Set OMNIMEM_SERVER__API_KEYS (JSON, e.g. '[{\"key\":\"<at least 16 characters>\"}]'), listen on 127.0.0.1, or pass --insecure",
        { details: { path: "server.apiKeys", host: server.host } },
      );
    }
    warnings.push(`listening on ${server.host} without API keys (--insecure): every caller can read and write every memory`);
  }
  if (config.multimodal.fileUriAllowDirs.length === 0 && config.multimodal.allowFileUris) {
    const why = loopback ? "with API keys" : `on a non-loopback address (${server.host})`;
    warnings.push(`file:// content is refused ${why}; set OMNIMEM_MULTIMODAL__FILE_URI_ALLOW_DIRS to allow it from chosen folders`);
    return { config: { ...config, multimodal: { ...config.multimodal, allowFileUris: false } }, warnings };
  }
  return { config, warnings };
}

export async function startServer(input: MemoryConfigInput, options: StartServerOptions = {}): Promise<RunningServer> {
  const parsed = memoryConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`invalid config at ${issue.path.join(".") || "(root)"}: ${issue.message}`, {
      details: { path: issue.path.join(".") },
      cause: parsed.error,
    });
  }
  const { config, warnings } = serverMemoryConfig(parsed.data);
  const logger = options.logger ?? createLogger(config.logLevel);
  for (const warning of warnings) logger.warn(warning);

  const metrics = new ServerMetrics();
  const memoryOptions = options.memoryOptions ?? {};
  const chatModel = memoryOptions.chatModel ?? (config.llm === undefined ? undefined : chatModelFrom(config.llm, logger));
  const memory = await Memory.open({
    ...config,
    logger,
    embedder: instrumentEmbedder(memoryOptions.embedder ?? defaultEmbedder(config), metrics),
    ...(memoryOptions.index === undefined ? {} : { index: memoryOptions.index }),
    ...(chatModel === undefined ? {} : { chatModel: instrumentChatModel(chatModel, metrics) }),
    parsingModels: instrumentParsingModels(memoryOptions.parsingModels ?? parsingModelsFrom(config.multimodal, logger), metrics),
  });
  metrics.observeMemory(memory);

  let draining = false;
  let inFlight = 0;
  /** Work of requests answered at their time limit that has not finished yet. */
  const abandoned = new Set<Promise<void>>();
  const { requestTimeoutMs } = config.server;
  const app = createApp(memory, {
    apiKeys: config.server.apiKeys,
    bodyLimitBytes: config.server.bodyLimitBytes,
    logger,
    metrics,
    draining: () => draining,
    requestTimeoutMs,
    onAbandoned: (work) => {
      abandoned.add(work);
      void work.then(() => abandoned.delete(work));
    },
  });
  const server = serve({
    fetch: async (request, env) => {
      inFlight++;
      try {
        return await app.fetch(request, env);
      } finally {
        inFlight--;
      }
    },
    hostname: config.server.host,
    port: config.server.port,
    // Node's own limits on receiving a request (408 past them): the whole request, and its headers.
    serverOptions: { requestTimeout: requestTimeoutMs, headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs) },
  }) as Server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
  } catch (error) {
    await memory.close();
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${config.server.host}:${config.server.port}`;
    throw new InternalError(
      code === "EADDRINUSE" ? `cannot listen on ${where}: the port is in use (pass --port)` : `cannot listen on ${where}: ${(error as Error).message}`,
      { cause: error, details: { host: config.server.host, port: config.server.port } },
    );
  }
  const { port } = server.address() as AddressInfo;
  const host = config.server.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info({ url, mode: memory.mode, root: config.root, auth: config.server.apiKeys.length > 0 }, "listening");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      const deadline = Date.now() + config.server.shutdownTimeoutMs;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections finishing their last request become idle; close them as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 25);
      const cut = setTimeout(() => server.closeAllConnections(), config.server.shutdownTimeoutMs);
      server.closeIdleConnections();
      await closed;
      clearInterval(sweep);
      clearTimeout(cut);
      while ((inFlight > 0 || abandoned.size > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await memory.close();
      logger.info("server stopped");
    })());
  return { url, host, port, memory, close };
}
