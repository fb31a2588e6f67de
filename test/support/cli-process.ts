import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The CLI's source entry, run the way `npx omnimem` runs the built one. */
export const CLI_ENTRY = join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");

/**
 * tsx's loader by absolute URL: `--import tsx` would be resolved from the child's working
 * directory, and the tests run the CLI from temporary folders, as users do.
 */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

const DIST_ENTRY = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");

/** Newest modification time of the files under `dir` (0 when it is missing). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * Node arguments that start the CLI: the built `dist/` (as `npx omnimem` runs it) when it is newer
 * than every source file, else the sources through tsx. A clean checkout builds on `npm install`,
 * so CI runs the built CLI; through tsx each call compiles about a thousand modules first, which
 * took 5-9 s a call on a busy 2-core machine. Edited sources are never shadowed by a stale build.
 */
export const CLI_NODE_ARGS: readonly string[] = (() => {
  const built = existsSync(DIST_ENTRY) ? statSync(DIST_ENTRY).mtimeMs : 0;
  const fresh = built > 0 && built >= newestMtime(join(import.meta.dirname, "..", "..", "src"));
  return fresh ? [DIST_ENTRY] : ["--import", TSX_LOADER, CLI_ENTRY];
})();

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `omnimem <args>` as a child process. The environment is the caller's minus OMNIMEM_*
 * settings (a developer's own must not leak into a test), plus `env`; stdin is closed and
 * stdout is a pipe, so the CLI sees no terminal: no colour, no progress bar.
 */
export function omnimem(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("OMNIMEM_")) env[name] = value;
  Object.assign(env, options.env);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...CLI_NODE_ARGS, ...args],
      { cwd: options.cwd, env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Parses stdout as the one JSON document `--json` promises, with the output in the message when it is not. */
export function jsonOf<T = unknown>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}
