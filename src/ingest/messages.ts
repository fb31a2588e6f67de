import { UnsupportedFormatError, ValidationError } from "../spec/errors.js";
import type { Role } from "../spec/types.js";

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

/** A turn as the pipeline sees it before storage: text only, with who and when. */
export interface Turn {
  index: number;
  role: Role;
  text: string;
  senderId?: string;
  timestamp?: number;
}

const ROLES = new Set<Role>(["user", "assistant", "system", "tool"]);
const MAX_MESSAGES = 500;

/**
 * Turns Mem0/OpenAI/EverOS message shapes into text turns. Content that is not text (images,
 * files, audio) needs the multimodal parsers and is refused with UNSUPPORTED_FORMAT until they
 * are wired in, rather than being stored as "[object Object]" as Mem0's TS SDK does.
 */
export function toTurns(messages: MessageInput): Turn[] {
  const list: readonly InputMessage[] =
    typeof messages === "string" ? [{ role: "user", content: messages }] : Array.isArray(messages) ? messages : [messages as InputMessage];
  if (list.length === 0) throw new ValidationError("messages must not be empty", { details: { path: "messages" } });
  if (list.length > MAX_MESSAGES) {
    throw new ValidationError(`at most ${MAX_MESSAGES} messages per add`, { details: { path: "messages" } });
  }
  return list.map((message, index) => toTurn(message, index));
}

function toTurn(message: InputMessage, index: number): Turn {
  const path = `messages[${index}]`;
  if (typeof message === "string") return { index, role: "user", text: message };
  if (message === null || typeof message !== "object") {
    throw new ValidationError(`${path} must be a string or a message object`, { details: { path } });
  }
  const role = (message.role ?? "user") as Role;
  if (!ROLES.has(role)) {
    throw new ValidationError(`${path}.role must be one of user, assistant, system, tool`, { details: { path: `${path}.role` } });
  }
  const turn: Turn = { index, role, text: contentText(message.content, `${path}.content`) };
  const sender = message.sender_id ?? message.senderId ?? message.name;
  if (sender !== undefined) {
    if (typeof sender !== "string" || sender.length === 0 || sender.length > 256) {
      throw new ValidationError(`${path}.sender_id must be a string of 1-256 characters`, { details: { path: `${path}.sender_id` } });
    }
    turn.senderId = sender;
  }
  if (message.timestamp !== undefined) turn.timestamp = parseTimestamp(message.timestamp, `${path}.timestamp`);
  return turn;
}

function contentText(content: unknown, path: string): string {
  if (typeof content === "string") return content;
  const items = Array.isArray(content) ? content : [content];
  if (content === undefined || content === null) {
    throw new ValidationError(`${path} is required`, { details: { path } });
  }
  return items
    .map((item, i) => {
      const itemPath = Array.isArray(content) ? `${path}[${i}]` : path;
      if (typeof item === "string") return item;
      if (item === null || typeof item !== "object" || typeof (item as { type?: unknown }).type !== "string") {
        throw new ValidationError(`${itemPath} must be a content item with a type`, { details: { path: itemPath } });
      }
      const { type, text } = item as { type: string; text?: unknown };
      if (type === "text" || type === "input_text") {
        if (typeof text !== "string") throw new ValidationError(`${itemPath}.text must be a string`, { details: { path: `${itemPath}.text` } });
        return text;
      }
      throw new UnsupportedFormatError(`${itemPath}: content of type "${type}" needs the multimodal parsers, which this build does not have yet`, {
        details: { path: itemPath, type },
      });
    })
    .join("\n");
}

function parseTimestamp(value: number | string, path: string): number {
  const ms = typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new ValidationError(`${path} must be epoch milliseconds or an ISO-8601 date`, { details: { path } });
  }
  return ms;
}
