/**
 * `MemoryPort` over the HTTP client: the agent tools and the AI SDK middleware work against an
 * omnimem server the same way they work in-process. Wire shapes (EverOS's snake_case) are
 * mapped back to the library's; errors arrive as the library's own classes (the client maps
 * the server's codes).
 */
import { randomUUID } from "node:crypto";
import { OmnimemClient as OmnimemClientClass, type OmnimemClient } from "../client/client.js";
import type { InputMessage } from "../ingest/messages.js";
import type { AddOptions, GetAllOptions, OwnerOptions, SearchOptions } from "../memory.js";
import { NotFoundError, ValidationError } from "../spec/errors.js";
import type { AddResponse, ContentItem, EpisodeWire, MemoryEventWire, MemoryWire, MessageItem, OwnerFields, ScopeFields } from "../spec/http.js";
import type { HistoryEntry, Metadata, PartType } from "../spec/types.js";
import type { MemoryPort, MemoryView, PortAddResult } from "./memory-port.js";

const PAGE_SIZE_MAX = 100;
const PAYLOAD_TYPES = new Set<string>(["image", "pdf", "audio", "doc", "html", "email"]);

export function httpMemory(client: OmnimemClient): MemoryPort {
  return {
    async add(messages: InputMessage[], options: AddOptions): Promise<PortAddResult> {
      const response = await client.add({
        ...ownerFields(options),
        session_id: options.sessionId ?? `add-${randomUUID()}`,
        messages: messages.map(toWireMessage),
        sync: options.flush !== false,
        ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
      });
      return addResult(response.memories ?? [], response.parts, response.status);
    },

    async search(query: string, options: SearchOptions) {
      const { filters } = options;
      const response = await client.search({
        ...ownerFields(options),
        query,
        ...(options.method === undefined ? {} : { method: options.method }),
        ...(options.limit === undefined ? {} : { top_k: options.limit }),
        ...(filters === undefined ? {} : { filters }),
        ...(options.threshold === undefined ? {} : { min_score: options.threshold }),
      });
      const results = [...response.episodes, ...response.facts].map(view);
      results.sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
      return { results };
    },

    async getAll(options: GetAllOptions) {
      const pageSize = Math.min(options.limit ?? PAGE_SIZE_MAX, PAGE_SIZE_MAX);
      const page = options.cursor === undefined ? 1 : Number(options.cursor);
      if (!Number.isInteger(page) || page < 1) throw new ValidationError("cursor is not one this client returned", { details: { path: "cursor" } });
      const { filters } = options;
      const response = await client.get({ ...ownerFields(options), page, page_size: pageSize, ...(filters === undefined ? {} : { filters }) });
      const results = [...response.episodes, ...response.facts].map(view);
      return page * pageSize < response.total_count ? { results, nextCursor: String(page + 1) } : { results };
    },

    async get(id: string, owner: OwnerOptions) {
      try {
        const response = await client.get({ ...ownerFields(owner), memory_id: id });
        const found = [...response.episodes, ...response.facts][0];
        return found === undefined ? null : view(found);
      } catch (error) {
        // 404 is the server's answer for an unknown id and for another owner's alike.
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    },

    update(id: string, data: { text?: string; metadata?: Metadata }, owner: OwnerOptions) {
      return client.update({ ...ownerFields(owner), memory_id: id, ...data });
    },

    delete(id: string, owner: OwnerOptions) {
      return client.delete({ ...ownerFields(owner), memory_id: id });
    },

    async history(id: string, owner: OwnerOptions): Promise<HistoryEntry[]> {
      return (await client.history({ ...ownerFields(owner), memory_id: id })).history;
    },

    async flush(options: OwnerOptions & { sessionId: string }) {
      const response = await client.flush({ ...ownerFields(options), session_id: options.sessionId });
      return addResult(response.memories, [], response.status);
    },
  };
}

function ownerFields(owner: OwnerOptions): OwnerFields & ScopeFields {
  const fields: OwnerFields & ScopeFields = {};
  if (owner.userId !== undefined) fields.user_id = owner.userId;
  if (owner.agentId !== undefined) fields.agent_id = owner.agentId;
  if (owner.runId !== undefined) fields.run_id = owner.runId;
  if (owner.appId !== undefined) fields.app_id = owner.appId;
  if (owner.projectId !== undefined) fields.project_id = owner.projectId;
  return fields;
}

function addResult(memories: MemoryEventWire[], parts: AddResponse["parts"], status: string): PortAddResult {
  return {
    results: memories.map((event) => ({ id: event.id, memory: event.memory, event: event.event, kind: event.kind })),
    parts: parts.map((part) => ({
      type: part.type,
      format: part.format,
      parseStatus: part.parse_status,
      parser: part.parser,
      chars: part.chars,
      ...(part.error === undefined ? {} : { error: part.error }),
    })),
    episodes: status === "extracted" ? memories.filter((event) => event.kind === "episode" && event.event === "ADD").map((event) => event.id) : [],
  };
}

function view(item: MemoryWire): MemoryView {
  const episode = item.kind === "episode" ? (item as EpisodeWire) : undefined;
  const shown: MemoryView = {
    id: item.id,
    memory: episode === undefined ? (item as { content: string }).content : episode.episode,
    kind: item.kind,
    createdAt: item.created_at,
    updatedAt: item.updated_at,
    timestamp: item.timestamp,
    metadata: item.metadata,
  };
  if (item.user_id !== null) shown.userId = item.user_id;
  if (item.agent_id !== null) shown.agentId = item.agent_id;
  if (item.session_id !== null) shown.sessionId = item.session_id;
  if (item.score !== undefined) shown.score = item.score;
  if (episode !== undefined && episode.subject !== "") shown.subject = episode.subject;
  if (episode !== undefined && episode.summary !== "") shown.summary = episode.summary;
  if (item.kind === "fact") {
    const from = (item as { episode_id: string | null }).episode_id;
    shown.sources = from === null ? [] : [from];
  }
  return shown;
}

/** The message shapes the tools and the middleware produce, as the HTTP API's messages. */
function toWireMessage(message: InputMessage, index: number): Omit<MessageItem, "timestamp"> {
  const role = message.role ?? "user";
  if (role !== "user" && role !== "assistant" && role !== "tool" && role !== "system") {
    throw new ValidationError(`messages[${index}].role must be user, assistant, tool or system`, { details: { path: `messages[${index}].role` } });
  }
  const wire: Omit<MessageItem, "timestamp"> = { role, content: toWireContent(message.content, `messages[${index}].content`) };
  const sender = message.sender_id ?? message.senderId;
  if (sender !== undefined) wire.sender_id = sender;
  return wire;
}

function toWireContent(content: unknown, path: string): string | ContentItem[] {
  if (typeof content === "string") return content;
  const items = Array.isArray(content) ? content : [content];
  return items.map((item, index) => toWireItem(item, `${path}[${index}]`));
}

function toWireItem(item: unknown, path: string): ContentItem {
  const value = item as Record<string, unknown> | null;
  if (value === null || typeof value !== "object") throw new ValidationError(`${path} must be a content object`, { details: { path } });
  if (value.type === "text" && typeof value.text === "string") return { type: "text", text: value.text };
  if (value.type === "file") {
    // AI SDK file parts (the middleware's): bytes or base64 go inline, URLs by reference.
    const data = value.data;
    const name = typeof value.filename === "string" ? value.filename : undefined;
    const mediaType = typeof value.mediaType === "string" ? value.mediaType : undefined;
    const type = modalityOf(mediaType);
    const wire: ContentItem =
      data instanceof Uint8Array
        ? { type, base64: Buffer.from(data).toString("base64") }
        : data instanceof URL
          ? { type, uri: data.href }
          : typeof data === "string"
            ? /^(https?|file|data):/i.test(data)
              ? { type, uri: data }
              : { type, base64: data }
            : (() => {
                throw new ValidationError(`${path}.data must be bytes, a URL or base64`, { details: { path: `${path}.data` } });
              })();
    const ext = mediaType?.split("/")[1]?.split(/[;+]/)[0];
    if (name !== undefined) wire.name = name;
    if (ext !== undefined && ext !== "") wire.ext = ext === "jpeg" ? "jpg" : ext === "mpeg" ? "mp3" : ext;
    return wire;
  }
  if (typeof value.type === "string" && PAYLOAD_TYPES.has(value.type)) {
    const wire: ContentItem = { type: value.type as PartType };
    for (const field of ["uri", "base64", "ext", "name"] as const) {
      if (typeof value[field] === "string") wire[field] = value[field] as string;
    }
    return wire;
  }
  throw new ValidationError(`${path}: this content shape cannot be sent to the HTTP API`, { details: { path } });
}

function modalityOf(mediaType: string | undefined): PartType {
  const essence = mediaType?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (essence === "application/pdf") return "pdf";
  if (essence === "text/html") return "html";
  if (essence === "message/rfc822") return "email";
  const top = essence.split("/")[0];
  return top === "image" || top === "audio" ? top : "doc";
}

/** A Memory (or any MemoryPort) as it is; an HTTP client through `httpMemory`. */
export function memoryPortOf(memory: MemoryPort | OmnimemClient): MemoryPort {
  return memory instanceof OmnimemClientClass ? httpMemory(memory) : memory;
}
