import { parseArgs } from "node:util";
import { ValidationError } from "../spec/errors.js";

export const USAGE = `omnimem: long-term memory for AI agents

Usage: omnimem <command> [options]

  demo [--keep]                      make an image, a PDF and an email, ingest and search them (offline)
  init [--dir .] [--force]           write omnimem.toml (every setting, commented) and a .env template
  config show                        the effective configuration, secrets masked, and where each value came from
  serve [--host h] [--port p] [--insecure]
                                     the HTTP API (EverOS's routes); prints "listening on <url>"; stops on SIGTERM
                                     (also the MCP server at /mcp, streamable HTTP)
  mcp (--user u | --agent a) [--session s] [--run r]
                                     an MCP server on stdin/stdout (Claude Desktop, Claude Code, Cursor) for one owner
  add (--user u | --agent a) [--session s] [--run r] [--metadata json] [--no-infer] [--no-flush] <text and files...>
                                     one turn: words are its text, arguments naming files are attached
  search (--user u | --agent a) [--method keyword|vector|hybrid|agentic] [--limit n]
         [--session s] [--filters json] [--threshold x] <query...>
  get <id> [--user u] [--agent a] [--run r]
                                     one memory (with --user/--agent: only if it is that owner's)
  get (--user u | --agent a) [--kind episode|fact] [--session s] [--limit n] [--cursor c]
                                     an owner's memories, newest first
  flush (--user u | --agent a) --session s
                                     make an episode of what the session has buffered
  delete <id> [--user u] [--agent a] | delete (--user u | --agent a) --all
  update <id> [--user u] [--agent a] [--metadata json] <new text...>
                                     change a memory's text and/or metadata (the old text stays in its history)
  history <id> [--user u] [--agent a]
                                     every change of a memory (also once deleted)
  import [--format jsonl|longmemeval|locomo|files] [--user u | --agent a] [--no-infer] <paths...>
                                     conversations (JSONL in OpenAI or EverOS shape, LongMemEval, LoCoMo)
                                     or folders of files; rerun after an interruption: nothing is stored twice
  export [--format jsonl|markdown] [--out path] [--user u | --agent a] [--kind k] [--force]
                                     JSONL to stdout or a file; markdown: the log files into a folder
  reindex [--embedder word-vectors|hashed]
                                     rebuild the catalog and the search index from the markdown files;
                                     --embedder moves the root to that local embedder (re-embeds everything)
  copy --to <root | postgres://...> [--from <root | postgres://...>]
                                     every memory with its history into another backend (default source: the
                                     configured one), re-indexed there; rerun after an interruption copies the rest
  migrate [postgres://...]           apply the PostgreSQL backend's pending schema steps (URL: argument or
                                     $OMNIMEM_STORE__URL; servers also apply them at start)
  doctor                             check capabilities, model endpoints, tools, disk and consistency

Options for every command:
  --root <dir>        data root (root in omnimem.toml, $OMNIMEM_ROOT; default ~/.omnimem)
  --config <file>     settings file (default: ./omnimem.toml, or $OMNIMEM_CONFIG); ./.env is read too
  --app <id>, --project <id>
                      the app and project to act in (default: "default")
  --log-level <l>     fatal|error|warn|info|debug|trace|silent (logs go to stderr)
  --json              one JSON document on stdout, for scripts; errors as {"error": {code, message}}
  -h, --help          this help

Settings come from defaults < omnimem.toml < OMNIMEM_<SECTION>__<KEY> variables < options.
Exit status: 0 ok; 64 usage; 65 invalid input; 66-69 unreadable content; 70 capability missing;
71 not found; 72 model provider failed; 76 index mismatch (run reindex); 77 root in use; 1 other.
`;

const OPTIONS = {
  root: { type: "string" },
  config: { type: "string" },
  app: { type: "string" },
  project: { type: "string" },
  "log-level": { type: "string" },
  user: { type: "string" },
  agent: { type: "string" },
  session: { type: "string" },
  run: { type: "string" },
  metadata: { type: "string" },
  infer: { type: "boolean" },
  flush: { type: "boolean" },
  method: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  kind: { type: "string" },
  filters: { type: "string" },
  threshold: { type: "string" },
  all: { type: "boolean", default: false },
  format: { type: "string" },
  out: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  dir: { type: "string" },
  force: { type: "boolean", default: false },
  keep: { type: "boolean", default: false },
  host: { type: "string" },
  port: { type: "string" },
  insecure: { type: "boolean" },
  json: { type: "boolean", default: false },
  embedder: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export type CliValues = ReturnType<typeof parseCommandLine>["values"];

/** Parses the command line; an unknown option or a missing value is a usage error. */
export function parseCommandLine(argv: readonly string[]) {
  try {
    // allowNegative: --no-infer, --no-flush.
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, allowNegative: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * A command line that does not parse: exit 64 (EX_USAGE), with the help's pointer. Flags and
 * their values are usage (a --limit that is not a number, a --format not offered); what the
 * command is given to store or read (the text, a file, an id) is input, INVALID_INPUT (65).
 */
export class UsageError extends ValidationError {
  readonly usage = true;
  /** `path`: the flag at fault, as INVALID_INPUT's details name a field. */
  constructor(message: string, path?: string) {
    super(`${message}; see omnimem --help`, path === undefined ? {} : { details: { path } });
  }
}

export function integerOption(value: string | undefined, name: string, range: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < range.min || number > range.max) {
    throw new UsageError(`--${name} must be an integer in ${range.min}..${range.max} (got ${JSON.stringify(value)})`, name);
  }
  return number;
}

export function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number)) throw new UsageError(`--${name} must be a number (got ${JSON.stringify(value)})`, name);
  return number;
}

export function jsonOption(value: string | undefined, name: string): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--${name} must be JSON: ${(error as Error).message}`, name);
  }
}

export function requireWords(words: readonly string[], what: string): string {
  const text = words.join(" ").trim();
  if (text === "") throw new UsageError(`missing ${what}`);
  return text;
}
