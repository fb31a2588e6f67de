/**
 * Local OCR with tesseract.js: WebAssembly Tesseract in worker threads, so recognition runs off
 * the main thread and a server stays responsive while a scan is read.
 *
 * Offline by construction: the English model comes from the `@tesseract.js-data/eng` npm
 * package (the LSTM "best_int" model tesseract.js itself would fetch from a CDN) and is read
 * from node_modules; `cacheMethod: "none"` keeps tesseract.js from writing a copy into the
 * working directory. Nothing is downloaded at run time.
 *
 * The pool (a scheduler over N workers, N = min(2, CPUs) by default) starts on the first
 * `recognize`, not in the constructor; `close()` ends it, and so does an idle timer, so a
 * process that forgets `close()` still exits a little after its last OCR.
 */
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import path from "node:path";

import type { Page, Scheduler, Worker } from "tesseract.js";

import { CapabilityUnavailableError, InternalError, InvalidImageError } from "../../spec/errors.js";
import type { OcrEngine } from "../../spec/parser.js";

export interface TesseractOcrOptions {
  /** Worker threads in the pool. Default min(2, available CPUs). */
  workers?: number;
  /** Tesseract language codes. Default ["eng"], the only one bundled; others need `langPath`. */
  languages?: readonly string[];
  /** Folder holding `<lang>.traineddata.gz`. Default: the `@tesseract.js-data/eng` package's LSTM model. */
  langPath?: string;
  /**
   * Lines tesseract is less sure of than this (0–100) are dropped: on photos without text it
   * "reads" leaves and shadows as punctuation soup at 0–35, while real text scores 60–96. Default 40; 0 keeps everything.
   */
  minLineConfidence?: number;
  /** Terminates the pool after this long without work; the next call starts it again. Default 30000; 0 keeps it until `close()`. */
  idleTimeoutMs?: number;
}

/** The folder inside `@tesseract.js-data/<lang>` holding the integer-quantised LSTM model (what tesseract.js uses by default). */
const BEST_INT_FOLDER = "4.0.0_best_int";
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_MIN_LINE_CONFIDENCE = 40;
/** Loading the English model takes well under a second; this only catches a worker that never answers. */
const WORKER_START_TIMEOUT_MS = 60_000;

const require = createRequire(import.meta.url);

/** Where the bundled English model lies, or undefined when the package is not installed. */
export function bundledEnglishLangPath(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve("@tesseract.js-data/eng/package.json")), BEST_INT_FOLDER);
  } catch {
    return undefined;
  }
}

interface Pool {
  scheduler: Scheduler;
  workers: Worker[];
}

interface PendingJob {
  reject: (reason: unknown) => void;
}

export class TesseractOcr implements OcrEngine {
  readonly name = "tesseract.js";
  readonly workerCount: number;
  readonly languages: readonly string[];

