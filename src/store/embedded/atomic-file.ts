/**
 * Small file helpers for the markdown truth: atomic replace (temp file + fsync + rename) and
 * reads/removals that treat a missing file as a normal case.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}

/** A missing file, or a missing/non-directory parent on the way to it. */
function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Best-effort fsync of a directory so that a rename in it is durable (not possible on Windows). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Some platforms and file systems cannot open or fsync a directory; the rename stands.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Replaces `path` with `content` (UTF-8) atomically: creates the parent folders, writes
 * `.<name>.tmp-<pid>-<random>` in the same folder, fsyncs it and renames it over the target.
 * Readers see the old content or the new one, never a part. On failure the temp file is removed.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  if (typeof content !== "string") throw new TypeError("writeFileAtomic: content must be a string");
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx");
    await handle.writeFile(content, "utf8");
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
}

/** The file's UTF-8 content, or undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** Removes the file; true when it existed, false when it did not. */
export async function removeFileIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}
