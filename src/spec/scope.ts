import type { Scope } from "./types.js";

/**
 * One string naming an owner's scope. Ids cannot contain "/" (see store/ids.ts), so it is
 * unambiguous: lock keys, idempotency seeds and the LanceDB table's owner column use it.
 */
export function scopeKey(scope: Scope): string {
  return `${scope.appId}/${scope.projectId}/${scope.ownerType}/${scope.ownerId}`;
}

/** Metadata keys are spliced into `key=value` pairs and SQL text, so they are kept plain. */
export const METADATA_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
