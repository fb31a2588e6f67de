import type { OwnerMatch } from "../spec/memory-store.js";
import type { MemoryRecord } from "../spec/types.js";

/** True when the memory is one `owner` may reach by id (every field given matches). */
export function recordMatchesOwner(record: MemoryRecord, owner: OwnerMatch): boolean {
  const { scope } = record;
  if (scope.appId !== owner.appId || scope.projectId !== owner.projectId) return false;
  if (owner.ownerType !== undefined && scope.ownerType !== owner.ownerType) return false;
  if (owner.ownerId !== undefined && scope.ownerId !== owner.ownerId) return false;
  if (owner.agentId !== undefined && record.agentId !== owner.agentId) return false;
  if (owner.runId !== undefined && record.runId !== owner.runId) return false;
  return true;
}
