import type { MemoryRecord, Metadata, Role, Scope, SourcePart } from "../../spec/types.js";

/** The columns of `memories` a record fills, in the order `recordValues` gives them. */
export const RECORD_COLUMNS = [
  "id",
  "kind",
  "app_id",
  "project_id",
  "owner_type",
  "owner_id",
  "user_id",
  "agent_id",
  "run_id",
  "session_id",
  "sender_id",
  "role",
  "episode_id",
  "subject",
  "summary",
  "ts",
  "created_at",
  "updated_at",
  "hash",
  "text",
  "metadata",
  "source_parts",
] as const;

/** Columns sent as JSON text and cast to jsonb. */
export const JSONB_COLUMNS: ReadonlySet<string> = new Set(["metadata", "source_parts"]);

/** What `SELECT` of the record columns returns. */
export interface MemoryRow {
  id: string;
  kind: string;
  app_id: string;
  project_id: string;
  owner_type: string;
  owner_id: string;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  session_id: string | null;
  sender_id: string | null;
  role: string | null;
  episode_id: string | null;
  subject: string | null;
  summary: string | null;
  ts: number;
  created_at: number;
  updated_at: number;
  hash: string;
  text: string;
  metadata: Metadata;
  source_parts: SourcePart[] | null;
}

export const SELECT_RECORD = RECORD_COLUMNS.join(", ");

export function recordValues(record: MemoryRecord): unknown[] {
  return [
    record.id,
    record.kind,
    record.scope.appId,
    record.scope.projectId,
    record.scope.ownerType,
    record.scope.ownerId,
    record.userId ?? null,
    record.agentId ?? null,
    record.runId ?? null,
    record.sessionId ?? null,
    record.senderId ?? null,
    record.role ?? null,
    record.episodeId ?? null,
    record.subject ?? null,
    record.summary ?? null,
    record.timestamp,
    record.createdAt,
    record.updatedAt,
    record.hash,
    record.text,
    // jsonb from its text form: the driver would send a JS object the same way, but explicitly
    JSON.stringify(record.metadata),
    record.sourceParts === undefined || record.sourceParts.length === 0 ? null : JSON.stringify(record.sourceParts),
  ];
}

export function rowScope(row: Pick<MemoryRow, "app_id" | "project_id" | "owner_type" | "owner_id">): Scope {
  return { appId: row.app_id, projectId: row.project_id, ownerType: row.owner_type as Scope["ownerType"], ownerId: row.owner_id };
}

export function rowToRecord(row: MemoryRow): MemoryRecord {
  const record: MemoryRecord = {
    id: row.id,
    kind: row.kind as MemoryRecord["kind"],
    scope: rowScope(row),
    text: row.text,
    timestamp: row.ts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    metadata: row.metadata,
    hash: row.hash,
  };
  if (row.user_id !== null) record.userId = row.user_id;
  if (row.agent_id !== null) record.agentId = row.agent_id;
  if (row.run_id !== null) record.runId = row.run_id;
  if (row.session_id !== null) record.sessionId = row.session_id;
  if (row.sender_id !== null) record.senderId = row.sender_id;
  if (row.role !== null) record.role = row.role as Role;
  if (row.episode_id !== null) record.episodeId = row.episode_id;
  if (row.subject !== null) record.subject = row.subject;
  if (row.summary !== null) record.summary = row.summary;
  if (row.source_parts !== null) record.sourceParts = row.source_parts;
  return record;
}
