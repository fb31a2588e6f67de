/**
 * The zod schemas of the HTTP API: request bodies (validated on every call) and response
 * data (used only to write /openapi.json). Field names and limits follow EverOS's API.
 */
import { z } from "zod";
import type {
  AddRequest,
  DeleteRequest,
  FlushRequest,
  GetRequest,
  HistoryRequest,
  OwnersRequest,
  SearchRequest,
  UpdateRequest,
} from "../spec/http.js";
import { ERROR_CODES } from "../spec/errors.js";
import { MAX_TIMESTAMP_MS } from "../spec/types.js";

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const SEGMENT_MESSAGE = "1-128 letters, digits and . _ @ + -, starting with a letter or digit";

const segmentId = z.string().regex(SEGMENT, SEGMENT_MESSAGE);
const memoryId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "not a memory id");

const scopeFields = {
  app_id: segmentId.optional().describe('The app; default "default".'),
  project_id: segmentId.optional().describe('The project; default "default".'),
};

const ownerFields = {
  user_id: segmentId.optional().describe("The user whose memories these are."),
  agent_id: segmentId.optional().describe("The agent whose memories these are (when no user is named)."),
  run_id: segmentId
    .optional()
    .describe("A run (one conversation or task) of the owner: add stores it, every other call reaches only that run's memories."),
};

const metadataSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .describe("Flat key/value pairs kept with each memory and usable in filters.");

const filtersSchema = z
  .record(z.string(), z.unknown())
  .describe(
    "Filter DSL: field conditions (session_id, sender_id, run_id, role, kind, timestamp, created_at, updated_at, metadata keys) " +
      "with eq ne gt gte lt lte in, combined with nested AND / OR.",
  );

// Every request object is strict: an unknown field (a typo, a field of another API) is a 422
// that names it, not silently ignored.
export const contentItemSchema = z
  .strictObject({
    type: z.enum(["text", "image", "pdf", "audio", "doc", "html", "email"]),
    text: z.string().nullish(),
    uri: z.string().nullish().describe("http(s):// (fetched by the server) or file:// (read from the server's disk, guarded)."),
    base64: z.string().nullish().describe("Plain base64, no data: prefix."),
    ext: z.string().max(16).nullish().describe("File-extension hint (pdf, png, ...), needed for base64 whose bytes do not tell."),
    name: z.string().max(512).nullish(),
    extras: z.record(z.string(), z.unknown()).nullish(),
  })
  .describe("Exactly one of text / uri / base64 carries the payload.");

export const messageItemSchema = z.strictObject({
  sender_id: z.string().min(1).max(256).optional(),
  sender_name: z.string().max(256).nullish(),
  role: z.enum(["user", "assistant", "tool", "system"]),
  timestamp: z.number().int().positive().max(MAX_TIMESTAMP_MS).describe("Epoch milliseconds, up to the end of year 9999."),
  content: z.union([z.string(), z.array(contentItemSchema).min(1)]),
  tool_calls: z.array(z.unknown()).nullish(),
  tool_call_id: z.string().nullish(),
});

export const addRequestSchema = z.strictObject({
  session_id: segmentId,
  ...ownerFields,
  ...scopeFields,
  messages: z.array(messageItemSchema).min(1).max(500),
  sync: z.boolean().optional().describe("true: extract what is buffered before answering; default false: buffer."),
  metadata: metadataSchema.optional(),
});

export const flushRequestSchema = z.strictObject({ session_id: segmentId, ...ownerFields, ...scopeFields });

const ownerRequired = (value: { user_id?: string | undefined; agent_id?: string | undefined }) =>
  value.user_id !== undefined || value.agent_id !== undefined;
const OWNER_REQUIRED = { message: "one of user_id or agent_id is required", path: ["user_id"] };

