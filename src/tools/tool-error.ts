import type { Logger } from "../log.js";
import { isOmnimemError, type ErrorCode } from "../spec/errors.js";

/** What a model reads of a failed memory tool: the same code and message the HTTP API and the CLI give. */
export interface ToolErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** A failure as the model sees it (MCP's tool error text, the AI SDK's tool error message). */
export function toolErrorBody(error: unknown, logger: Logger | undefined): ToolErrorBody {
  if (isOmnimemError(error) && error.code !== "INTERNAL") return { error: error.toJSON() };
  // An unexpected error's message may name internals: it goes to the log only.
  logger?.error({ err: error }, "memory tool failed");
  return { error: { code: "INTERNAL", message: "internal error; the memory server's log has the details" } };
}

/**
 * A memory tool's failure for the Vercel AI SDK, which hands the model only an error's message:
 * the message is the JSON body MCP returns (`{"error": {"code", "message"}}`), so the model can
 * tell NOT_FOUND from INVALID_INPUT; `code` and `cause` keep the library's error for the app.
 */
export class MemoryToolError extends Error {
  readonly code: ErrorCode;

  constructor(error: unknown, logger?: Logger) {
    const body = toolErrorBody(error, logger);
    super(JSON.stringify(body), { cause: error });
    this.name = "MemoryToolError";
    this.code = body.error.code;
  }
}
