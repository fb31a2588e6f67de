/**
 * `omnimem/ai`: memory for apps built on the Vercel AI SDK. Tools for `generateText` /
 * `streamText`, and a middleware for `wrapLanguageModel` that recalls (and, when asked,
 * stores) what the user said. Both take a `Memory` or an `OmnimemClient`.
 */
export { memoryTools, type MemoryTools, type MemoryToolsOptions } from "./tools.js";
export { memoryMiddleware, type MemoryMiddlewareOptions } from "./middleware.js";
export { httpMemory } from "../tools/http-memory.js";
export type { MemoryPort, MemoryView, ToolOwner } from "../tools/memory-port.js";
export type { MemoryToolName } from "../tools/definitions.js";