export const searchRequestSchema = z
  .strictObject({
    ...ownerFields,
    ...scopeFields,
    query: z.string().min(1).max(10_000),
    method: z.enum(["keyword", "vector", "hybrid", "agentic"]).optional(),
    top_k: z
      .number()
      .int()
      .refine((value) => value === -1 || (value >= 1 && value <= 100), "top_k must be -1 or 1..100")
      .optional(),
    min_score: z.number().min(0).max(1).nullish(),
    filters: filtersSchema.nullish(),
    session_id: segmentId.optional(),
    now: z
      .union([z.number().int().positive(), z.iso.datetime({ offset: true }), z.iso.date()])
      .optional()
      .describe("When the question is asked (epoch ms or ISO 8601): 'last week' in the query is resolved against it. Default: now."),
  })
  .refine(ownerRequired, OWNER_REQUIRED);

export const getRequestSchema = z
  .strictObject({
    ...ownerFields,
    ...scopeFields,
    memory_type: z.enum(["episode", "fact"]).optional(),
    // Bounded so that (page - 1) * page_size stays an exact integer.
    page: z.number().int().min(1).max(1_000_000_000).optional(),
    page_size: z.number().int().min(1).max(100).optional(),
    sort_by: z.enum(["timestamp", "created_at", "updated_at"]).optional(),
    sort_order: z.enum(["asc", "desc"]).optional(),
    filters: filtersSchema.nullish(),
    memory_id: memoryId.optional().describe("Read this one memory (only the named owner's, when one is named); 404 when there is none the caller may reach."),
  })
  .refine((value) => value.memory_id !== undefined || ownerRequired(value), OWNER_REQUIRED)
  .refine(
    (value) => value.memory_id === undefined || [value.page, value.page_size, value.sort_by, value.sort_order, value.filters].every((field) => field === undefined),
    { message: "memory_id reads one memory: page, page_size, sort_by, sort_order and filters do not apply", path: ["memory_id"] },
  );

/** By-id routes: with user_id / agent_id, only that owner's memory is found (another owner's is 404 as an unknown id). */
const byIdOwnerFields = {
  user_id: segmentId.optional().describe("When given, only this user's memory is found."),
  agent_id: segmentId.optional().describe("When given, only this agent's memory is found (with user_id: the user's memory made with this agent)."),
  run_id: segmentId.optional().describe("When given (with user_id or agent_id), only a memory of this run is found."),
};

export const updateRequestSchema = z
  .strictObject({
    memory_id: memoryId,
    text: z.string().min(1).max(1_000_000).optional(),
    metadata: metadataSchema.optional(),
    ...byIdOwnerFields,
    ...scopeFields,
  })
  .refine((value) => value.text !== undefined || value.metadata !== undefined, {
    message: "one of text or metadata is required",
    path: ["text"],
  });

export const deleteRequestSchema = z
  .strictObject({ memory_id: memoryId.optional(), ...ownerFields, ...scopeFields })
  .refine((value) => value.memory_id !== undefined || ownerRequired(value), {
    message: "give memory_id (one memory, checked against user_id / agent_id when given) or user_id / agent_id (all of an owner's memories)",
    path: ["memory_id"],
  });

export const historyRequestSchema = z.strictObject({ memory_id: memoryId, ...byIdOwnerFields, ...scopeFields });

export const ownersRequestSchema = z.strictObject({
  ...scopeFields,
  page: z.number().int().min(1).max(1_000_000).optional(),
  page_size: z.number().int().min(1).max(100).optional(),
});

// Response data, for the OpenAPI document.

