/**
 * `omnimem mcp --user alice`: the memory as an MCP server on stdin/stdout. It answers the
 * client's handshake first and opens the memory right after (the engine's native modules take
 * most of a second to load), so clients that time their servers' start are not kept waiting.
 */
import type { MemoryConfigInput } from "../../config/schema.js";
import type { Memory } from "../../memory.js";
import { assertSegmentId } from "../../store/ids.js";
import type { ToolOwner } from "../../tools/memory-port.js";
import { UsageError, type CliValues } from "../args.js";

export async function mcpCommand(config: MemoryConfigInput, values: CliValues): Promise<number> {
  const owner = ownerFromFlags(values);
  const [{ serveMcpOverStdio }, { deferredMemory }, { createLogger }] = await Promise.all([
    import("../../mcp/stdio.js"),
    import("../../tools/deferred-memory.js"),
    import("../../log.js"),
  ]);
  const logger = createLogger(config.logLevel ?? "warn");
  let opened: Memory | undefined;
  let openingStarted = false;
  const memory = deferredMemory(async () => {
    openingStarted = true;
    try {
      const { Memory } = await import("../../memory.js");
      opened = await Memory.open({ ...config, logger });
      return opened;
    } catch (error) {
      logger.error({ err: error }, "cannot open the memory; every tool call will answer with this error");
      throw error;
    }
  });
  const server = await serveMcpOverStdio(memory, {
    owner,
    logger,
    // Loading the engine blocks the event loop for a while: only once the handshake is answered.
    onInitialized: () => void memory.start().catch(() => undefined),
    version: await import("../../server/health.js").then((health) => health.OMNIMEM_VERSION),
    ...(config.server?.bodyLimitBytes === undefined ? {} : { maxMessageBytes: config.server.bodyLimitBytes }),
  });
  const stop = await Promise.race([
    server.closed.then(() => "stdin closed"),
    new Promise<string>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    }),
  ]);
  logger.info({ reason: stop }, "mcp server stopping");
  await server.close();
  // A memory still opening is closed once open; one never asked for is not opened to be closed.
  if (openingStarted) await memory.start().catch(() => undefined);
  await opened?.close();
  // Whatever a library left running (a worker, a socket) must not keep a finished server alive.
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}

function ownerFromFlags(values: CliValues): ToolOwner {
  if (values.user === undefined && values.agent === undefined) {
    throw new UsageError("omnimem mcp needs --user <id> or --agent <id>: whose memory the tools read and write");
  }
  const owner: ToolOwner = {};
  if (values.user !== undefined) owner.userId = assertSegmentId(values.user, "--user");
  if (values.agent !== undefined) owner.agentId = assertSegmentId(values.agent, "--agent");
  if (values.run !== undefined) owner.runId = assertSegmentId(values.run, "--run");
  if (values.session !== undefined) owner.sessionId = assertSegmentId(values.session, "--session");
  return owner;
}
