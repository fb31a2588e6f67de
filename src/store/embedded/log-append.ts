/**
 * The fast path of an add to a markdown daily log: the new entries are appended to the file
 * (one write at its end) instead of reading, scanning and rewriting it, so an add costs the same
 * whether the day holds 1 entry or 10,000.
 *
 * It only runs when the file is exactly as the catalog last recorded it (its size, stored in the
 * same SQLite transaction as the catalog rows): the bytes appended are then the ones a rewrite
 * with appendEntries would add, so the file reads the same either way. A file of another size
 * (edited by a person, or holding the entries of an add that a crash stopped before its catalog
 * commit) goes through the full read-and-rewrite path, which checks and repairs what it finds.
 *
 * Durability: the write() reaches the OS page cache before the add is acknowledged, so it
 * survives the process being killed (SIGKILL); it is fsynced with the SQLite WAL by the store's
 * periodic sync (see EmbeddedStore), so a power loss can lose at most the last interval's adds.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { MemoryRecord } from "../../spec/types.js";
import { appendEntries, renderEntry, separatorAfter } from "./markdown-log.js";

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Appends `records` (one owner, kind and day, ids not in the file) to the log at `path` and
 * returns its new size in bytes; undefined, having written nothing, when the file is not the
 * `recordedSize` bytes the catalog knows (or, with no size recorded, when the file exists).
 */
export function appendToLog(path: string, recordedSize: number | undefined, records: readonly MemoryRecord[]): number | undefined {
  // Synchronous calls: five small system calls take microseconds, less than the round trips
  // through libuv's thread pool that their async forms cost (and that pool is shared with
  // every other file and DNS operation of the process).
  const first = records[0];
  if (first === undefined || new Set(records.map((record) => record.id)).size !== records.length) return undefined;
  if (recordedSize === undefined) {
    // A new day: the header and the entries, created exclusively (an existing file is not ours to assume).
    const content = appendEntries(undefined, first.scope, first.kind, new Date(first.timestamp).toISOString().slice(0, 10), records);
    mkdirSync(dirname(path), { recursive: true });
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (err) {
      if (errorCode(err) === "EEXIST") return undefined;
      throw err;
    }
    try {
      const bytes = Buffer.from(content, "utf8");
      writeAll(fd, bytes);
      return bytes.length;
    } finally {
      closeSync(fd);
    }
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_APPEND);
  } catch (err) {
    if (errorCode(err) === "ENOENT") return undefined;
    throw err;
  }
  try {
    const { size } = fstatSync(fd);
    if (size !== recordedSize || size < 2) return undefined;
    // The separator depends only on how the file ends ("\n" or "\n\n"): read its last two bytes.
    const tail = Buffer.alloc(2);
    readSync(fd, tail, 0, 2, size - 2);
    let text = "";
    let previous = tail.toString("latin1");
    for (const record of records) {
      const entry = renderEntry(record);
      text += separatorAfter(previous) + entry;
      previous = entry;
    }
    const bytes = Buffer.from(text, "utf8");
    // O_APPEND: the write lands at the end even if the file grew since the stat (it cannot:
    // the store holds the owner's lock and the root's lock).
    writeAll(fd, bytes);
    return size + bytes.length;
  } finally {
    closeSync(fd);
  }
}

/** write(2) may write less than asked (a full disk stops it with an error, not silently). */
function writeAll(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}
