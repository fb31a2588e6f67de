/**
 * The MCP server definition, independent of any transport: the memory tools (src/tools), each
 * memory as a resource (`omnimem://memory/<id>`), and a prompt that explains the tools. stdio
 * (./stdio.ts) and streamable HTTP (./http.ts) connect it to a client.
 *
 * Tools are served through the SDK's low-level `Server` rather than `McpServer.registerTool`,
 * because McpServer answers a schema violation with its own text; here every failure, a bad
 * argument included, comes back as a tool error carrying omnimem's stable code.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ErrorCode as McpErrorCode,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log.js";
import { isOmnimemError, NotFoundError } from "../spec/errors.js";
import { checkToolOwner, MEMORY_TOOLS, ownerOf, runMemoryTool, type ToolContext } from "../tools/definitions.js";
import type { MemoryPort, ToolOwner } from "../tools/memory-port.js";
import { toolErrorBody } from "../tools/tool-error.js";
import { toolInputJsonSchema } from "../tools/input-json-schema.js";

export interface McpServerOptions {
  /** Whose memory the tools act on (the server's --user/--agent), never the model's choice. */
  owner: ToolOwner;
  /** Where relative attachment paths resolve; default the process's working folder. */
  cwd?: string;
  /** Reported to clients as the server's version. */
  version?: string;
  /** Unexpected failures are logged here (their details never reach the client). */
  logger?: Logger;
}

/**
 * The tool list is the same for every owner: built once per process, on the first tools/list
 * rather than at start (converting the schemas costs time the handshake should not wait for).
 */
let listed: Tool[] | undefined;
function listTools(): Tool[] {
  return (listed ??= MEMORY_TOOLS.map((tool) => ({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: toolInputJsonSchema(tool.inputSchema) as Tool["inputSchema"],
    annotations: { title: tool.title, ...tool.annotations },
  })));
}

const RESOURCE_PREFIX = "omnimem://memory/";
const RESOURCES_LISTED = 50;
const PROMPT_NAME = "use-memory";

const INSTRUCTIONS = `This server is a long-term memory. Before answering something that may depend on what the user said or shared earlier, call search_memory. When the user tells you something worth keeping (preferences, facts about them, plans, decisions) or shares a file whose content matters later, call add_memory (files as attachments: path, url or base64). When a memory is wrong or outdated, call update_memory; when the user asks you to forget something, delete_memory. Errors carry a code: INVALID_INPUT (fix the arguments), NOT_FOUND (no such memory), UNSUPPORTED_FORMAT / INVALID_IMAGE / FILE_TOO_LARGE / URI_REJECTED (the attachment cannot be used), CAPABILITY_UNAVAILABLE / PROVIDER_ERROR (try later or without that file).`;

/** A connected-to-nothing MCP server over `memory` for one owner. */
export function createMcpServer(memory: MemoryPort, options: McpServerOptions): Server {
  checkToolOwner(options.owner);
  const context: ToolContext = { memory, owner: options.owner, cwd: options.cwd ?? process.cwd() };
  const server = new Server(
    { name: "omnimem", title: "omnimem memory", version: options.version ?? "0.0.0" },
    { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: INSTRUCTIONS },
  );
  const tools = new Map(MEMORY_TOOLS.map((tool) => [tool.name, tool]));
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listTools() }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const tool = tools.get(request.params.name);
    if (tool === undefined) throw rpcError(McpErrorCode.InvalidParams, `unknown tool ${request.params.name}`);
    try {
      const result = await runMemoryTool(tool, request.params.arguments, context);
      return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: result };
    } catch (error) {
      return toolErrorResult(error, options.logger);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    let page;
    try {
      page = await memory.getAll({ ...ownerOf(options.owner), limit: RESOURCES_LISTED });
    } catch (error) {
      throw protocolError(McpErrorCode.InternalError, error, options.logger);
    }
    return {
      resources: page.results.map((item) => ({
        uri: `${RESOURCE_PREFIX}${item.id}`,
        name: item.id,
        title: oneLine(item.subject ?? item.memory, 80),
        mimeType: "application/json",
      })),
    };
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [{ uriTemplate: `${RESOURCE_PREFIX}{id}`, name: "memory", title: "A memory by id", mimeType: "application/json" }],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const uri = request.params.uri;
    const id = uri.startsWith(RESOURCE_PREFIX) ? decodeURIComponent(uri.slice(RESOURCE_PREFIX.length)) : undefined;
    let item = null;
    try {
      if (id !== undefined && id !== "") item = await memory.get(id, ownerOf(options.owner));
    } catch (error) {
      // A malformed id is a missing resource; anything else (the memory failed to open) says what it is.
      if (!isOmnimemError(error) || error.code !== "INVALID_INPUT") throw protocolError(McpErrorCode.InternalError, error, options.logger);
    }
    if (item === null) throw protocolError(RESOURCE_NOT_FOUND, new NotFoundError(`no memory at ${uri}`, { details: { uri } }), options.logger);
    return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify(item) }] };
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: [{ name: PROMPT_NAME, title: "Use long-term memory", description: "How to use the memory tools in this conversation" }],
  }));
  server.setRequestHandler(GetPromptRequestSchema, (request) => {
    if (request.params.name !== PROMPT_NAME) throw rpcError(McpErrorCode.InvalidParams, `unknown prompt ${request.params.name}`);
    return {
      description: "How to use the memory tools",
      messages: [{ role: "user", content: { type: "text", text: INSTRUCTIONS } }],
    };
  });
  return server;
}

/** Any failure as a tool result the model can read: `{"error": {code, message}}`, isError set. */
export function toolErrorResult(error: unknown, logger?: Logger): CallToolResult {
  const body = toolErrorBody(error, logger);
  return { isError: true, content: [{ type: "text", text: JSON.stringify(body) }], structuredContent: body as unknown as Record<string, unknown> };
}

/** MCP's code for a resource that does not exist (the specification's -32002). */
const RESOURCE_NOT_FOUND = -32002;

/**
 * A failed resource request as a JSON-RPC error: the message says what happened with omnimem's
 * code in front ("STORE_LOCKED: ..."), and `data` carries the code alone for clients that read
 * it. A plain Error with `code` and `data`: the SDK sends those as they are, where an McpError
 * would add "MCP error -32603:" to the message, which the client then adds once more.
 */
function protocolError(jsonRpcCode: number, error: unknown, logger: Logger | undefined): Error {
  const { error: body } = toolErrorBody(error, logger);
  return rpcError(jsonRpcCode, `${body.code}: ${body.message}`, { code: body.code });
}

function rpcError(jsonRpcCode: number, message: string, data?: Record<string, unknown>): Error {
  return Object.assign(new Error(message), { code: jsonRpcCode, ...(data === undefined ? {} : { data }) });
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
