/**
 * Finding and running the external programs local parsing relies on (LibreOffice, ffmpeg,
 * sox, pocketsphinx): a PATH lookup, and a child process with a time limit that, on timeout
 * or abort, kills its whole process group (LibreOffice's `soffice` is a launcher that starts
 * `soffice.bin`; killing only the launcher would leave the converter running).
 */
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

/**
 * The absolute path of the first of `names` found as an executable file on `PATH`
 * (`searchPath`), or undefined. Synchronous and cheap; callers cache the answer.
 */
export function findExecutable(names: readonly string[], searchPath: string | undefined = process.env["PATH"]): string | undefined {
  const directories = (searchPath ?? "").split(path.delimiter).filter((entry) => entry.length > 0);
  for (const name of names) {
    if (name.includes("/")) {
      if (isExecutableFile(name)) return path.resolve(name);
      continue;
    }
    for (const directory of directories) {
      const candidate = path.join(directory, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutableFile(candidate: string): boolean {
  try {
    if (!statSync(candidate).isFile()) return false;
    accessSync(candidate, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RunProcessOptions {
  /** Kill the process group once this many milliseconds have passed. */
  timeoutMs: number;
  abortSignal?: AbortSignal;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes of stdout (and separately stderr) kept; the rest is dropped. Default 16 MiB. */
  maxOutputBytes?: number;
}

export interface RunProcessResult {
  /** Exit code; null when the process died from a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** True when the time limit killed it. */
  timedOut: boolean;
}

/**
 * Runs `command` with `args` (no shell) in its own process group. Resolves when it has exited
 * (also after a timeout: check `timedOut`); rejects when it cannot be started (e.g. ENOENT)
 * and with the abort reason when `abortSignal` fires.
 */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions): Promise<RunProcessResult> {
  const { abortSignal } = options;
  const maxOutput = options.maxOutputBytes ?? 16 * 1024 * 1024;
  return new Promise<RunProcessResult>((resolve, reject) => {
    if (abortSignal?.aborted) {
      reject(abortSignal.reason);
      return;
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that a timeout can kill every process it started.
      detached: true,
    });
    const stdout = new OutputCollector(maxOutput);
    const stderr = new OutputCollector(maxOutput);
    child.stdout.on("data", (chunk: Buffer) => stdout.add(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.add(chunk));

    let timedOut = false;
    let settled = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = (): void => {
      killGroup();
      finish(() => reject(abortSignal?.reason));
    };
    abortSignal?.addEventListener("abort", onAbort, { once: true });

    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abortSignal?.removeEventListener("abort", onAbort);
      settle();
    };

    child.once("error", (error) => finish(() => reject(error)));
    child.once("exit", () => {
      // Helpers it left behind (LibreOffice's soffice.bin when the launcher gave up) go too;
      // they would also keep the output pipes open and "close" would never come.
      killGroup();
    });
    child.once("close", (code, signal) => {
      finish(() => resolve({ code, signal, stdout: stdout.buffer(), stderr: stderr.buffer(), timedOut }));
    });
  });
}

class OutputCollector {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    if (this.size >= this.limit) return;
    const kept = chunk.length <= this.limit - this.size ? chunk : chunk.subarray(0, this.limit - this.size);
    this.chunks.push(kept);
    this.size += kept.length;
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/** The last `maxChars` characters of a process's stderr, on one line, for error messages. */
export function stderrTail(stderr: Buffer, maxChars = 300): string {
  const text = stderr.toString("utf8").replace(/\s+/g, " ").trim();
  return text.length <= maxChars ? text : `…${text.slice(-maxChars)}`;
}
