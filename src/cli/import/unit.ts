import { basename } from "node:path";
import { isOmnimemError, ValidationError } from "../../spec/errors.js";
import type { InputMessage } from "../../ingest/messages.js";
import type { Metadata } from "../../spec/types.js";
import { validMetadata } from "../../ingest/metadata.js";
import { sha256 } from "../../util/hash.js";

/** One conversation (or part of one) to store with one `add`. */
export interface ConversationUnit {
  /**
   * Stable name of the unit within its source ("/abs/chats.jsonl#L17"): the add's idempotency
   * key, so importing the same unit again stores nothing twice.
   */
  sourceKey: string;
  /** A valid segment id (see sanitizeSessionId). */
  sessionId: string;
  /** The owner the record names, used when the command line names none. */
  userId?: string;
  agentId?: string;
  /** At most MAX_UNIT_MESSAGES (the add limit). */
  messages: InputMessage[];
  metadata?: Metadata;
  /** A failure of this unit concerns only it (one file of a folder): record it and go on. */
  failureIsLocal?: boolean;
}

/** Where conversation units come from: a file or a folder, read by one reader. */
export interface UnitSource {
  /** How many units `units()` yields, counted before the import so the bar has a total and an ETA. */
  count(): Promise<number>;
  units(): AsyncIterable<ConversationUnit>;
}

/** The most messages one `add` takes. */
export const MAX_UNIT_MESSAGES = 500;

const SEGMENT_CHARACTER = /[^A-Za-z0-9._@+-]/g;
const MAX_SEGMENT_CHARS = 128;

/**
 * Any name as a segment id (letters, digits and `._@+-`, starting with a letter or digit, at
 * most 128 characters). Long names keep a hash of the whole name so two of them stay apart.
 */
export function sanitizeSessionId(name: string): string {
  let cleaned = name.replace(SEGMENT_CHARACTER, "_").replace(/^[^A-Za-z0-9]+/, "");
  if (cleaned === "") cleaned = `s-${sha256(name).slice(0, 12)}`;
  if (cleaned.length > MAX_SEGMENT_CHARS) cleaned = `${cleaned.slice(0, MAX_SEGMENT_CHARS - 13)}-${sha256(name).slice(0, 12)}`;
  return cleaned;
}

/**
 * A conversation as units of at most MAX_UNIT_MESSAGES messages, in the same session. The
 * first keeps the conversation's key, so a conversation that grows later still matches it.
 */
export function* chunked(unit: ConversationUnit): Generator<ConversationUnit> {
  if (unit.messages.length <= MAX_UNIT_MESSAGES) {
    yield unit;
    return;
  }
  for (let start = 0; start < unit.messages.length; start += MAX_UNIT_MESSAGES) {
    const part = start / MAX_UNIT_MESSAGES;
    yield {
      ...unit,
      sourceKey: part === 0 ? unit.sourceKey : `${unit.sourceKey}/part${part + 1}`,
      messages: unit.messages.slice(start, start + MAX_UNIT_MESSAGES),
    };
  }
}

/** Counts what an async iterable yields (a reader's units, read once just to count them). */
export async function countOf(iterable: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of iterable) count += 1;
  return count;
}

/** An error raised while reading a record, with where it is (`file:line`) in front of its message. */
export function locatedError(error: unknown, where: string): Error {
  if (isOmnimemError(error)) {
    // Keep the class and its code (the exit status depends on it); add where in the source it was.
    error.message = `${where}: ${error.message}`;
    (error as { details: Record<string, unknown> | undefined }).details = { ...error.details, source: where };
    return error;
  }
  return new ValidationError(`${where}: ${(error as Error)?.message ?? String(error)}`, { details: { source: where }, cause: error });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A record's metadata as `add` takes it (see validMetadata); none when absent, null or empty. */
export function recordMetadata(value: unknown, path: string): Metadata | undefined {
  if (value === undefined || value === null) return undefined;
  const metadata = validMetadata(value, path);
  return Object.keys(metadata).length === 0 ? undefined : metadata;
}

const MAX_FILE_KEY_CHARS = 400;

/**
 * A file's part of its units' source keys: its absolute path, so a rerun from another working
 * folder still matches and two files of the same name in different folders never do. (The key
 * is hashed into ids, never stored; a very long path is shortened to its name and a hash.)
 */
export function fileKey(absolutePath: string): string {
  if (absolutePath.length <= MAX_FILE_KEY_CHARS) return absolutePath;
  return `${basename(absolutePath).slice(0, 200)}@${sha256(absolutePath).slice(0, 24)}`;
}
