import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

/**
 * The library's configuration. The CLI and the server build this object from defaults,
 * omnimem.toml, OMNIMEM_* variables and arguments; library users pass it to Memory.open.
 *
 * Every setting carries a description (`.describe`, or `.meta` when it also has an example):
 * the omnimem.toml template, the .env template and `omnimem config show` are generated from
 * them, so a setting added here is documented everywhere at once. Examples stand in for a
 * value in the template where a setting has no default.
 */
const segmentId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, "letters, digits and . _ @ + -, starting with a letter or digit");

export const embeddingConfigSchema = z
  .object({
    model: z.string().min(1).meta({ description: "Embedding model name at the endpoint.", examples: ["text-embedding-3-small"] }),
    baseUrl: z.url().meta({ description: "OpenAI-compatible base URL of the embedding endpoint.", examples: ["https://api.openai.com/v1"] }),
    apiKey: z.string().optional().describe("API key of the embedding endpoint."),
    dimensions: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "Vector size to ask the model for (models that can shorten vectors); unset: the model's own size.", examples: [1536] }),
    batchSize: z.number().int().min(1).max(2048).default(128).describe("Texts per embedding request."),
    maxRetries: z.number().int().min(0).max(10).default(3).describe("Retries of a failed request before giving up."),
    timeoutMs: z.number().int().positive().default(30_000).describe("Time limit of one request, in milliseconds."),
  })
  .strict();

export const llmConfigSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .meta({ description: "Chat model name at the endpoint.", examples: ["gpt-4.1-mini"] }),
    baseUrl: z.url().meta({
      description: "OpenAI-compatible base URL (OpenAI, OpenRouter, Ollama, vLLM, LM Studio, ...).",
      examples: ["https://api.openai.com/v1"],
    }),
    apiKey: z.string().optional().describe("API key of the LLM endpoint."),
    maxRetries: z.number().int().min(0).max(10).default(3).describe("Retries of a failed request before giving up."),
    timeoutMs: z.number().int().positive().default(60_000).describe("Time limit of one request, in milliseconds."),
    retryBaseDelayMs: z.number().int().min(0).default(1000).describe("First backoff delay of a retry, in milliseconds; doubles each time."),
    maxExtractionAttempts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe(
        "Failed extractions of a session's pending turns (output unusable after the correction round, or a request the endpoint refuses) before the turns are stored verbatim as an episode marked extraction: \"pending\"; an endpoint that is down does not count.",
      ),
  })
  .strict();

export const boundaryConfigSchema = z
  .object({
    idleFlushSeconds: z.number().positive().default(600).describe("A session untouched this long becomes an episode in the background."),
    gapHours: z.number().positive().default(4).describe("A pause this long between two turns starts a new episode."),
    hardTokenLimit: z.number().int().positive().default(65_536).describe("A buffer this many tokens long becomes an episode regardless."),
    hardMsgLimit: z.number().int().positive().default(500).describe("A buffer of this many turns becomes an episode regardless."),
    llmMinMessages: z.number().int().min(2).default(8).describe("The LLM judges a buffer for an episode boundary only from this many turns on..."),
    llmJudgeEvery: z.number().int().min(1).default(4).describe("...and again only after this many new turns."),
  })
  .strict();

const MiB = 1024 * 1024;