const partReportSchema = z.object({
  message_index: z.number().int(),
  item_index: z.number().int(),
  type: z.string(),
  declared_type: z.string().optional(),
  format: z.string(),
  name: z.string().optional(),
  parse_status: z.enum(["ok", "failed"]),
  parser: z.string(),
  model: z.string().optional(),
  chars: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
  duration_ms: z.number(),
  cached: z.boolean(),
  provenance: z.array(z.record(z.string(), z.unknown())).optional(),
  warnings: z.array(z.string()).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

const memoryEventSchema = z.object({
  id: z.string(),
  kind: z.enum(["episode", "fact"]),
  memory: z.string(),
  event: z.enum(["ADD", "UPDATE", "DELETE", "NONE"]),
  previous_memory: z.string().optional(),
});

const factSchema = z.object({
  id: z.string(),
  kind: z.literal("fact"),
  content: z.string(),
  episode_id: z.string().nullable(),
  user_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  app_id: z.string(),
  project_id: z.string(),
  session_id: z.string().nullable(),
  timestamp: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  metadata: metadataSchema,
  score: z.number().optional(),
});

const sourcePartSchema = z.object({
  type: z.string(),
  format: z.string(),
  name: z.string().optional(),
  parser: z.string(),
  model: z.string().optional(),
  sha256: z.string(),
  bytes: z.number().int(),
});

const episodeSchema = z.object({
  id: z.string(),
  kind: z.literal("episode"),
  user_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  app_id: z.string(),
  project_id: z.string(),
  session_id: z.string().nullable(),
  timestamp: z.string(),
  sender_ids: z.array(z.string()),
  subject: z.string(),
  summary: z.string(),
  episode: z.string(),
  type: z.literal("Conversation"),
  created_at: z.string(),
  updated_at: z.string(),
  metadata: metadataSchema,
  score: z.number().optional(),
  source_parts: z.array(sourcePartSchema).optional(),
  atomic_facts: z.array(factSchema).optional(),
});

const unprocessedSchema = z.object({
  id: z.string(),
  app_id: z.string(),
  project_id: z.string(),
  session_id: z.string(),
  sender_id: z.string().nullable(),
  sender_name: z.string().nullable(),
  role: z.string(),
  content: z.string(),
  timestamp: z.string(),
  tool_calls: z.null(),
  tool_call_id: z.null(),
});

export const responseSchemas = {
  add: z.object({
    message_count: z.number().int(),
    status: z.enum(["accumulated", "extracted", "duplicate", "no_extraction"]),
    reason: z.string().optional(),
    duplicate_count: z.number().int().optional(),
    parts: z.array(partReportSchema),
    memories: z.array(memoryEventSchema).optional(),
  }),
  flush: z.object({ status: z.enum(["extracted", "no_extraction"]), memories: z.array(memoryEventSchema) }),
  search: z.object({ episodes: z.array(episodeSchema), facts: z.array(factSchema), unprocessed_messages: z.array(unprocessedSchema) }),
  get: z.object({ episodes: z.array(episodeSchema), facts: z.array(factSchema), total_count: z.number().int(), count: z.number().int() }),
  update: z.union([episodeSchema, factSchema]),
  delete: z.object({ deleted: z.number().int() }),
  owners: z.object({
    owners: z.array(
      z.object({ user_id: z.string().optional(), agent_id: z.string().optional(), memory_count: z.number().int(), last_timestamp: z.string() }),
    ),
    total_count: z.number().int(),
  }),
  history: z.object({
    memory_id: z.string(),
    history: z.array(
      z.object({
        id: z.string(),
        memory_id: z.string(),
        previous_value: z.string().nullable(),
        new_value: z.string().nullable(),
        action: z.enum(["ADD", "UPDATE", "DELETE"]),
        created_at: z.string(),
        updated_at: z.string().nullable(),
        is_deleted: z.union([z.literal(0), z.literal(1)]),
      }),
    ),
  }),
};

export const errorEnvelopeSchema = z.object({
  request_id: z.string(),
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    timestamp: z.string(),
    path: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

// The request types in spec/http.ts must be accepted by these schemas' input types.
type Accepts<Schema extends z.ZodType, Value extends z.input<Schema>> = Value;
export type RequestTypeChecks = [
  Accepts<typeof addRequestSchema, AddRequest>,
  Accepts<typeof flushRequestSchema, FlushRequest>,
  Accepts<typeof searchRequestSchema, SearchRequest>,
  Accepts<typeof getRequestSchema, GetRequest>,
  Accepts<typeof updateRequestSchema, UpdateRequest>,
  Accepts<typeof deleteRequestSchema, DeleteRequest>,
  Accepts<typeof historyRequestSchema, HistoryRequest>,
  Accepts<typeof ownersRequestSchema, OwnersRequest>,
];
