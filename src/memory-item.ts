import type { MemoryItem, MemoryRecord } from "./spec/types.js";

/** The library's view of a stored record: Mem0's field names, ISO dates. */
export function toMemoryItem(record: MemoryRecord): MemoryItem {
  const item: MemoryItem = {
    id: record.id,
    memory: record.text,
    kind: record.kind,
    hash: record.hash,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    timestamp: new Date(record.timestamp).toISOString(),
    appId: record.scope.appId,
    projectId: record.scope.projectId,
    metadata: record.metadata,
    sources: record.episodeId === undefined ? [] : [record.episodeId],
  };
  if (record.userId !== undefined) item.userId = record.userId;
  if (record.agentId !== undefined) item.agentId = record.agentId;
  if (record.runId !== undefined) item.runId = record.runId;
  if (record.sessionId !== undefined) item.sessionId = record.sessionId;
  if (record.senderId !== undefined) item.senderId = record.senderId;
  if (record.role !== undefined) item.role = record.role;
  if (record.subject !== undefined) item.subject = record.subject;
  if (record.summary !== undefined) item.summary = record.summary;
  if (record.sourceParts !== undefined) item.sourceParts = record.sourceParts;
  return item;
}
