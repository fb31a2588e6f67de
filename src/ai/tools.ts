/**
 * The memory tools for the Vercel AI SDK (`generateText` / `streamText`): the same eight tools
 * the MCP server offers (src/tools/definitions.ts), bound to one owner by the app's code.
 */
import { jsonSchema, tool, type Tool } from "ai";
import type { OmnimemClient } from "../client/client.js";
import { checkToolOwner, MEMORY_TOOLS, runMemoryTool, type MemoryToolName, type ToolContext } from "../tools/definitions.js";
import { memoryPortOf } from "../tools/http-memory.js";
import type { MemoryPort, ToolOwner } from "../tools/memory-port.js";
import { MemoryToolError } from "../tools/tool-error.js";
import { toolInputJsonSchema } from "../tools/input-json-schema.js";

export interface MemoryToolsOptions extends ToolOwner {
  /** Only these tools (default all eight), e.g. `["search_memory", "add_memory"]`. */
  only?: readonly MemoryToolName[];
  /** Where relative attachment paths resolve; default the process's working folder. */
  cwd?: string;
}

export type MemoryTools = Partial<Record<MemoryToolName, Tool>>;

/**
 * `memoryTools(memory, { userId: "alice" })`: tools for `generateText({ tools })` that read and
 * write alice's memories. `memory` is a `Memory` or an `OmnimemClient` for a server. A failing
 * call throws a MemoryToolError: its `code` is the library's, its message the JSON the model
 * reads (`{"error": {"code", "message"}}`, as over MCP), and its `cause` the library's error.
 */
export function memoryTools(memory: MemoryPort | OmnimemClient, options: MemoryToolsOptions): MemoryTools {
  const { only, cwd, ...owner } = options;
  checkToolOwner(owner);
  const context: ToolContext = { memory: memoryPortOf(memory), owner, cwd: cwd ?? process.cwd() };
  const tools: MemoryTools = {};
  for (const definition of MEMORY_TOOLS) {
    if (only !== undefined && !only.includes(definition.name as MemoryToolName)) continue;
    tools[definition.name as MemoryToolName] = tool({
      description: definition.description,
      // The schema the model is shown; the input is checked by runMemoryTool, whose INVALID_INPUT
      // names the field (the SDK's own check would hand the model a zod dump without a code).
      inputSchema: jsonSchema(toolInputJsonSchema(definition.inputSchema) as Parameters<typeof jsonSchema>[0]),
      execute: async (input: unknown) => {
        try {
          return await runMemoryTool(definition, input, context);
        } catch (error) {
          throw new MemoryToolError(error);
        }
      },
    });
  }
  return tools;
}
