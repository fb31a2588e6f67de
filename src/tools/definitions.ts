/**
 * The memory tools an agent gets, defined once: name, a description a model can act on, a zod
 * input schema, and what the call does against a `MemoryPort`. The MCP server (src/mcp) and
 * the AI SDK tools (src/ai) are two thin adapters over this list.
 *
 * No tool takes an owner, app or project: whose memory it is was fixed when the tools were set
 * up (`ToolOwner`), and a model cannot widen it, not even through search filters.
 */
import { z } from "zod";
import type { InputMessage } from "../ingest/messages.js";
import type { OwnerOptions } from "../memory.js";
import { NotFoundError, ValidationError } from "../spec/errors.js";
import type { ContentItem } from "../spec/http.js";
import type { SearchFilter } from "../spec/types.js";
import { attachmentItem, attachmentSchema } from "./attachments.js";
import type { MemoryPort, MemoryView, PortAddResult, ToolOwner } from "./memory-port.js";

export interface ToolContext {
  memory: MemoryPort;
  owner: ToolOwner;
  /** Where relative attachment paths resolve. */
  cwd: string;
}

export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface MemoryToolDefinition<Schema extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  inputSchema: Schema;
  annotations: ToolAnnotations;
  run(input: z.output<Schema>, context: ToolContext): Promise<Record<string, unknown>>;
}

export const DEFAULT_SESSION_ID = "default";
const MAX_ATTACHMENTS = 20;
/** Filter keys that name an owner or a scope: the tools' owner is fixed, so a filter may not name another. */
const OWNER_KEYS = new Set(["user_id", "userId", "app_id", "appId", "project_id", "projectId"]);

const memoryId = z.string().min(1).max(64).describe("The memory's id, as returned by add_memory, search_memory or list_memories");
const metadataSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .describe('Flat key/value labels stored with the memory, e.g. {"topic": "travel"}; searchable with filters');
const filtersSchema = z
  .record(z.string(), z.unknown())
  .describe(
    'Narrow the results. Fields: session_id, run_id, agent_id, sender_id, role, kind ("episode" | "fact"), timestamp, created_at, updated_at, ' +
      'and metadata keys. A value matches exactly, or use operators {"eq","ne","gt","gte","lt","lte","in"}; dates as ISO-8601. ' +
      'Combine with {"AND": [...]} or {"OR": [...]}. Example: {"AND": [{"topic": "travel"}, {"created_at": {"gte": "2025-01-01"}}]}',
  );

const addMemoryInput = z
  .object({
    text: z.string().max(100_000).optional().describe("What to remember, as a short self-contained statement (e.g. \"Alice is allergic to peanuts\")"),
    attachments: z.array(attachmentSchema).max(MAX_ATTACHMENTS).optional().describe("Files whose content belongs to this memory"),
    role: z.enum(["user", "assistant"]).optional().describe('Who said it: "user" (default) or "assistant"'),
    metadata: metadataSchema.optional(),
    wait_for_more: z
      .boolean()
      .optional()
      .describe("true: keep this turn in the session buffer and store it together with later turns (on flush_session or when the session goes idle); default false: store it now"),
  })
  .strict();

const addMemory: MemoryToolDefinition<typeof addMemoryInput> = {
  name: "add_memory",
  title: "Remember something",
  description:
    "Store something worth remembering about the user or the conversation: a fact, a preference, an event, a decision. " +
    "Give the text in your own words, and attach files (images, screenshots, PDFs, audio, office documents, web pages, emails) " +
    "by path, URL or base64: their content is read into text (OCR, transcription, parsing) and stored with it. " +
    "Returns the stored memories with their ids, and how each attachment was read.",
  inputSchema: addMemoryInput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(input, { memory, owner, cwd }) {
    const content: ContentItem[] = [];
    if (input.text !== undefined && input.text.trim() !== "") content.push({ type: "text", text: input.text });
    for (const attachment of input.attachments ?? []) content.push(attachmentItem(attachment, cwd));
    if (content.length === 0) throw new ValidationError("add_memory needs text or at least one attachment", { details: { path: "text" } });
    const message: InputMessage = { role: input.role ?? "user", content };
    const result = await memory.add([message], {
      ...ownerOf(owner),
      sessionId: owner.sessionId ?? DEFAULT_SESSION_ID,
      ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
      flush: input.wait_for_more !== true,
    });
    return addOutput(result);
  },
};

const searchMemoryInput = z
  .object({
    query: z.string().min(1).max(10_000).describe("What to look for, in natural language or keywords"),
    method: z
      .enum(["hybrid", "keyword", "vector", "agentic"])
      .optional()
      .describe("hybrid (default): keywords and meaning combined; keyword: exact words; vector: meaning; agentic: model-guided, slower"),
    limit: z.number().int().min(1).max(100).optional().describe("How many results at most (default 10)"),
    filters: filtersSchema.optional(),
    min_score: z.number().min(0).optional().describe("Leave out results scoring below this (0..1 for hybrid)"),
  })
  .strict();