/** The parsing model and the limits on what content may be fetched and parsed. */
export const multimodalConfigSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "A vision-capable chat model for images and scanned pages; unset: local OCR.", examples: ["gpt-4.1-mini"] }),
    baseUrl: z
      .url()
      .optional()
      .meta({ description: "OpenAI-compatible base URL of the parsing model; needed when a model is set.", examples: ["https://api.openai.com/v1"] }),
    apiKey: z.string().optional().describe("API key of the parsing endpoint."),
    transcriptionModel: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: "The /audio/transcriptions model at the same endpoint; unset: a local recogniser if installed.",
        examples: ["whisper-1"],
      }),
    maxConcurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe("Model calls (vision, transcription, OCR jobs) running at the same time, across all requests."),
    maxRetries: z.number().int().min(0).max(10).default(3).describe("Retries of a failed model request before giving up."),
    timeoutMs: z.number().int().positive().default(120_000).describe("Time limit of one model request, in milliseconds."),
    retryBaseDelayMs: z.number().int().min(0).default(1000).describe("First backoff delay of a retry, in milliseconds; doubles each time."),
    fileUriMaxBytes: z.number().int().positive().default(50 * MiB).describe("Cap on file:// payloads, in bytes."),
    fileUriAllowDirs: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "file:// payloads must lie inside one of these folders; empty: anywhere (the server: nowhere, once it has API keys or listens beyond loopback). Never inside `root`.",
      ),
    allowFileUris: z.boolean().default(true).describe("Accept file:// URIs as content at all."),
    maxBytes: z.number().int().positive().default(50 * MiB).describe("Cap on base64 and http(s) payloads, in bytes."),
    maxRequestBytes: z
      .number()
      .int()
      .positive()
      .default(200 * MiB)
      .describe(
        "Cap on the bytes all content items of one request (or one add call) hold together once loaded; a request over it is refused with FILE_TOO_LARGE.",
      ),
    fetchTimeoutMs: z.number().int().positive().default(30_000).describe("Time limit for fetching an http(s) URL, in milliseconds."),
    allowPrivateHosts: z
      .boolean()
      .default(false)
      .describe("Lets http(s) URLs reach loopback and private addresses (tests, trusted networks)."),
    ocr: z.boolean().default(true).describe("Local OCR (tesseract.js) for images and scanned pages when no vision model is set."),
    maxImagePixels: z.number().int().positive().default(60_000_000).describe("Pixels an image may decode to (a guard against decompression bombs)."),
    maxPdfPages: z.number().int().positive().default(200).describe("PDF pages parsed at most."),
    maxAudioSeconds: z.number().positive().default(3600).describe("Longest audio transcribed, in seconds."),
    maxHtmlBytes: z.number().int().positive().default(10 * MiB).describe("Largest HTML page parsed, in bytes."),
    maxEmailAttachments: z.number().int().min(0).default(20).describe("Attachments of one email parsed at most."),
    maxAttachmentBytes: z.number().int().positive().default(25 * MiB).describe("Largest email attachment parsed, in bytes."),
    officeTimeoutMs: z.number().int().positive().default(120_000).describe("Time limit of one LibreOffice conversion (office documents), in milliseconds."),
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
    host: z.string().min(1).default("127.0.0.1").describe("Address the server listens on."),
    port: z.number().int().min(0).max(65_535).default(8000).describe("Port the server listens on."),
    apiKeys: z
      .array(apiKeySchema)
      .default([])
      .meta({
        description:
          "Keys callers must present, each optionally confined to an app_id/project_id; empty: no authentication, allowed only on a loopback address (or with insecure).",
        examples: [[{ key: "replace-with-a-long-random-key", app_id: "default" }]],
      }),
    bodyLimitBytes: z
      .number()
      .int()
      .positive()
      .default(80 * MiB)
      .describe("Largest request body, in bytes; a 50 MiB payload (multimodal.max_bytes) is about 67 MiB as base64."),
    insecure: z.boolean().default(false).describe("Lets the server listen beyond loopback without API keys."),
    shutdownTimeoutMs: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe("In-flight requests get this long to finish on SIGTERM/SIGINT before their connections are cut, in milliseconds."),
    requestTimeoutMs: z
      .number()
      .int()
      .min(1000)
      .default(300_000)
      .describe(
        "Longest a request may take, body upload included, in milliseconds; past it the server answers 503 REQUEST_TIMEOUT and frees the connection (work under way, such as an add, may still complete).",
      ),
  })
  .strict();

/** `[store]`: where memories live. The embedded backend needs nothing else; postgres needs a URL. */
export const storeConfigSchema = z
  .object({
    backend: z
      .enum(["embedded", "postgres"])
      .default("embedded")
      .describe(
        "Where memories live: embedded (markdown under root, SQLite and LanceDB beside it; one process per root) or postgres (one PostgreSQL database with pgvector, shared by any number of servers).",
      ),
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "a PostgreSQL URL starts with postgres:// or postgresql://")
      .optional()
      .meta({
        description: "The PostgreSQL database for backend = postgres (a managed service's connection URL works as it is).",
        examples: ["postgres://omnimem:secret@db.internal:5432/omnimem"],
      }),
    vectors: z
      .boolean()
      .default(true)
      .describe(
        "Whether the PostgreSQL backend keeps embeddings in pgvector: true refuses a database without the vector extension (CAPABILITY_UNAVAILABLE); false serves keyword search only there (vector search answers CAPABILITY_UNAVAILABLE, hybrid ranks by keyword).",
      ),
    poolSize: z.number().int().min(1).max(1000).default(10).describe("Connections each process keeps open to PostgreSQL (backend = postgres)."),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "lower-case letters, digits and _")
      .default("public")
      .meta({
        description: "The PostgreSQL schema omnimem's tables live in (created when missing): one database can hold several deployments.",
        examples: ["omnimem"],
      }),
  })
  .strict()
  .refine((store) => store.backend !== "postgres" || store.url !== undefined, {
    message: "backend = postgres needs url (OMNIMEM_STORE__URL)",
    path: ["url"],
  });

