#!/usr/bin/env node
import { loadDotEnv, resolveConfig, writeSetting, type ResolvedConfig } from "../config/resolve.js";
import type { MemoryConfigInput } from "../config/schema.js";
import type { Memory } from "../memory.js";
import { isOmnimemError } from "../spec/errors.js";
import { parseCommandLine, UsageError, USAGE, type CliValues } from "./args.js";
import { emit, outputFor, paint, type Output } from "./output.js";

// Commands are imported when run: the engine's native modules take most of a second to load,
// and `omnimem mcp` must answer its client's handshake before that (see commands/mcp.ts).

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv);
  const [command, ...rest] = positionals;
  const output = outputFor({ json: values.json });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === undefined) {
    process.stderr.write(USAGE);
    return 64;
  }
  switch (command) {
    case "demo": {
      const { runDemo } = await import("./demo/run-demo.js");
      const report = await runDemo({ output, keep: values.keep });
      if (output.json) emit(output, report, () => "");
      return report.ok ? 0 : 1;
    }
    case "init": {
      const { runInit } = await import("./commands/init.js");
      const written = await runInit({ dir: values.dir ?? process.cwd(), force: values.force });
      emit(output, written, () => `${written.written.map((file) => `wrote ${file}`).join("\n")}\nedit omnimem.toml for settings and .env for API keys; omnimem config show prints the result`);
      return 0;
    }
    case "config": {
      if (rest[0] !== "show") throw new UsageError(`unknown config command ${JSON.stringify(rest[0] ?? "")} (try: omnimem config show)`);
      const { configShowReport, renderConfigShow } = await import("./commands/config-show.js");
      const report = configShowReport(resolve(values));
      emit(output, report, () => renderConfigShow(report));
      return 0;
    }
    case "doctor": {
      const { DOCTOR_FAILED_EXIT, renderDoctor, runDoctor } = await import("./commands/doctor.js");
      const report = await runDoctor(resolve(values).input, {});
      emit(output, report, () => renderDoctor(report, { color: output.color }));
      return report.ok ? 0 : DOCTOR_FAILED_EXIT;
    }
    case "serve": {
      const { serveCommand } = await import("./commands/serve.js");
      return serveCommand(resolve(values).input);
    }
    case "mcp": {
      const { mcpCommand } = await import("./commands/mcp.js");
      return mcpCommand(resolve(values).input, values);
    }
    case "copy": {
      const { copyCommand } = await import("./commands/copy.js");
      return copyCommand(resolve(values).config, values, output);
    }
    case "migrate": {
      const { migrateCommand } = await import("./commands/migrate.js");
      return migrateCommand({ url: rest[0] }, output);
    }
    default: {
      // An unknown command is a usage error before any store is opened: opening one costs
      // seconds and can fail for reasons (a locked root) that have nothing to do with the typo.
      const { MEMORY_COMMANDS } = await import("./commands/memory-commands.js");
      if (!STORE_COMMANDS.has(command) && MEMORY_COMMANDS[command] === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
      return withMemory(resolve(values).input, (memory) => runMemoryCommand(command, memory, values, rest, output));
    }
  }
}

/** Commands on an open Memory that runMemoryCommand handles itself, besides MEMORY_COMMANDS. */
const STORE_COMMANDS = new Set(["import", "export", "reindex"]);

async function runMemoryCommand(command: string, memory: Memory, values: CliValues, words: string[], output: Output): Promise<number> {
  switch (command) {
    case "import": {
      const { importCommand } = await import("./commands/import.js");
      return importCommand(memory, values, words, output);
    }
    case "export": {
      const { runExport } = await import("./commands/export.js");
      const summary = await runExport(memory, {
        format: exportFormat(values.format),
        out: values.out,
        userId: values.user,
        agentId: values.agent,
        kind: values.kind as "episode" | "fact" | undefined,
        force: values.force,
      });
      // JSONL without --out goes to stdout itself: a summary there would corrupt it.
      if (summary.format === "jsonl" && values.out === undefined) return 0;
      emit(output, summary, () => `exported ${summary.memories} memories${summary.files.length > 0 ? ` to ${values.out} (${summary.files.length} files)` : ""}`);
      return 0;
    }
    case "reindex": {
      const { reindexCommand } = await import("./commands/reindex.js");
      return reindexCommand(memory, output, values.embedder);
    }
    default: {
      const { MEMORY_COMMANDS } = await import("./commands/memory-commands.js");
      const run = MEMORY_COMMANDS[command];
      if (run === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
      return run(memory, values, words, output);
    }
  }
}

function exportFormat(format: string | undefined): "jsonl" | "markdown" {
  if (format === undefined || format === "jsonl" || format === "markdown") return format ?? "jsonl";
  throw new UsageError(`--format must be jsonl or markdown (got ${JSON.stringify(format)})`);
}

/** defaults < omnimem.toml < OMNIMEM_* (and ./.env) < command-line options. */
function resolve(values: CliValues): ResolvedConfig {
  const overrides: MemoryConfigInput = {};
  const origins: Record<string, string> = {};
  const set = (path: string, flag: string, value: unknown) => {
    if (value === undefined) return;
    const [first, second] = path.split(".") as [string, string | undefined];
    if (second === undefined) writeSetting(overrides as Record<string, unknown>, undefined, first, value);
    else writeSetting(overrides as Record<string, unknown>, first, second, value);
    origins[path] = `flag --${flag}`;
  };
  set("root", "root", values.root);
  set("appId", "app", values.app);
  set("projectId", "project", values.project);
  set("logLevel", "log-level", values["log-level"]);
  set("server.host", "host", values.host);
  set("server.port", "port", values.port === undefined ? undefined : Number(values.port));
  set("server.insecure", "insecure", values.insecure);
  set("localEmbedding.embedder", "embedder", values.embedder);
  const dotEnv = loadDotEnv(process.cwd(), process.env);
  return resolveConfig({
    cwd: process.cwd(),
    env: process.env,
    ...(values.config === undefined ? {} : { configPath: values.config }),
    overrides,
    overrideOrigins: origins,
    ...(dotEnv === undefined ? {} : { envFile: dotEnv }),
  });
}

async function withMemory(config: MemoryConfigInput, run: (memory: Memory) => Promise<number>): Promise<number> {
  const { Memory } = await import("../memory.js");
  const memory = await Memory.open(config);
  try {
    return await run(memory);
  } finally {
    await memory.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const output = outputFor({ json: process.argv.includes("--json") }, process.stderr);
    if (isOmnimemError(error)) {
      if (output.json) process.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
      else process.stderr.write(`${paint(output, "red", `omnimem: ${error.code}`)}: ${error.message}\n`);
      process.exitCode = error instanceof UsageError ? 64 : error.exitCode;
    } else {
      process.stderr.write(`omnimem: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
