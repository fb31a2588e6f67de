import type { MemoryRecord } from "../../spec/types.js";

/**
 * A record as flat snake_case columns: the shape both the SQLite catalog and the LanceDB
 * table store, so the filter compiler can name the same columns in both.
 */
export interface RecordColumns {
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
  text: string;
}

export function recordColumns(record: MemoryRecord): RecordColumns {
  return {
    id: record.id,
    kind: record.kind,
    app_id: record.scope.appId,
    project_id: record.scope.projectId,
    owner_type: record.scope.ownerType,
    owner_id: record.scope.ownerId,
    user_id: record.userId ?? null,
    agent_id: record.agentId ?? null,
    run_id: record.runId ?? null,
    session_id: record.sessionId ?? null,
    sender_id: record.senderId ?? null,
    role: record.role ?? null,
    episode_id: record.episodeId ?? null,
    subject: record.subject ?? null,
    summary: record.summary ?? null,
    ts: record.timestamp,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    text: record.text,
  };
}
