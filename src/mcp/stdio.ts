/** The MCP server on a process's stdin/stdout (what Claude Desktop, Claude Code and Cursor start). */
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { MemoryPort } from "../tools/memory-port.js";
import { createMcpServer, type McpServerOptions } from "./server.js";

export interface StdioMcpOptions extends McpServerOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** Largest JSON-RPC message; base64 attachments make them large. Default 80 MiB. */
  maxMessageBytes?: number;
  /** Called once the client has completed the handshake. */
  onInitialized?: () => void;
}

export interface StdioMcpServer {
  /** Resolves when the client goes away (stdin ends) or `close` is called. */
  closed: Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_BYTES = 80 * 1024 * 1024;

export async function serveMcpOverStdio(memory: MemoryPort, options: StdioMcpOptions): Promise<StdioMcpServer> {
  const server = createMcpServer(memory, options);
  const stdin = options.stdin ?? process.stdin;
  const transport = new StdioServerTransport(stdin, options.stdout ?? process.stdout, {
    maxBufferSize: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  });
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  if (options.onInitialized !== undefined) server.oninitialized = options.onInitialized;
  // The SDK's transport does not notice the client closing stdin; without this the process would linger.
  stdin.on("end", () => void server.close());
  await server.connect(transport);
  return { closed, close: () => server.close() };
}
