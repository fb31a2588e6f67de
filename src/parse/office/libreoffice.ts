/**
 * Office documents to PDF (or another format) with LibreOffice in headless mode. Each conversion gets its own
 * temporary folder holding the input, the output and a fresh LibreOffice profile
 * (`-env:UserInstallation`), so conversions can run side by side (a shared profile is locked by
 * the first soffice that opens it) and nothing is left behind. A time limit kills the whole
 * process group.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { CapabilityUnavailableError, UnsupportedFormatError } from "../../spec/errors.js";
import { findExecutable, runProcess, stderrTail, type RunProcessResult } from "../../util/external-process.js";

/** What CI images and users install to get the LibreOffice path (Debian/Ubuntu). */
// A font package too: a bare image without fonts gives PDFs whose text cannot be extracted.
export const LIBREOFFICE_DEBIAN_PACKAGES = ["libreoffice-core", "libreoffice-writer", "libreoffice-calc", "libreoffice-impress", "fonts-dejavu-core"] as const;

export const LIBREOFFICE_INSTALL_HINT = `install LibreOffice (Debian/Ubuntu: apt-get install ${LIBREOFFICE_DEBIAN_PACKAGES.join(" ")}) so that soffice is on PATH`;

/**
 * The settings every conversion's fresh profile starts with. A document is the caller's, and
 * LibreOffice would otherwise follow what it links: a linked image (`xlink:href` to an http(s) or
 * file:// address) is fetched while the document is laid out, so a document could make the
 * server request loopback or private addresses that URL payloads may not reach, or read local
 * files into the text. `BlockUntrustedRefererLinks` refuses links from a document outside the
 * trusted locations (none are configured): the linked image is left out, the rest converts.
 * Macros never run (`DisableMacrosExecution`).
 */
const LOCKED_DOWN_PROFILE = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
`;

let detected: { path: string | undefined } | undefined;

/** `soffice` (or `libreoffice`) on PATH, looked up once per process. */
export function detectSoffice(): string | undefined {
  detected ??= { path: findExecutable(["soffice", "libreoffice"]) };
  return detected.path;
}

/** Forgets the cached lookup (tests, or after installing LibreOffice at run time). */
export function resetSofficeDetection(): void {
  detected = undefined;
}

export interface LibreOfficeConversionOptions {
  sofficePath: string;
  timeoutMs: number;
  abortSignal?: AbortSignal;
  /** Where the per-conversion folder is made. Default: the OS temp folder. */
  tempDir?: string;
}

/**
 * Converts `bytes` (a document whose format is `extension`, e.g. "docx") to PDF.
 * Throws UnsupportedFormatError when LibreOffice cannot read the file or runs past the time
 * limit, CapabilityUnavailableError when soffice cannot be started.
 */
export function convertToPdf(bytes: Uint8Array, extension: string, options: LibreOfficeConversionOptions): Promise<Uint8Array> {
  return convertWithLibreOffice(bytes, extension, "pdf", options);
}

/**
 * Converts `bytes` (format `extension`) to the format `target` names ("pdf", "xlsx", "docx",
 * ...: LibreOffice picks the export filter from the document type). Errors as for convertToPdf.
 */
export async function convertWithLibreOffice(
  bytes: Uint8Array,
  extension: string,
  target: string,
  options: LibreOfficeConversionOptions,
): Promise<Uint8Array> {
  if (!/^[a-z0-9]{1,8}$/.test(target)) throw new RangeError(`Not a LibreOffice target format: ${target}`);
  const safeExtension = /^[a-z0-9]{1,8}$/i.test(extension) ? extension.toLowerCase() : "bin";
  const workDir = await mkdtemp(path.join(options.tempDir ?? os.tmpdir(), "omnimem-office-"));
  try {
    // Our own file name: the caller's name may hold anything, and LibreOffice names the output after it.
    const inputPath = path.join(workDir, `document.${safeExtension}`);
    const outputDir = path.join(workDir, "out");
    const profileDir = path.join(workDir, "profile");
    await writeFile(inputPath, bytes);
    await mkdir(path.join(profileDir, "user"), { recursive: true });
    await writeFile(path.join(profileDir, "user", "registrymodifications.xcu"), LOCKED_DOWN_PROFILE);
    const args = [
      `-env:UserInstallation=${pathToFileURL(profileDir).href}`,
      "--headless",
      "--invisible",
      "--nologo",
      "--nodefault",
      "--nolockcheck",
      "--norestore",
      "--convert-to",
      target,
      "--outdir",
      outputDir,
      inputPath,
    ];
    let result: RunProcessResult;
    try {
      result = await runProcess(options.sofficePath, args, {
        timeoutMs: options.timeoutMs,
        cwd: workDir,
        // HOME and TMPDIR inside the work folder: LibreOffice writes caches and lock files there.
        env: { ...process.env, HOME: workDir, TMPDIR: workDir, SAL_USE_VCLPLUGIN: "svp" },
        ...(options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal }),
      });
    } catch (error) {
      if (options.abortSignal?.aborted) throw error;
      throw new CapabilityUnavailableError(`LibreOffice (${options.sofficePath}) could not be started; ${LIBREOFFICE_INSTALL_HINT}`, {
        cause: error,
        duringParse: true,
      });
    }
    if (result.timedOut) {
      throw new UnsupportedFormatError(`LibreOffice did not convert the ${safeExtension} file within ${options.timeoutMs} ms`, {
        details: { format: safeExtension, timeoutMs: options.timeoutMs, reason: "timeout" },
      });
    }
    let converted: Buffer;
    try {
      converted = await readFile(path.join(outputDir, `document.${target}`));
    } catch (error) {
      throw new UnsupportedFormatError(
        `LibreOffice could not convert the ${safeExtension} file to ${target} (exit ${String(result.code ?? result.signal)})`,
        // LibreOffice's own output is for the logs: it names its internals and temporary paths.
        { cause: new Error(stderrTail(result.stderr) || "no output", { cause: error }), details: { format: safeExtension, target, exitCode: result.code } },
      );
    }
    return new Uint8Array(converted.buffer, converted.byteOffset, converted.byteLength);
  } finally {
    await rm(workDir, { recursive: true, force: true, maxRetries: 3 });
  }
}