const searchMemory: MemoryToolDefinition<typeof searchMemoryInput> = {
  name: "search_memory",
  title: "Search memories",
  description:
    "Find stored memories relevant to a question or topic, best first. Use it before answering anything that may depend on " +
    "what the user told you earlier (preferences, names, plans, past events, the content of files they shared).",
  inputSchema: searchMemoryInput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(input, { memory, owner }) {
    const filters = checkedFilters(input.filters);
    const { results } = await memory.search(input.query, {
      ...ownerOf(owner),
      ...(input.method === undefined ? {} : { method: input.method }),
      ...(input.limit === undefined ? {} : { limit: input.limit }),
      ...(filters === undefined ? {} : { filters }),
      ...(input.min_score === undefined ? {} : { threshold: input.min_score }),
    });
    return { results: results.map(view) };
  },
};

const listMemoriesInput = z
  .object({
    kind: z.enum(["episode", "fact"]).optional().describe("Only episodes (whole exchanges) or only facts; default both"),
    limit: z.number().int().min(1).max(100).optional().describe("Page size (default 20)"),
    cursor: z.string().max(1000).optional().describe("next_cursor from the previous page"),
    filters: filtersSchema.optional(),
  })
  .strict();
const listMemories: MemoryToolDefinition<typeof listMemoriesInput> = {
  name: "list_memories",
  title: "List memories",
  description: "List stored memories page by page (without a query). Use search_memory to find something specific.",
  inputSchema: listMemoriesInput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(input, { memory, owner }) {
    const filters = combine(checkedFilters(input.filters), input.kind === undefined ? undefined : { kind: input.kind });
    const page = await memory.getAll({
      ...ownerOf(owner),
      limit: input.limit ?? 20,
      ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
      ...(filters === undefined ? {} : { filters }),
    });
    return page.nextCursor === undefined ? { memories: page.results.map(view) } : { memories: page.results.map(view), next_cursor: page.nextCursor };
  },
};

const idInput = z.object({ id: memoryId }).strict();

const getMemory: MemoryToolDefinition<typeof idInput> = {
  name: "get_memory",
  title: "Read one memory",
  description: "Read one memory in full by its id.",
  inputSchema: idInput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(input, { memory, owner }) {
    return { memory: view(await existing(memory, input.id, owner)) };
  },
};

const updateMemoryInput = z
  .object({
    id: memoryId,
    text: z.string().min(1).max(100_000).optional().describe("The corrected text, replacing the old one"),
    metadata: metadataSchema.optional().describe("Replaces the memory's metadata"),
  })
  .strict();
const updateMemory: MemoryToolDefinition<typeof updateMemoryInput> = {
  name: "update_memory",
  title: "Correct a memory",
  description:
    "Replace the text (and/or metadata) of a memory that is wrong or out of date, e.g. when the user says something changed. " +
    "The old text stays in memory_history.",
  inputSchema: updateMemoryInput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(input, { memory, owner }) {
    if (input.text === undefined && input.metadata === undefined) {
      throw new ValidationError("update_memory needs text or metadata to change", { details: { path: "text" } });
    }
    const ownerOptions = ownerOf(owner);
    await memory.update(input.id, { ...(input.text === undefined ? {} : { text: input.text }), ...(input.metadata === undefined ? {} : { metadata: input.metadata }) }, ownerOptions);
    return { memory: view(await existing(memory, input.id, owner)) };
  },
};

const deleteMemory: MemoryToolDefinition<typeof idInput> = {
  name: "delete_memory",
  title: "Forget a memory",
  description: "Delete one memory by id, e.g. when the user asks you to forget something. Its history is kept.",
  inputSchema: idInput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(input, { memory, owner }) {
    await memory.delete(input.id, ownerOf(owner));
    return { deleted: input.id };
  },
};

const memoryHistory: MemoryToolDefinition<typeof idInput> = {
  name: "memory_history",
  title: "A memory's history",
  description: "Every change of one memory, oldest first: when it was added, each update with the previous and new text, and its deletion.",
  inputSchema: idInput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(input, { memory, owner }) {
    const history = await memory.history(input.id, ownerOf(owner));
    if (history.length === 0) throw notFound(input.id);
    return {
      id: input.id,
      history: history.map((entry) => ({
        action: entry.action,
        previous_value: entry.previous_value,
        new_value: entry.new_value,
        at: entry.updated_at ?? entry.created_at,
      })),
    };
  },
};

