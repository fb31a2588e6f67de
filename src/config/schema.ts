import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

/**
 * The library's configuration. The CLI and the server build this object from defaults,
 * omnimem.toml, OMNIMEM_* variables and arguments; library users pass it to Memory.open.
 */
const segmentId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, "letters, digits and . _ @ + -, starting with a letter or digit");

export const embeddingConfigSchema = z
  .object({
    model: z.string().min(1),
    baseUrl: z.url(),
    apiKey: z.string().optional(),
    dimensions: z.number().int().positive().optional(),
    batchSize: z.number().int().min(1).max(2048).default(128),
    maxRetries: z.number().int().min(0).max(10).default(3),
    timeoutMs: z.number().int().positive().default(30_000),
  })
  .strict();

export const llmConfigSchema = z
  .object({
    model: z.string().min(1),
    baseUrl: z.url(),
    apiKey: z.string().optional(),
    maxRetries: z.number().int().min(0).max(10).default(3),
    timeoutMs: z.number().int().positive().default(60_000),
    /** First backoff delay of a retry; doubles each time. */
    retryBaseDelayMs: z.number().int().min(0).default(1000),
  })
  .strict();

export const boundaryConfigSchema = z
  .object({
    /** A session untouched this long becomes an episode in the background. */
    idleFlushSeconds: z.number().positive().default(600),
    gapHours: z.number().positive().default(4),
    hardTokenLimit: z.number().int().positive().default(65_536),
    hardMsgLimit: z.number().int().positive().default(500),
    /** The LLM judges a buffer only from this many turns on... */
    llmMinMessages: z.number().int().min(2).default(8),
    /** ...and again only after this many new turns. */
    llmJudgeEvery: z.number().int().min(1).default(4),
  })
  .strict();

const MiB = 1024 * 1024;

/** The parsing model and the limits on what content may be fetched and parsed. */
export const multimodalConfigSchema = z
  .object({
    /** A vision-capable chat model for images and scanned pages; unset: local OCR. */
    model: z.string().min(1).optional(),
    baseUrl: z.url().optional(),
    apiKey: z.string().optional(),
    /** The `/audio/transcriptions` model at the same endpoint; unset: a local recogniser if installed. */
    transcriptionModel: z.string().min(1).optional(),
    maxConcurrency: z.number().int().min(1).max(64).default(4),
    maxRetries: z.number().int().min(0).max(10).default(3),
    timeoutMs: z.number().int().positive().default(120_000),
    retryBaseDelayMs: z.number().int().min(0).default(1000),
    fileUriMaxBytes: z.number().int().positive().default(50 * MiB),
    /** file:// payloads must lie inside one of these folders; empty: anywhere. */
    fileUriAllowDirs: z.array(z.string().min(1)).default([]),
    allowFileUris: z.boolean().default(true),
    /** Cap on base64 and http(s) payloads. */
    maxBytes: z.number().int().positive().default(50 * MiB),
    fetchTimeoutMs: z.number().int().positive().default(30_000),
    /** Lets http(s) URLs reach loopback and private addresses (tests, trusted networks). */
    allowPrivateHosts: z.boolean().default(false),
    /** Local OCR (tesseract.js) for images and scanned pages when no vision model is set. */
    ocr: z.boolean().default(true),
    maxImagePixels: z.number().int().positive().default(60_000_000),
    maxPdfPages: z.number().int().positive().default(200),
    maxAudioSeconds: z.number().positive().default(3600),
    maxHtmlBytes: z.number().int().positive().default(10 * MiB),
    maxEmailAttachments: z.number().int().min(0).default(20),
    maxAttachmentBytes: z.number().int().positive().default(25 * MiB),
    officeTimeoutMs: z.number().int().positive().default(120_000),
  })
  .strict()
  .refine((value) => (value.model === undefined && value.transcriptionModel === undefined) || value.baseUrl !== undefined, {
    message: "a multimodal model needs base_url",
    path: ["baseUrl"],
  });

/** One API key of the HTTP server; `appId`/`projectId` confine it to that app or project. */
export const apiKeySchema = z.preprocess(
  // TOML and env JSON are written in snake_case (app_id); the schema's own names are camelCase.
  (value) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    const { app_id, project_id, ...rest } = value as Record<string, unknown>;
    return { ...rest, ...(app_id === undefined ? {} : { appId: app_id }), ...(project_id === undefined ? {} : { projectId: project_id }) };
  },
  z
    .object({
      key: z.string().min(16, "an API key needs at least 16 characters"),
      appId: segmentId.optional(),
      projectId: segmentId.optional(),
    })
    .strict(),
);

/** `omnimem serve`: where it listens, who may call it, and how big a request may be. */
export const serverConfigSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65_535).default(8000),
    /** Empty: no authentication, allowed only on a loopback address (or with `insecure`). */
    apiKeys: z.array(apiKeySchema).default([]),
    /** Largest request body; a 50 MiB payload (multimodal.max_bytes) is about 67 MiB as base64. */
    bodyLimitBytes: z.number().int().positive().default(80 * MiB),
    /** Lets the server listen beyond loopback without API keys. */
    insecure: z.boolean().default(false),
    /** In-flight requests get this long to finish on SIGTERM/SIGINT before their connections are cut. */
    shutdownTimeoutMs: z.number().int().min(0).default(30_000),
  })
  .strict();

export const memoryConfigSchema = z
  .object({
    root: z.string().min(1).default(join(homedir(), ".omnimem")),
    appId: segmentId.default("default"),
    projectId: segmentId.default("default"),
    /** The extraction LLM (boundaries, extraction, reconciliation, agentic search); unset: local mode. */
    llm: llmConfigSchema.optional(),
    boundary: boundaryConfigSchema.default(boundaryConfigSchema.parse({})),
    extraction: z
      .object({ customInstructions: z.string().min(1).optional() })
      .strict()
      .default({}),
    multimodal: multimodalConfigSchema.default(multimodalConfigSchema.parse({})),
    /** An OpenAI-compatible embedding endpoint; unset: the local embedder, offline. */
    embedding: embeddingConfigSchema.optional(),
    localEmbedding: z
      .object({ dimensions: z.number().int().min(16).max(4096).default(256) })
      .strict()
      .default({ dimensions: 256 }),
    search: z
      .object({
        defaultMethod: z.enum(["keyword", "vector", "hybrid", "agentic"]).default("hybrid"),
        defaultLimit: z.number().int().min(1).max(1000).default(10),
        rrfK: z.number().int().min(1).default(60),
        /** Past this many indexed memories an ANN (HNSW) vector index is built. */
        annMinRows: z.number().int().min(256).default(50_000),
      })
      .strict()
      .default({ defaultMethod: "hybrid", defaultLimit: 10, rrfK: 60, annMinRows: 50_000 }),
    server: serverConfigSchema.default(serverConfigSchema.parse({})),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("warn"),
  })
  .strict();

export type MemoryConfigInput = z.input<typeof memoryConfigSchema>;
export type MemoryConfig = z.output<typeof memoryConfigSchema>;
export type EmbeddingConfig = z.output<typeof embeddingConfigSchema>;
export type LlmConfig = z.output<typeof llmConfigSchema>;
export type MultimodalConfig = z.output<typeof multimodalConfigSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema>;
export type ApiKeyConfig = z.output<typeof apiKeySchema>;
