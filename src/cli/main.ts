#!/usr/bin/env node
import { parseArgs } from "node:util";
import { configFromEnv } from "../config/env.js";
import { Memory } from "../memory.js";
import { startServer } from "../server/start.js";
import { isOmnimemError, ValidationError } from "../spec/errors.js";
import type { SearchMethod } from "../spec/types.js";
import { runDemo } from "./demo.js";
import { printResult, type Output } from "./output.js";

const USAGE = `omnimem: long-term memory for AI agents

Usage:
  omnimem demo [--keep]                          ingest a small conversation offline and search it
  omnimem add --user <id> [--session <id>] <text...>
  omnimem search --user <id> [--method keyword|vector|hybrid] [--limit n] <query...>
  omnimem get <memory-id>
  omnimem delete <memory-id>
  omnimem history <memory-id>
  omnimem reindex                                rebuild catalog and index from the markdown files
  omnimem serve [--host 127.0.0.1] [--port 8000] [--insecure]
                                                 the HTTP API; prints "listening on <url>"; stops on SIGTERM/SIGINT

Options:
  --root <dir>     data root (default: $OMNIMEM_ROOT or ~/.omnimem)
                   other settings: OMNIMEM_<SECTION>__<KEY>, e.g. OMNIMEM_LLM__BASE_URL
  --agent <id>     act for an agent instead of a user
  --json           machine-readable output
  --host, --port   where serve listens ($OMNIMEM_SERVER__HOST, $OMNIMEM_SERVER__PORT; port 0: any free port)
  --insecure       let serve listen beyond loopback without API keys ($OMNIMEM_SERVER__API_KEYS)
  -h, --help       this help
`;

const OPTIONS = {
  root: { type: "string" },
  user: { type: "string" },
  agent: { type: "string" },
  session: { type: "string" },
  method: { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean", default: false },
  keep: { type: "boolean", default: false },
  host: { type: "string" },
  port: { type: "string" },
  insecure: { type: "boolean" },
  help: { type: "boolean", short: "h", default: false },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new ValidationError((error as Error).message, { cause: error });
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  const output: Output = { json: values.json };
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 64 : 0;
  }
  if (command === "demo") {
    await runDemo({ output, keep: values.keep });
    return 0;
  }
  // defaults < OMNIMEM_* environment < command-line arguments
  const config = configFromEnv(process.env);
  if (command === "serve") {
    return serve({
      ...config,
      ...(values.root === undefined ? {} : { root: values.root }),
      server: {
        ...config.server,
        ...(values.host === undefined ? {} : { host: values.host }),
        ...(values.port === undefined ? {} : { port: parsePort(values.port) }),
        ...(values.insecure === undefined ? {} : { insecure: values.insecure }),
      },
    });
  }
  const memory = await Memory.open(values.root === undefined ? config : { ...config, root: values.root });
  try {
    const owner = { userId: values.user, agentId: values.agent };
    switch (command) {
      case "add":
        printResult(output, await memory.add(requireText(rest, "text"), { ...owner, sessionId: values.session, infer: false }));
        return 0;
      case "search":
        printResult(
          output,
          await memory.search(requireText(rest, "query"), {
            ...owner,
            method: values.method as SearchMethod | undefined,
            limit: values.limit === undefined ? undefined : Number(values.limit),
          }),
        );
        return 0;
      case "get": {
        const item = await memory.get(requireText(rest, "memory id"));
        printResult(output, item ?? { error: "not found" });
        return item === null ? 71 : 0;
      }
      case "delete":
        printResult(output, await memory.delete(requireText(rest, "memory id")));
        return 0;
      case "history":
        printResult(output, await memory.history(requireText(rest, "memory id")));
        return 0;
      case "reindex":
        printResult(
          output,
          await memory.reindex(({ done, total }) => {
            if (!output.json && process.stderr.isTTY) process.stderr.write(`\rreindexing ${done}/${total}`);
          }),
        );
        return 0;
      default:
        throw new ValidationError(`unknown command ${JSON.stringify(command)}; see omnimem --help`);
    }
  } finally {
    await memory.close();
  }
}

/** Runs until SIGTERM or SIGINT, then drains in-flight requests and closes the memory. */
async function serve(config: Parameters<typeof startServer>[0]): Promise<number> {
  const running = await startServer(config);
  process.stdout.write(`listening on ${running.url}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  process.stderr.write(`omnimem: ${signal}: finishing in-flight requests\n`);
  await running.close();
  // Whatever a library left running (a worker, a socket) must not keep a stopped server alive.
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ValidationError(`--port must be an integer in 0..65535 (got ${JSON.stringify(text)})`);
  return port;
}

function requireText(words: string[], what: string): string {
  const text = words.join(" ").trim();
  if (text === "") throw new ValidationError(`missing ${what}; see omnimem --help`);
  return text;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const json = process.argv.includes("--json");
    if (isOmnimemError(error)) {
      if (json) process.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
      else process.stderr.write(`omnimem: ${error.code}: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`omnimem: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
