/** The library's results in the HTTP API's shapes (EverOS's snake_case names). */
import type { MemoryEvent } from "../ingest/formation.js";
import type { PartReport } from "../ingest/part-parser.js";
import type { BufferedTurn } from "../spec/session-buffer.js";
import type {
  AtomicFactWire,
  EpisodeWire,
  MemoryEventWire,
  MemoryWire,
  PartReportWire,
  SourcePartWire,
  UnprocessedMessageWire,
} from "../spec/http.js";
import type { MemoryItem, SearchHit, SourcePart } from "../spec/types.js";

const SUMMARY_CHARS = 200;
const SUBJECT_CHARS = 80;

export function partWire(part: PartReport): PartReportWire {
  const wire: PartReportWire = {
    message_index: part.messageIndex,
    item_index: part.itemIndex,
    type: part.type,
    format: part.format,
    parse_status: part.parseStatus,
    parser: part.parser,
    chars: part.chars,
    bytes: part.bytes,
    sha256: part.sha256,
    duration_ms: part.durationMs,
    cached: part.cached,
  };
  if (part.declaredType !== undefined) wire.declared_type = part.declaredType;
  if (part.name !== undefined) wire.name = part.name;
  if (part.model !== undefined) wire.model = part.model;
  if (part.provenance !== undefined) wire.provenance = part.provenance;
  if (part.warnings !== undefined) wire.warnings = part.warnings;
  if (part.error !== undefined) wire.error = part.error;
  return wire;
}

export function eventWire(event: MemoryEvent): MemoryEventWire {
  const wire: MemoryEventWire = { id: event.id, kind: event.kind, memory: event.memory, event: event.event };
  if (event.previousMemory !== undefined) wire.previous_memory = event.previousMemory;
  return wire;
}

export function episodeWire(item: MemoryItem, score?: number): EpisodeWire {
  const wire: EpisodeWire = {
    id: item.id,
    kind: "episode",
    user_id: item.userId ?? null,
    agent_id: item.agentId ?? null,
    run_id: item.runId ?? null,
    app_id: item.appId,
    project_id: item.projectId,
    session_id: item.sessionId ?? null,
    timestamp: item.timestamp,
    sender_ids: item.senderId === undefined ? [] : [item.senderId],
    // Episodes stored without an LLM (local mode, infer: false) have no subject or summary:
    // list views still get a line to show.
    subject: item.subject ?? clip(firstLine(item.memory), SUBJECT_CHARS),
    summary: item.summary ?? clip(item.memory, SUMMARY_CHARS),
    episode: item.memory,
    type: "Conversation",
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    metadata: item.metadata,
  };
  if (score !== undefined) wire.score = score;
  if (item.sourceParts !== undefined && item.sourceParts.length > 0) wire.source_parts = item.sourceParts.map(sourcePartWire);
  return wire;
}

function sourcePartWire(part: SourcePart): SourcePartWire {
  const wire: SourcePartWire = { type: part.type, format: part.format, parser: part.parser, sha256: part.sha256, bytes: part.bytes };
  if (part.name !== undefined) wire.name = part.name;
  if (part.model !== undefined) wire.model = part.model;
  return wire;
}

export function factWire(item: MemoryItem, score?: number): AtomicFactWire {
  const wire: AtomicFactWire = {
    id: item.id,
    kind: "fact",
    content: item.memory,
    episode_id: item.sources[0] ?? null,
    user_id: item.userId ?? null,
    agent_id: item.agentId ?? null,
    run_id: item.runId ?? null,
    app_id: item.appId,
    project_id: item.projectId,
    session_id: item.sessionId ?? null,
    timestamp: item.timestamp,
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    metadata: item.metadata,
  };
  if (score !== undefined) wire.score = score;
  return wire;
}

export function memoryWire(item: MemoryItem): MemoryWire {
  return item.kind === "episode" ? episodeWire(item) : factWire(item);
}

/** Search hits grouped EverOS's way: episodes with the facts of theirs that matched nested, and every fact hit. */
export function searchWire(hits: readonly SearchHit[]): { episodes: EpisodeWire[]; facts: AtomicFactWire[] } {
  const facts = hits.filter((hit) => hit.kind === "fact").map((hit) => factWire(hit, hit.score));
  const episodes = hits
    .filter((hit) => hit.kind === "episode")
    .map((hit) => ({ ...episodeWire(hit, hit.score), atomic_facts: facts.filter((fact) => fact.episode_id === hit.id) }));
  return { episodes, facts };
}

export function unprocessedWire(turn: BufferedTurn, scope: { appId: string; projectId: string; sessionId: string }): UnprocessedMessageWire {
  return {
    id: turn.messageId,
    app_id: scope.appId,
    project_id: scope.projectId,
    session_id: scope.sessionId,
    sender_id: turn.senderId ?? null,
    sender_name: null,
    role: turn.role,
    content: turn.text,
    timestamp: new Date(turn.timestamp).toISOString(),
    tool_calls: null,
    tool_call_id: null,
  };
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.trim();
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1).trimEnd()}…`;
}
