/**
 * Local, offline speech recognition with CMU PocketSphinx, for when no transcription endpoint
 * is configured. Accuracy is far below Whisper's (it is a 2010s HMM recogniser with a generic
 * US-English model), but it needs no network and no GPU.
 *
 * The input is converted to 16 kHz mono 16-bit WAV (ffmpeg, else sox; a WAV already in that
 * shape is used as it is), then recognised by either CLI generation:
 * - `pocketsphinx` (5.x): `pocketsphinx single FILE` prints one JSON object per utterance;
 * - `pocketsphinx_continuous` (0.8, Debian 12's `pocketsphinx` package): `-infile FILE`
 *   prints one hypothesis line per utterance.
 * The English model comes from `pocketsphinx-en-us` (0.8) or is built into 5.x.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { CapabilityUnavailableError, ProviderError, UnsupportedFormatError } from "../../spec/errors.js";
import type { Transcriber } from "../../spec/parser.js";
import { findExecutable, runProcess, stderrTail } from "../../util/external-process.js";

export const POCKETSPHINX_DEBIAN_PACKAGES = ["pocketsphinx", "pocketsphinx-en-us", "ffmpeg"] as const;

export const POCKETSPHINX_INSTALL_HINT = `install pocketsphinx and ffmpeg (Debian/Ubuntu: apt-get install ${POCKETSPHINX_DEBIAN_PACKAGES.join(" ")})`;

export interface PocketsphinxInstallation {
  /** The recogniser and which CLI generation it is. */
  recognizer: { path: string; kind: "pocketsphinx5" | "continuous" };
  /** The converter to 16 kHz mono WAV; undefined when neither ffmpeg nor sox is installed (only such WAVs can be read then). */
  converter: { path: string; kind: "ffmpeg" | "sox" } | undefined;
}

export interface PocketsphinxTranscriberOptions {
  /** Override the detected tools (paths); undefined looks them up on PATH. */
  pocketsphinxPath?: string;
  /** "pocketsphinx5" for the `pocketsphinx` CLI, "continuous" for `pocketsphinx_continuous`. Default: by file name. */
  pocketsphinxKind?: "pocketsphinx5" | "continuous";
  /** ffmpeg or sox path; null: no converter (only 16 kHz mono 16-bit WAV is accepted). */
  converterPath?: string | null;
  /** Time limit per conversion and per recognition. Default 600000 (10 minutes). */
  timeoutMs?: number;
  /** Extra arguments for the recogniser (e.g. `-hmm DIR -lm FILE -dict FILE` for another model). */
  extraArgs?: readonly string[];
  /** Where the per-call temporary folder is made. Default: the OS temp folder. */
  tempDir?: string;
}

let detectedRecognizer: { found: PocketsphinxInstallation["recognizer"] | undefined } | undefined;
let detectedConverter: { found: PocketsphinxInstallation["converter"] } | undefined;

/** Looks for pocketsphinx (and ffmpeg or sox) on PATH, once per process. */
export function detectPocketsphinx(): PocketsphinxInstallation | undefined {
  const recognizer = detectRecognizer();
  return recognizer === undefined ? undefined : { recognizer, converter: detectConverter() };
}

/** Forgets the cached lookups. */
export function resetPocketsphinxDetection(): void {
  detectedRecognizer = undefined;
  detectedConverter = undefined;
}

function detectRecognizer(): PocketsphinxInstallation["recognizer"] | undefined {
  detectedRecognizer ??= { found: recognizerAt(findExecutable(["pocketsphinx", "pocketsphinx_continuous"]), undefined) };
  return detectedRecognizer.found;
}

function detectConverter(): PocketsphinxInstallation["converter"] {
  detectedConverter ??= { found: converterAt(findExecutable(["ffmpeg", "sox"])) };
  return detectedConverter.found;
}

function recognizerAt(
  recognizerPath: string | undefined,
  kind: PocketsphinxInstallation["recognizer"]["kind"] | undefined,
): PocketsphinxInstallation["recognizer"] | undefined {
  if (recognizerPath === undefined) return undefined;
  return { path: recognizerPath, kind: kind ?? (path.basename(recognizerPath).startsWith("pocketsphinx_") ? "continuous" : "pocketsphinx5") };
}

function converterAt(converterPath: string | undefined): PocketsphinxInstallation["converter"] {
  if (converterPath === undefined) return undefined;
  return { path: converterPath, kind: path.basename(converterPath).startsWith("sox") ? "sox" : "ffmpeg" };
}

/** A PocketsphinxTranscriber when pocketsphinx is installed, else undefined. */
export function createLocalTranscriber(options: Omit<PocketsphinxTranscriberOptions, "pocketsphinxPath"> = {}): PocketsphinxTranscriber | undefined {
  return detectPocketsphinx() === undefined ? undefined : new PocketsphinxTranscriber(options);
}

export class PocketsphinxTranscriber implements Transcriber {
  readonly name = "pocketsphinx";

  private readonly options: PocketsphinxTranscriberOptions;
  private readonly timeoutMs: number;

  /** Does no I/O: the tools are looked up on first use. */
  constructor(options: PocketsphinxTranscriberOptions = {}) {
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? 600_000;
  }

  /** The tools this transcriber would use, or undefined when pocketsphinx is missing. */
  get installation(): PocketsphinxInstallation | undefined {
    const { pocketsphinxPath, pocketsphinxKind, converterPath } = this.options;
    const recognizer = pocketsphinxPath === undefined ? detectRecognizer() : recognizerAt(pocketsphinxPath, pocketsphinxKind);
    if (recognizer === undefined) return undefined;
    const converter = converterPath === null ? undefined : converterPath === undefined ? detectConverter() : converterAt(converterPath);
    return { recognizer, converter };
  }