export const memoryConfigSchema = z
  .object({
    root: z.string().min(1).default(join(homedir(), ".omnimem")).describe("Data folder: memories, indexes and caches."),
    appId: segmentId.default("default").describe("App that memories belong to when a call names none."),
    projectId: segmentId.default("default").describe("Project that memories belong to when a call names none."),
    llm: llmConfigSchema
      .optional()
      .describe("The extraction LLM (boundaries, extraction, reconciliation, agentic search); unset: local mode."),
    boundary: boundaryConfigSchema.default(boundaryConfigSchema.parse({})).describe("When a conversation buffer becomes an episode."),
    extraction: z
      .object({
        customInstructions: z
          .string()
          .min(1)
          .optional()
          .meta({
            description: "Extra instructions added to the extraction prompt.",
            examples: ["Keep decisions and preferences; skip small talk."],
          }),
      })
      .strict()
      .default({})
      .describe("How facts are extracted from episodes."),
    multimodal: multimodalConfigSchema
      .default(multimodalConfigSchema.parse({}))
      .describe("The parsing model and the limits on what content may be fetched and parsed."),
    embedding: embeddingConfigSchema.optional().describe("An OpenAI-compatible embedding endpoint; unset: the local embedder, offline."),
    localEmbedding: z
      .object({
        embedder: z
          .enum(["word-vectors", "hashed"])
          .optional()
          .meta({
            description:
              "word-vectors: offline meaning (GloVe word vectors, SIF-weighted; finds paraphrases); hashed: words and character " +
              "trigrams (spelling only). Unset: the one the root's index was built with, word-vectors for a new root. A root " +
              "moves to another with `omnimem reindex --embedder NAME`.",
            examples: ["word-vectors"],
          }),
        dimensions: z.number().int().min(16).max(4096).default(256).describe("Vector size of the hashed embedder (word vectors have 128)."),
        cacheDir: z
          .string()
          .min(1)
          .optional()
          .meta({
            description: "Folder of the prepared word vectors (made once per package version, shared by all roots); unset: $XDG_CACHE_HOME/omnimem or ~/.cache/omnimem.",
            examples: ["/var/cache/omnimem"],
          }),
      })
      .strict()
      .default({ dimensions: 256 })
      .describe("The local embedder, used when no embedding endpoint is set."),
    search: z
      .object({
        defaultMethod: z
          .enum(["keyword", "vector", "hybrid", "agentic"])
          .default("hybrid")
          .describe("Search method when a call names none: keyword, vector, hybrid or agentic."),
        defaultLimit: z.number().int().min(1).max(1000).default(10).describe("Results returned when a call names no limit."),
        rrfK: z.number().int().min(1).default(60).describe("The k of reciprocal rank fusion in hybrid search; larger flattens the ranks."),
        vectorWeight: z
          .number()
          .min(0)
          .max(10)
          .optional()
          .meta({
            description:
              "Weight of the vector ranking in hybrid fusion (the keyword ranking weighs 1). Unset: 1 with an embedding model, " +
              "0.25 with the hashed local embedder, whose vectors mostly repeat the keyword signal, 0.5 with the word-vector embedder " +
                "(bench/reports/retrieval.md).",
            examples: [0.25],
          }),
        fusion: z
          .enum(["rrf", "score"])
          .optional()
          .meta({
            description:
              "How hybrid fuses keyword and vector rankings: rrf (reciprocal rank, k = rrf_k) or score (weighted normalised " +
              "scores). Unset: score with the word-vector embedder, rrf otherwise (bench/reports/retrieval.md).",
            examples: ["score"],
          }),
        timeWeight: z
          .number()
          .min(0)
          .max(10)
          .default(1)
          .describe(
            "Weight in hybrid fusion of the rankings restricted to the dates a query names ('last week', 'in May', resolved " +
              "against the search's `now`); 0 turns time-aware search off.",
          ),
        annMinRows: z
          .number()
          .int()
          .min(256)
          .default(50_000)
          .describe(
            "Past this many indexed memories an ANN (HNSW) vector index is built, once one owner has 5,000 or more " +
              "(a smaller owner is scanned exactly, and the graph would go unused).",
          ),
        annEf: z
          .number()
          .int()
          .min(10)
          .max(10_000)
          .default(100)
          .describe(
            "HNSW search breadth once the ANN index exists: higher finds more of the exact nearest neighbours and is slower. " +
              "One owner with 100k memories, bag-of-words vectors: ef 100 / 200 / 400 kept 54% / 67% / 79% of the exact top 10 " +
              "at 2.7 / 3.0 / 3.7 ms per LanceDB query (bench/reports/search-latency.md).",
          ),
      })
      .strict()
      .default({ defaultMethod: "hybrid", defaultLimit: 10, rrfK: 60, timeWeight: 1, annMinRows: 50_000, annEf: 100 })
      .describe("Search defaults."),
    store: storeConfigSchema.default({ backend: "embedded", vectors: true, poolSize: 10, schema: "public" }).describe("Where memories live: the embedded backend (default) or PostgreSQL."),
    server: serverConfigSchema.default(serverConfigSchema.parse({})).describe("omnimem serve: where it listens, who may call it, and how big a request may be."),
    logLevel: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("warn")
      .describe("Least severe log level written: fatal, error, warn, info, debug, trace or silent."),
  })
  .strict();

export type MemoryConfigInput = z.input<typeof memoryConfigSchema>;
export type MemoryConfig = z.output<typeof memoryConfigSchema>;
export type EmbeddingConfig = z.output<typeof embeddingConfigSchema>;
export type LlmConfig = z.output<typeof llmConfigSchema>;
export type MultimodalConfig = z.output<typeof multimodalConfigSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema>;
export type StoreConfig = z.output<typeof storeConfigSchema>;
export type ApiKeyConfig = z.output<typeof apiKeySchema>;
