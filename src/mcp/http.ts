/**
 * The MCP server over streamable HTTP, as `omnimem serve` mounts it at /mcp. Stateless: each
 * POST gets a fresh server and transport (nothing to keep per client, any number of servers
 * behind a load balancer), answering with plain JSON. Whose memory it is comes from the URL or
 * headers the client was configured with (`/mcp?user_id=alice`, `X-Omnimem-User-Id`), never
 * from the model, and the API key must be allowed for that app and project.
 */
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Logger } from "../log.js";
import { ValidationError } from "../spec/errors.js";
import { assertSegmentId } from "../store/ids.js";
import type { MemoryPort, ToolOwner } from "../tools/memory-port.js";
import { createMcpServer } from "./server.js";

export interface McpHttpOptions {
  /** The app and project a request acts in when it names none. */
  defaults: { appId: string; projectId: string };
  /** Throws FORBIDDEN when the caller may not act in this app/project. */
  authorize: (appId: string, projectId: string) => void;
  logger?: Logger;
  version?: string;
  /** Largest request body the transport reads. */
  maxRequestBytes?: number;
}

const OWNER_FIELDS = [
  ["user_id", "userId"],
  ["agent_id", "agentId"],
  ["run_id", "runId"],
  ["session_id", "sessionId"],
  ["app_id", "appId"],
  ["project_id", "projectId"],
] as const;

export async function handleMcpHttp(request: Request, memory: MemoryPort, options: McpHttpOptions): Promise<Response> {
  if (request.method !== "POST") {
    // Stateless: no server-initiated stream to GET and no session to DELETE.
    return Response.json({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: POST JSON-RPC messages to /mcp" }, id: null }, { status: 405, headers: { allow: "POST" } });
  }
  const owner = ownerOfRequest(request);
  // The scope authorised is the scope used: the memory's own defaults may differ from the key's.
  owner.appId ??= options.defaults.appId;
  owner.projectId ??= options.defaults.projectId;
  options.authorize(owner.appId, owner.projectId);
  const server = createMcpServer(memory, {
    owner,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.version === undefined ? {} : { version: options.version }),
  });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    ...(options.maxRequestBytes === undefined ? {} : { maxRequestBodySize: options.maxRequestBytes }),
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    await server.close();
  }
}

/** `?user_id=alice` or `X-Omnimem-User-Id: alice` (and agent, run, session, app, project alike); the query wins. */
export function ownerOfRequest(request: Request): ToolOwner {
  const query = new URL(request.url).searchParams;
  const owner: ToolOwner = {};
  for (const [field, key] of OWNER_FIELDS) {
    const header = `x-omnimem-${field.replace("_", "-")}`;
    const value = query.get(field) ?? request.headers.get(header) ?? undefined;
    if (value !== undefined) owner[key] = assertSegmentId(value, field);
  }
  if (owner.userId === undefined && owner.agentId === undefined) {
    throw new ValidationError("name whose memory this MCP connection uses: /mcp?user_id=<id> (or agent_id), or the X-Omnimem-User-Id header", {
      details: { path: "user_id" },
    });
  }
  return owner;
}