const flushSessionInput = z.object({}).strict();
const flushSession: MemoryToolDefinition<typeof flushSessionInput> = {
  name: "flush_session",
  title: "Store the buffered turns",
  description:
    "Turn what add_memory buffered with wait_for_more=true into memories now (as one episode, with facts extracted when a model is configured). " +
    "Call it at the end of a conversation or topic.",
  inputSchema: flushSessionInput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(_input, { memory, owner }) {
    const result = await memory.flush({ ...ownerOf(owner), sessionId: owner.sessionId ?? DEFAULT_SESSION_ID });
    return addOutput(result);
  },
};

/** Every tool, in the order a model should meet them. */
export const MEMORY_TOOLS: readonly MemoryToolDefinition[] = [
  addMemory,
  searchMemory,
  listMemories,
  getMemory,
  updateMemory,
  deleteMemory,
  memoryHistory,
  flushSession,
] as readonly MemoryToolDefinition[];

export type MemoryToolName = "add_memory" | "search_memory" | "list_memories" | "get_memory" | "update_memory" | "delete_memory" | "memory_history" | "flush_session";

/** Validates the input against the tool's schema (INVALID_INPUT naming the field) and runs it. */
export async function runMemoryTool(definition: MemoryToolDefinition, input: unknown, context: ToolContext): Promise<Record<string, unknown>> {
  const parsed = definition.inputSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join(".");
    throw new ValidationError(path === "" ? issue.message : `${path}: ${issue.message}`, { details: { path } });
  }
  return definition.run(parsed.data, context);
}

/** The owner fields only (the session is not an owner). */
export function ownerOf(owner: ToolOwner): OwnerOptions {
  const options: OwnerOptions = {};
  if (owner.userId !== undefined) options.userId = owner.userId;
  if (owner.agentId !== undefined) options.agentId = owner.agentId;
  if (owner.runId !== undefined) options.runId = owner.runId;
  if (owner.appId !== undefined) options.appId = owner.appId;
  if (owner.projectId !== undefined) options.projectId = owner.projectId;
  return options;
}

/** INVALID_INPUT unless the owner names a user or an agent: tools without an owner would have no memory to act on. */
export function checkToolOwner(owner: ToolOwner): void {
  if (owner.userId === undefined && owner.agentId === undefined) {
    throw new ValidationError("the memory tools need an owner: a userId or an agentId (for `omnimem mcp`: --user or --agent)", {
      details: { path: "userId" },
    });
  }
}

function view(item: MemoryView): Record<string, unknown> {
  const shown: Record<string, unknown> = { id: item.id, memory: item.memory, kind: item.kind };
  if (item.score !== undefined) shown.score = Math.round(item.score * 1000) / 1000;
  if (item.subject !== undefined) shown.subject = item.subject;
  shown.timestamp = item.timestamp;
  shown.created_at = item.createdAt;
  shown.updated_at = item.updatedAt;
  if (item.sessionId !== undefined) shown.session_id = item.sessionId;
  if (item.agentId !== undefined) shown.agent_id = item.agentId;
  if (item.runId !== undefined) shown.run_id = item.runId;
  if (Object.keys(item.metadata ?? {}).length > 0) shown.metadata = item.metadata;
  return shown;
}

function addOutput(result: PortAddResult): Record<string, unknown> {
  return {
    status: result.episodes.length > 0 || result.results.length > 0 ? "stored" : "buffered",
    memories: result.results.map((event) => ({ id: event.id, memory: event.memory, kind: event.kind, event: event.event })),
    attachments: result.parts.map((part) => ({
      type: part.type,
      format: part.format,
      parse_status: part.parseStatus,
      parser: part.parser,
      chars: part.chars,
      ...(part.error === undefined ? {} : { error: part.error }),
    })),
  };
}

async function existing(memory: MemoryPort, id: string, owner: ToolOwner): Promise<MemoryView> {
  const item = await memory.get(id, ownerOf(owner));
  if (item === null) throw notFound(id);
  return item;
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`memory ${id} not found`, { details: { id } });
}

/** Filters as given, refused when any level names an owner or scope (those are fixed by the server). */
function checkedFilters(filters: Record<string, unknown> | undefined): SearchFilter | undefined {
  if (filters === undefined) return undefined;
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((item, index) => visit(item, `${path}[${index}]`));
    else if (value !== null && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (OWNER_KEYS.has(key)) {
          throw new ValidationError(`filters cannot name ${key}: whose memories these are is fixed by the server`, { details: { path: `filters${path}.${key}` } });
        }
        if (key === "AND" || key === "OR") visit(inner, `${path}.${key}`);
      }
    }
  };
  visit(filters, "");
  return filters as SearchFilter;
}

function combine(a: SearchFilter | undefined, b: SearchFilter | undefined): SearchFilter | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { AND: [a, b] };
}
