/**
 * Talking to omnimem's MCP server with the SDK's own client: a connected client over stdio
 * (`omnimem mcp` as a child process) or streamable HTTP, and the JSON a tool call returned.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLI_NODE_ARGS } from "./cli-process.js";

export interface ToolOutcome {
  isError: boolean;
  /** The JSON the tool's text content carries: the result, or `{error: {code, message}}`. */
  body: any;
}

/** The environment a CLI child gets in tests: the caller's minus OMNIMEM_* settings, plus `env`. */
export function cleanEnv(env: Record<string, string> = {}): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("OMNIMEM_") && value !== undefined) clean[name] = value;
  return { ...clean, OMNIMEM_LOG_LEVEL: "warn", ...env };
}

/** Starts `omnimem mcp <args>` and connects a client to it; `stderr()` has what the server logged. */
export async function connectStdio(args: string[], env: Record<string, string> = {}): Promise<{ client: Client; stderr: () => string; close: () => Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...CLI_NODE_ARGS, "mcp", ...args],
    env: cleanEnv(env),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const client = new Client({ name: "omnimem-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

export async function connectHttp(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "omnimem-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
  const content = result.content as { type: string; text?: string }[];
  const text = content.find((item) => item.type === "text")?.text ?? "";
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { isError: result.isError === true, body };
}
