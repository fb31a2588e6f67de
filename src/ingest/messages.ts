import { normalizeContent } from "../content/normalize.js";
import { ValidationError } from "../spec/errors.js";
import { isStorableTime, type Part, type Role, type SourcePart } from "../spec/types.js";
import { parseIsoTime } from "../spec/scope.js";

/** What callers may pass to `add`: Mem0's and OpenAI's shapes, and EverOS messages. */
export type MessageInput = string | InputMessage | readonly InputMessage[];

export interface InputMessage {
  role?: string;
  content: unknown;
  /** OpenAI's participant name; used as the sender when no sender_id is given. */
  name?: string;
  sender_id?: string;
  senderId?: string;
  /** Epoch milliseconds or an ISO-8601 string. */
  timestamp?: number | string;
}

/** A message after validation: its content as canonical parts, not yet parsed. */
export interface NormalizedMessage {
  index: number;
  role: Role;
  senderId?: string;
  timestamp?: number;
  parts: Part[];
}

/** A turn as the pipeline sees it after parsing: text only, with who and when. */
export interface Turn {
  index: number;
  role: Role;
  text: string;
  senderId?: string;
  timestamp?: number;
  /** The files whose parsed text the turn holds, with the parser that read each. */
  sourceParts?: SourcePart[];
}

const ROLES = new Set<Role>(["user", "assistant", "system", "tool"]);
const MAX_MESSAGES = 500;

/**
 * Validates Mem0/OpenAI/EverOS message shapes and turns each content into canonical parts
 * (content/normalize). Parsing the non-text parts is the parse stage's job.
 */
export function normalizeMessages(messages: MessageInput): NormalizedMessage[] {
  const list: readonly InputMessage[] =
    typeof messages === "string" ? [{ role: "user", content: messages }] : Array.isArray(messages) ? messages : [messages as InputMessage];
  if (list.length === 0) throw new ValidationError("messages must not be empty", { details: { path: "messages" } });
  if (list.length > MAX_MESSAGES) {
    throw new ValidationError(`at most ${MAX_MESSAGES} messages per add`, { details: { path: "messages" } });
  }
  return list.map((message, index) => normalizeMessage(message, index));
}

function normalizeMessage(message: InputMessage, index: number): NormalizedMessage {
  const path = `messages[${index}]`;
  if (typeof message === "string") return { index, role: "user", parts: [{ type: "text", text: message }] };
  if (message === null || typeof message !== "object") {
    throw new ValidationError(`${path} must be a string or a message object`, { details: { path } });
  }
  const role = (message.role ?? "user") as Role;
  if (!ROLES.has(role)) {
    throw new ValidationError(`${path}.role must be one of user, assistant, system, tool`, { details: { path: `${path}.role` } });
  }
  if (message.content === undefined || message.content === null) {
    throw new ValidationError(`${path}.content is required`, { details: { path: `${path}.content` } });
  }
  const normalized: NormalizedMessage = { index, role, parts: normalizeContent(message.content, `${path}.content`) };
  const sender = message.sender_id ?? message.senderId ?? message.name;
  if (sender !== undefined) {
    if (typeof sender !== "string" || sender.length === 0 || sender.length > 256) {
      throw new ValidationError(`${path}.sender_id must be a string of 1-256 characters`, { details: { path: `${path}.sender_id` } });
    }
    normalized.senderId = sender;
  }
  if (message.timestamp !== undefined) normalized.timestamp = parseTimestamp(message.timestamp, `${path}.timestamp`);
  return normalized;
}

function parseTimestamp(value: number | string, path: string): number {
  const ms = typeof value === "number" ? value : parseIsoTime(value);
  if (!Number.isFinite(ms)) throw new ValidationError(`${path} must be epoch milliseconds or an ISO-8601 date`, { details: { path } });
  if (!isStorableTime(ms)) throw new ValidationError(`${path} must be a time from 1970 to the end of 9999`, { details: { path } });
  return ms;
}