  private readonly langPath: string | undefined;
  private readonly idleTimeoutMs: number;
  private readonly minLineConfidence: number;
  private pool: Promise<Pool> | undefined;
  private readonly pending = new Set<PendingJob>();
  /** recognize() calls in progress, including those still waiting for the pool to start. */
  private active = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: TesseractOcrOptions = {}) {
    const workers = options.workers ?? Math.min(2, availableParallelism());
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be an integer >= 1, got ${String(workers)}`);
    this.workerCount = workers;
    this.languages = options.languages === undefined || options.languages.length === 0 ? ["eng"] : [...options.languages];
    for (const language of this.languages) {
      if (!/^[A-Za-z_]+$/.test(language)) throw new RangeError(`bad tesseract language code ${JSON.stringify(language)}`);
    }
    this.langPath = options.langPath;
    const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (!Number.isInteger(idle) || idle < 0) throw new RangeError(`idleTimeoutMs must be an integer >= 0, got ${String(idle)}`);
    this.idleTimeoutMs = idle;
    const confidence = options.minLineConfidence ?? DEFAULT_MIN_LINE_CONFIDENCE;
    if (!(confidence >= 0 && confidence <= 100)) throw new RangeError(`minLineConfidence must be within 0–100, got ${String(confidence)}`);
    this.minLineConfidence = confidence;
  }

  /** Whether the worker pool is running now. */
  get started(): boolean {
    return this.pool !== undefined;
  }

  /**
   * The text tesseract reads in an image (PNG, JPEG, BMP, ... as bytes). Aborting stops the
   * wait at once; the worker finishes the page in the background.
   */
  async recognize(image: Uint8Array, abortSignal?: AbortSignal): Promise<string> {
    if (this.closed) throw new CapabilityUnavailableError("OCR engine is closed", { duringParse: true });
    abortSignal?.throwIfAborted();
    this.clearIdleTimer();
    this.active++;
    let job: PendingJob | undefined;
    try {
      const starting = this.startPool();
      const pool = await starting;
      // close() may have run while the pool was starting; its workers are gone.
      if (this.pool !== starting) throw new CapabilityUnavailableError("OCR engine was closed", { duringParse: true });
      abortSignal?.throwIfAborted();
      const result = await new Promise<string>((resolve, reject) => {
        const entry: PendingJob = { reject };
        job = entry;
        this.pending.add(entry);
        const onAbort = (): void => reject(abortSignal?.reason);
        abortSignal?.addEventListener("abort", onAbort, { once: true });
        pool.scheduler
          .addJob("recognize", Buffer.from(image.buffer, image.byteOffset, image.byteLength), {}, { text: true, blocks: true })
          .then(
            (output) => resolve(confidentText(output.data, this.minLineConfidence)),
            (error: unknown) => reject(recognitionError(error)),
          )
          .finally(() => abortSignal?.removeEventListener("abort", onAbort));
      });
      return result;
    } finally {
      this.active--;
      if (job !== undefined) this.pending.delete(job);
      this.armIdleTimer();
    }
  }

  /** Terminates the workers; jobs still waiting are rejected. Further `recognize` calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopPool();
  }

  // -------------------------------------------------------------------------------------

  private startPool(): Promise<Pool> {
    this.pool ??= this.createPool().catch((error: unknown) => {
      this.pool = undefined;
      throw error;
    });
    return this.pool;
  }

  private async createPool(): Promise<Pool> {
    const langPath = this.langPath ?? bundledEnglishLangPath();
    if (langPath === undefined) {
      throw new CapabilityUnavailableError(
        "Local OCR needs the @tesseract.js-data/eng package (npm install @tesseract.js-data/eng), or a langPath",
        { duringParse: true },
      );
    }
    // tesseract.js never settles createWorker when a language fails to load (it hands the error
    // to errorHandler and waits forever), so missing files are found here first.
    const gzip = await this.checkLanguageFiles(langPath);
    // tesseract.js is imported with the first OCR job, not at startup.
    const tesseract = await import("tesseract.js");
    const scheduler = tesseract.createScheduler();
    const workers: Worker[] = [];
    try {
      const created = await Promise.all(
        Array.from({ length: this.workerCount }, () => startWorker(tesseract, [...this.languages], langPath, gzip)),
      );
      for (const worker of created) {
        guardWorkerThread(worker);
        workers.push(worker);
        scheduler.addWorker(worker);
      }
    } catch (error) {
      await Promise.allSettled(workers.map((worker) => worker.terminate()));
      throw new CapabilityUnavailableError(
        `Local OCR (tesseract.js) could not start with languages ${this.languages.join("+")} from ${langPath}: ${errorText(error)}`,
        { duringParse: true, cause: error },
      );
    }
    return { scheduler, workers };
  }

  /** Whether the folder holds gzipped models; throws when a language has no model there. */
  private async checkLanguageFiles(langPath: string): Promise<boolean> {
    let gzip: boolean | undefined;
    for (const language of this.languages) {
      const candidates = [
        { file: path.join(langPath, `${language}.traineddata.gz`), gzip: true },
        { file: path.join(langPath, `${language}.traineddata`), gzip: false },
      ];
      let found: boolean | undefined;
      for (const candidate of candidates) {
        if (await isFile(candidate.file)) {
          found = candidate.gzip;
          break;
        }
      }
      if (found === undefined) {
        throw new CapabilityUnavailableError(
          `Local OCR has no model for language "${language}": neither ${language}.traineddata.gz nor ${language}.traineddata is in ${langPath}`,
          { duringParse: true, details: { capability: "ocr", language, langPath } },
        );
      }
      if (gzip !== undefined && gzip !== found) {
        throw new CapabilityUnavailableError(`Local OCR needs all models in ${langPath} gzipped, or none`, { duringParse: true });
      }
      gzip = found;
    }
    return gzip ?? true;
  }

  private async stopPool(): Promise<void> {
    this.clearIdleTimer();
    const pool = this.pool;
    this.pool = undefined;
    for (const job of this.pending) job.reject(new CapabilityUnavailableError("OCR engine was closed", { duringParse: true }));
    this.pending.clear();
    if (pool === undefined) return;
    const started = await pool.catch(() => undefined);
    if (started === undefined) return;
    // The scheduler's own terminate does not wait for its workers.
    await Promise.allSettled(started.workers.map((worker) => worker.terminate()));
  }

  private armIdleTimer(): void {
    if (this.idleTimeoutMs === 0 || this.closed || this.active > 0 || this.pool === undefined) return;
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.active === 0) void this.stopPool();
    }, this.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

/** The recognised text without its unconfident lines: paragraphs apart by a blank line, lines by a newline. */
export function confidentText(page: Page, minLineConfidence: number): string {
  if (page.blocks === null || page.blocks === undefined) return tidyLines(page.text ?? "");
  const paragraphs: string[] = [];
  for (const block of page.blocks) {
    for (const paragraph of block.paragraphs) {
      const lines = paragraph.lines
        .filter((line) => line.confidence >= minLineConfidence)
        .map((line) => line.text.trim())
        .filter((line) => line.length > 0);
      if (lines.length > 0) paragraphs.push(lines.join("\n"));
    }
  }
  return tidyLines(paragraphs.join("\n\n"));
}

function tidyLines(text: string): string {
  return text.replace(/[ \t]+\n/g, "\n").trim();
}

/** One worker, or a rejection when its start fails or stalls (tesseract.js reports some start failures only to errorHandler). */
function startWorker(tesseract: typeof import("tesseract.js"), languages: string[], langPath: string, gzip: boolean): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`worker did not start within ${WORKER_START_TIMEOUT_MS} ms`))), WORKER_START_TIMEOUT_MS);
    tesseract.createWorker(languages, tesseract.OEM.LSTM_ONLY, {
      langPath,
      cacheMethod: "none",
      gzip,
      logger: () => {},
      // Without a handler tesseract.js rethrows a failed job inside its message listener, an
      // uncaught exception; the job's own promise is rejected either way.
      errorHandler: (error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(errorText(error)))),
    }).then(
      (worker) => {
        if (settled) void worker.terminate();
        else settle(() => resolve(worker));
      },
      (error: unknown) => settle(() => reject(error)),
    );
  });
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** tesseract.js never listens for its thread's `error` event; an unhandled one would crash the process. */
function guardWorkerThread(worker: Worker): void {
  const thread = (worker as unknown as { worker?: { on?: (event: string, listener: (error: unknown) => void) => void } }).worker;
  thread?.on?.("error", () => {});
}

function recognitionError(error: unknown): Error {
  const text = errorText(error);
  // Leptonica's words for bytes it cannot decode.
  if (/read|image|pix|format/i.test(text)) {
    return new InvalidImageError(`OCR could not read the image: ${text}`, { cause: error });
  }
  return new InternalError(`OCR failed: ${text}`, { cause: error });
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
}
