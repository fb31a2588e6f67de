/** `omnimem/mcp`: omnimem's MCP server, to embed in another process or mount on another HTTP framework. */
export { createMcpServer, toolErrorResult, type McpServerOptions } from "./server.js";
export type { ToolErrorBody } from "../tools/tool-error.js";
export { serveMcpOverStdio, type StdioMcpOptions, type StdioMcpServer } from "./stdio.js";
export { handleMcpHttp, ownerOfRequest, type McpHttpOptions } from "./http.js";
export { httpMemory } from "../tools/http-memory.js";
export { MEMORY_TOOLS, type MemoryToolDefinition, type MemoryToolName } from "../tools/definitions.js";
export type { MemoryPort, MemoryView, ToolOwner } from "../tools/memory-port.js";
