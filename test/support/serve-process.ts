/**
 * `omnimem serve` as a child process (the built CLI, or the sources through tsx: see cli-process.ts), for end-to-end tests:
 * waits for its "listening on <url>" line, keeps its output, and stops it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { CLI_NODE_ARGS } from "./cli-process.js";

export const CLI = join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `omnimem <args>` with `env` added to a clean OMNIMEM_-free environment. */
export function runOmnimem(args: string[], env: Record<string, string> = {}): ChildProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("OMNIMEM_")));
  return spawn(process.execPath, [...CLI_NODE_ARGS, ...args], {
    env: { ...base, OMNIMEM_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

/** Starts `omnimem serve --root <root> --port 0 ...` and waits until it listens. */
export async function startServe(root: string, env: Record<string, string> = {}, extraArgs: string[] = [], timeoutMs = 30_000): Promise<ServeProcess> {
  const child = runOmnimem(["serve", "--root", root, "--port", "0", ...extraArgs], env);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = exitOf(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`omnimem serve did not listen within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`omnimem serve exited (${code ?? signal}) before listening:\n${stderr}`));
    });
  });
  return {
    url,
    child,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** POSTs JSON and returns the status, the parsed body and the headers. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
