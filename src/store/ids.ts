import { randomUUID } from "node:crypto";
import { ValidationError } from "../spec/errors.js";
import type { RecordFilter } from "../spec/backend.js";
import type { RecordChange } from "../spec/memory-store.js";
import type { Scope } from "../spec/types.js";

/**
 * Ids that become path segments (app, project, user, agent) or markdown markers (memory ids)
 * must never carry a separator or a traversal. Letters, digits and `._@+-`, starting with a
 * letter or digit, so `.` and `..` can never match.
 */
const SEGMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const MEMORY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function assertSegmentId(value: unknown, field: string): string {
  if (typeof value !== "string" || !SEGMENT_ID.test(value)) {
    throw new ValidationError(
      `${field} must be 1-128 characters of letters, digits and . _ @ + -, starting with a letter or digit (got ${JSON.stringify(value)})`,
      { details: { path: field } },
    );
  }
  return value;
}

export function assertMemoryId(value: unknown, field = "id"): string {
  if (typeof value !== "string" || !MEMORY_ID.test(value)) {
    throw new ValidationError(`${field} is not a valid memory id (got ${JSON.stringify(value)})`, {
      details: { path: field },
    });
  }
  return value;
}

export function newMemoryId(): string {
  return randomUUID();
}

/** Every id a change names checked before a store writes anything (the same rule for every backend). */
export function validateChange(change: RecordChange): void {
  if (change.op === "delete") {
    assertMemoryId(change.id);
    return;
  }
  const { record } = change;
  assertMemoryId(record.id);
  assertSegmentId(record.scope.appId, "app_id");
  assertSegmentId(record.scope.projectId, "project_id");
  assertSegmentId(record.scope.ownerId, record.scope.ownerType === "user" ? "user_id" : "agent_id");
}

/** One owner's identity as a string key (locks, grouping). */
export function ownerKey(scope: Scope): string {
  return [scope.appId, scope.projectId, scope.ownerType, scope.ownerId].join("/");
}

/** The column each RecordFilter field narrows, named alike in every store's memory table. */
export const RECORD_FILTER_COLUMNS: readonly (readonly [keyof RecordFilter, string])[] = [
  ["appId", "app_id"],
  ["projectId", "project_id"],
  ["ownerType", "owner_type"],
  ["ownerId", "owner_id"],
  ["agentId", "agent_id"],
  ["kind", "kind"],
];
