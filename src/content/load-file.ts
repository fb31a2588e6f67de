import { constants } from "node:fs";
import { open, realpath, stat } from "node:fs/promises";
import { basename, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { FileSizeError, OmnimemError, UriRejectedError } from "../spec/errors.js";

/**
 * file:// URIs for local deployments (the server turns them off beyond loopback). With allowed
 * roots configured, the path is first checked as written (normalised, nothing on disk touched):
 * a path outside gets one answer whether or not it exists, so the check cannot be used to probe
 * the disk. Only then is it resolved with symlinks followed, and the real path must again be
 * inside a root (a symlink may point out), a regular file, and under the size cap.
 */

export interface FileLoadOptions {
  allowFileUris: boolean;
  fileUriMaxBytes: number;
  /** Real-path roots a file must be inside; empty: anywhere. */
  fileUriAllowDirs: readonly string[];
  /** Folders never read, inside allowed roots or not (omnimem's data root: its logs hold every owner's memories). */
  fileUriDenyDirs?: readonly string[];
  path?: string;
}

export interface FileLoadResult {
  bytes: Uint8Array;
  name: string;
  realPath: string;
}

function rejected(message: string, reason: string, options: FileLoadOptions, cause?: unknown): UriRejectedError {
  return new UriRejectedError(message, {
    ...(cause === undefined ? {} : { cause }),
    details: { reason, ...(options.path === undefined ? {} : { path: options.path }) },
  });
}

/** A root as configured (absolute, normalised) and, if it exists, as its real path: a path may name either. */
async function rootForms(directory: string): Promise<string[]> {
  const written = resolve(directory);
  try {
    const real = await realpath(directory);
    return real === written ? [written] : [written, real];
  } catch {
    return [written];
  }
}

async function realRoot(directory: string): Promise<string> {
  try {
    return await realpath(directory);
  } catch {
    return resolve(directory);
  }
}

function isUnder(path: string, root: string): boolean {
  // The trailing separator keeps /srv/uploads from admitting /srv/uploads-private.
  const prefix = root.endsWith(sep) ? root : root + sep;
  return path === root || path.startsWith(prefix);
}

/** Whether a normalised path, as written, lies under an allowed root (the roots may be read from disk; the path is not). */
async function isWrittenInsideAllowedDirs(path: string, allowDirs: readonly string[]): Promise<boolean> {
  if (allowDirs.length === 0) return true;
  for (const directory of allowDirs) {
    for (const root of await rootForms(directory)) if (isUnder(path, root)) return true;
  }
  return false;
}

/** Whether a real path (symlinks resolved) lies under the real path of an allowed root. */
export async function isInsideAllowedDirs(realPath: string, allowDirs: readonly string[]): Promise<boolean> {
  if (allowDirs.length === 0) return true;
  for (const directory of allowDirs) if (isUnder(realPath, await realRoot(directory))) return true;
  return false;
}

/** Whether a real path lies under the real path of any of `directories` (none: false). */
async function isInsideAnyDir(realPath: string, directories: readonly string[]): Promise<boolean> {
  for (const directory of directories) if (isUnder(realPath, await realRoot(directory))) return true;
  return false;
}

/** The one answer for every path outside the roots: it names neither the path nor whether it exists. */
function outsideAllowedDirs(options: FileLoadOptions): UriRejectedError {
  return rejected("the file:// URI is outside the allowed directories (file_uri_allow_dirs)", "outside-allowed-dirs", options);
}

export async function loadFileUri(url: URL, options: FileLoadOptions): Promise<FileLoadResult> {
  if (!options.allowFileUris) throw rejected("file:// URIs are not allowed here", "file-uris-disabled", options);
  const host = url.hostname.toLowerCase();
  if (host !== "" && host !== "localhost") {
    throw rejected(`file:// URI names a remote host (${url.hostname}); only local files can be read`, "remote-host", options);
  }
  let filePath: string;
  try {
    filePath = fileURLToPath(new URL(`file://${url.pathname}`));
  } catch (cause) {
    throw rejected(`invalid file:// URI: ${(cause as Error).message}`, "invalid-path", options, cause);
  }
  // resolve() folds `.` and `..` as written, so the file read is the file checked here.
  filePath = resolve(filePath);
  const shown = filePath;
  if (!(await isWrittenInsideAllowedDirs(filePath, options.fileUriAllowDirs))) throw outsideAllowedDirs(options);

  try {
    let real: string;
    try {
      real = await realpath(filePath);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw rejected(`cannot read ${shown}: ${code === "ENOENT" ? "no such file" : (code ?? "unreadable")}`, "unreachable", options, cause);
    }
    if (!(await isInsideAllowedDirs(real, options.fileUriAllowDirs))) throw outsideAllowedDirs(options);
    if (await isInsideAnyDir(real, options.fileUriDenyDirs ?? [])) {
      throw rejected("the file:// URI names a file in omnimem's own data folder, which is never read as content", "data-root", options);
    }
    // stat before open: opening a FIFO or a device could block or have side effects.
    const info = await stat(real);
    if (!info.isFile()) throw rejected(`${shown} is not a regular file`, "not-a-regular-file", options);
    const tooLarge = (size: number | string): FileSizeError =>
      new FileSizeError(`${shown} is ${size} bytes, over the ${options.fileUriMaxBytes}-byte cap for file:// URIs`, {
        details: { size, maxBytes: options.fileUriMaxBytes, reason: "max-bytes", ...(options.path === undefined ? {} : { path: options.path }) },
      });
    if (info.size > options.fileUriMaxBytes) throw tooLarge(info.size);

    // O_NOFOLLOW and a second fstat: the file checked above is the file read, even if swapped meanwhile.
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const opened = await handle.stat();
      if (!opened.isFile() || opened.ino !== info.ino || opened.dev !== info.dev) {
        throw rejected(`${shown} changed while it was being opened`, "not-a-regular-file", options);
      }
      const limit = options.fileUriMaxBytes;
      const chunks: Buffer[] = [];
      let length = 0;
      // Reads until end of file or one byte past the cap (the file may have grown since the stat).
      while (length <= limit) {
        const chunk = Buffer.alloc(Math.min(Math.max(opened.size - length + 1, 64 * 1024), limit + 1 - length));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, length);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        length += bytesRead;
      }
      if (length > limit) throw tooLarge(`more than ${limit}`);
      const buffer = Buffer.concat(chunks, length);
      return { bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, length), name: basename(real), realPath: real };
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof OmnimemError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw rejected(`cannot read ${shown}: ${code ?? (error as Error).message}`, "unreachable", options, error);
  }
}
