import { isMetadataKey } from "../spec/scope.js";
import { ValidationError } from "../spec/errors.js";
import type { Metadata } from "../spec/types.js";

/**
 * Checks a memory's metadata as `add` and `update` take it: an object of flat values (string,
 * finite number, boolean, null) under keys that filters can name. `path` names it in errors
 * ("metadata", or where an import read it).
 */
export function validMetadata(metadata: unknown, path = "metadata"): Metadata {
  if (metadata === undefined) return {};
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new ValidationError(`${path} must be an object`, { details: { path } });
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (!isMetadataKey(key)) {
      throw new ValidationError(`${path} key ${JSON.stringify(key)} must be 1-64 letters, digits, _ . - (and not __proto__)`, { details: { path: `${path}.${key}` } });
    }
    const flat = value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
    if (!flat) throw new ValidationError(`${path}.${key} must be a string, number, boolean or null`, { details: { path: `${path}.${key}` } });
    // Filters refuse NUL in values, and PostgreSQL cannot store one: a value that holds one could never be matched.
    if (typeof value === "string" && value.includes("\u0000")) {
      throw new ValidationError(`${path}.${key} may not contain NUL characters`, { details: { path: `${path}.${key}` } });
    }
  }
  return metadata as Metadata;
}
