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

/**
 * A key metadata may hold and filters may name: plain (METADATA_KEY), and not `__proto__`, which
 * an object literal or a copy of the object turns into its prototype: the pair would vanish
 * silently on the way to the store, or a filter on it be dropped and match more than asked.
 */
export function isMetadataKey(key: string): boolean {
  return METADATA_KEY.test(key) && key !== "__proto__";
}

/** How deeply AND / OR may nest in a filter (every backend's compiler and the API edge agree). */
export const MAX_FILTER_DEPTH = 8;

/**
 * Epoch ms of a date given as text (ISO-8601), NaN when it is not one. A date-time without a zone
 * ("2024-01-01T09:30") is UTC, as a date alone already is in JavaScript: read as the process's
 * local time it would match different memories on servers in different time zones.
 */
export function parseIsoTime(text: string): number {
  const zoneless = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text.trim());
  return Date.parse(zoneless ? `${text.trim().replace(" ", "T")}Z` : text);
}
