#!/usr/bin/env node
import { parseArgs } from "node:util";
import { configFromEnv } from "../config/env.js";
import { Memory } from "../memory.js";
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

Options:
  --root <dir>     data root (default: $OMNIMEM_ROOT or ~/.omnimem)
                   other settings: OMNIMEM_<SECTION>__<KEY>, e.g. OMNIMEM_LLM__BASE_URL
  --agent <id>     act for an agent instead of a user
  --json           machine-readable output
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