  async transcribe(request: { audio: Uint8Array; mediaType: string; fileName: string; abortSignal?: AbortSignal }): Promise<string> {
    const installation = this.installation;
    if (installation === undefined) {
      throw new CapabilityUnavailableError(`Local transcription needs pocketsphinx, which is not installed: ${POCKETSPHINX_INSTALL_HINT}`, {
        duringParse: true,
        details: { capability: "pocketsphinx" },
      });
    }
    const workDir = await mkdtemp(path.join(this.options.tempDir ?? os.tmpdir(), "omnimem-asr-"));
    try {
      const extension = /\.([a-z0-9]{1,5})$/i.exec(request.fileName)?.[1]?.toLowerCase() ?? "audio";
      const inputPath = path.join(workDir, `input.${extension}`);
      await writeFile(inputPath, request.audio);
      let wavPath = inputPath;
      if (!isRecognizerReadyWav(request.audio)) {
        if (installation.converter === undefined) {
          throw new CapabilityUnavailableError(
            `Local transcription of ${extension} audio needs ffmpeg or sox to convert it to 16 kHz mono WAV: ${POCKETSPHINX_INSTALL_HINT}`,
            { duringParse: true, details: { capability: "ffmpeg" } },
          );
        }
        wavPath = path.join(workDir, "speech.wav");
        await this.convert(installation.converter, inputPath, wavPath, request.abortSignal);
      }
      return await this.recognize(installation.recognizer, wavPath, workDir, request.abortSignal);
    } finally {
      await rm(workDir, { recursive: true, force: true, maxRetries: 3 });
    }
  }

  private async convert(
    converter: NonNullable<PocketsphinxInstallation["converter"]>,
    inputPath: string,
    outputPath: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<void> {
    const args =
      converter.kind === "ffmpeg"
        ? ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", inputPath, "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", "-f", "wav", outputPath]
        : [inputPath, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", outputPath];
    const result = await this.run(converter.path, args, abortSignal);
    if (result.timedOut) {
      throw new UnsupportedFormatError(`Converting the audio with ${converter.kind} took longer than ${this.timeoutMs} ms`);
    }
    if (result.code !== 0) {
      throw new UnsupportedFormatError(`${converter.kind} could not decode the audio: ${stderrTail(result.stderr) || `exit ${String(result.code)}`}`);
    }
  }

  private async recognize(
    recognizer: PocketsphinxInstallation["recognizer"],
    wavPath: string,
    workDir: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<string> {
    const extra = this.options.extraArgs ?? [];
    const args =
      recognizer.kind === "pocketsphinx5"
        ? ["-loglevel", "FATAL", ...extra, "single", wavPath]
        : ["-infile", wavPath, "-logfn", path.join(workDir, "pocketsphinx.log"), ...extra];
    const result = await this.run(recognizer.path, args, abortSignal);
    if (result.timedOut) {
      throw new ProviderError(`pocketsphinx did not finish within ${this.timeoutMs} ms`, { isRetryable: false });
    }
    if (result.code !== 0) {
      throw new ProviderError(`pocketsphinx failed (exit ${String(result.code ?? result.signal)}): ${stderrTail(result.stderr)}`, {
        isRetryable: false,
      });
    }
    return parsePocketsphinxOutput(result.stdout.toString("utf8"), recognizer.kind);
  }

  private run(command: string, args: string[], abortSignal: AbortSignal | undefined) {
    return runProcess(command, args, {
      timeoutMs: this.timeoutMs,
      ...(abortSignal === undefined ? {} : { abortSignal }),
    }).catch((error: unknown) => {
      if (abortSignal?.aborted) throw error;
      throw new CapabilityUnavailableError(`${path.basename(command)} could not be started: ${POCKETSPHINX_INSTALL_HINT}`, {
        cause: error,
        duringParse: true,
      });
    });
  }
}

/**
 * The recognised text: 5.x prints one JSON object per utterance (`{"b":0.0,"d":1.2,"p":1,"t":"text",...}`),
 * 0.8 prints one hypothesis per line (and, with logging on, INFO lines on stderr).
 */
export function parsePocketsphinxOutput(stdout: string, kind: "pocketsphinx5" | "continuous"): string {
  const utterances: string[] = [];
  for (const rawLine of stdout.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.length === 0) continue;
    if (kind === "pocketsphinx5") {
      try {
        const parsed = JSON.parse(line) as { t?: unknown };
        if (typeof parsed.t === "string" && parsed.t.trim().length > 0) utterances.push(parsed.t.trim());
      } catch {
        // Not an utterance line.
      }
    } else if (!/^(?:INFO|WARN|ERROR|FATAL):/.test(line)) {
      utterances.push(line);
    }
  }
  return utterances.join("\n");
}

/** 16-bit PCM, mono, 16 kHz WAV: what the default acoustic model expects, so no conversion is needed. */
export function isRecognizerReadyWav(bytes: Uint8Array): boolean {
  if (bytes.length < 44) return false;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 64));
  if (head.toString("latin1", 0, 4) !== "RIFF" || head.toString("latin1", 8, 12) !== "WAVE" || head.toString("latin1", 12, 16) !== "fmt ") {
    return false;
  }
  const audioFormat = head.readUInt16LE(20);
  const channels = head.readUInt16LE(22);
  const sampleRate = head.readUInt32LE(24);
  const bitsPerSample = head.readUInt16LE(34);
  return audioFormat === 1 && channels === 1 && sampleRate === 16000 && bitsPerSample === 16;
}
