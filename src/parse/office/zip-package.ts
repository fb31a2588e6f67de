/**
 * Opening the zip packages that OOXML (docx, xlsx, pptx) and OpenDocument files are, with a
 * guard against zip bombs: the central directory's declared sizes are checked before anything
 * is inflated, and what the entries really inflate to is checked against them (verifyZipExpansion)
 * before a reader that trusts them gets the bytes. Plus the few XML helpers the hand-written
 * extractors share.
 */
import type JSZip from "jszip";
import { inflateRawSync } from "node:zlib";
import type { ZipFile as YauzlZipFile } from "yauzl";

import { FileSizeError, UnsupportedFormatError } from "../../spec/errors.js";

export interface ZipLimits {
  /** Sum of the declared uncompressed sizes of all entries. Default 512 MiB. */
  maxUncompressedBytes: number;
  /** Entries in the package. Default 20000. */
  maxEntries: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = {
  maxUncompressedBytes: 512 * 1024 * 1024,
  maxEntries: 20_000,
};

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;

/**
 * Sums the uncompressed sizes the central directory declares. Returns undefined when the
 * directory cannot be found (JSZip will then report the file as broken).
 */
export function declaredZipExpansion(bytes: Uint8Array): { entries: number; uncompressedBytes: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is 22 bytes plus a comment of up to 65535 bytes, at the very end.
  const earliest = Math.max(0, bytes.length - 22 - 0xffff);
  let end = -1;
  for (let offset = bytes.length - 22; offset >= earliest; offset--) {
    if (view.getUint32(offset, true) === END_OF_CENTRAL_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end < 0) return undefined;
  const entryCount = view.getUint16(end + 10, true);
  const directoryOffset = view.getUint32(end + 16, true);
  let offset = directoryOffset;
  let uncompressedBytes = 0;
  let entries = 0;
  // ZIP64 packages mark the counts with 0xffff / 0xffffffff; treat them as "too large to tell".
  if (entryCount === 0xffff || directoryOffset === 0xffffffff) {
    return { entries: Number.MAX_SAFE_INTEGER, uncompressedBytes: Number.MAX_SAFE_INTEGER };
  }
  for (let index = 0; index < entryCount; index++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL_DIRECTORY_ENTRY) return undefined;
    const size = view.getUint32(offset + 24, true);
    uncompressedBytes += size === 0xffffffff ? Number.MAX_SAFE_INTEGER : size;
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    offset += 46 + nameLength + extraLength + commentLength;
    entries++;
  }
  return { entries, uncompressedBytes };
}

/** Throws FileSizeError when the package would inflate past the limits. */
export function checkZipExpansion(bytes: Uint8Array, what: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): void {
  const declared = declaredZipExpansion(bytes);
  if (declared === undefined) return;
  if (declared.entries > limits.maxEntries || declared.uncompressedBytes > limits.maxUncompressedBytes) {
    throw new FileSizeError(
      `The ${what} package expands past the limit (${limits.maxEntries} entries, ${limits.maxUncompressedBytes} bytes uncompressed)`,
      { details: { entries: declared.entries, uncompressedBytes: declared.uncompressedBytes, ...limits } },
    );
  }
}

/**
 * The declared sizes are the sender's word: a 1 MB package can declare 100 bytes for an entry
 * that inflates to a gigabyte, and readers (JSZip, exceljs, mammoth, LibreOffice) inflate what
 * is there. So every compressed entry is inflated once here, its output capped at the size it
 * declares and then dropped: the whole pass inflates at most the declared total, which
 * checkZipExpansion has already bounded. A package that lies is FileSizeError; one that cannot
 * be read is UnsupportedFormatError. yauzl reads the central directory and the local headers as
 * the spec says; small entries are inflated in one call (zlib's maxOutputLength stops at the
 * cap), large ones as a stream that yauzl stops at the first byte past the declared size, so a
 * big entry does not hold the event loop. (Measured on the corpus' 13-38 KB docx and pptx, 2
 * busy cores: a stream for every entry added 13-18 ms to a parse that takes 2-7 ms without the
 * check; one call per small entry adds 3-4 ms.)
 */
export async function verifyZipExpansion(bytes: Uint8Array, what: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<void> {
  checkZipExpansion(bytes, what, limits);
  const { fromBufferPromise } = await import("yauzl");
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zip: YauzlZipFile;
  try {
    zip = await fromBufferPromise(buffer, { lazyEntries: true, validateEntrySizes: true, decodeStrings: false });
  } catch (error) {
    throw new UnsupportedFormatError(`The ${what} file is not a readable zip package`, { cause: error });
  }
  let entryName = "";
  try {
    for await (const entry of zip.eachEntry()) {
      entryName = new TextDecoder().decode(entry.fileName as unknown as Uint8Array);
      if (entry.compressionMethod === DEFLATE && entry.uncompressedSize <= INFLATE_IN_ONE_CALL_BYTES) {
        const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
        inflateCapped(buffer.subarray(fileDataStart, fileDataStart + entry.compressedSize), entry.uncompressedSize);
      } else {
        for await (const chunk of await zip.openReadStreamPromise(entry)) void chunk;
      }
    }
  } catch (error) {
    if (isSizeLie(error)) {
      throw new FileSizeError(`The ${what} package's entry ${entryName} inflates to more than it declares (a zip bomb); refused`, {
        cause: error,
        details: { entry: entryName, reason: "zip-sizes-lie", ...limits },
      });
    }
    throw damagedEntry(entryName, error);
  } finally {
    zip.close();
  }
}

const DEFLATE = 8;
/** Entries up to this size are inflated in one synchronous call; larger ones stream. */
const INFLATE_IN_ONE_CALL_BYTES = 4 * 1024 * 1024;

class SizeLie extends Error {}

/** Inflates a raw deflate stream that must give exactly `declared` bytes; SizeLie past them. */
function inflateCapped(compressed: Uint8Array, declared: number): void {
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(compressed, { maxOutputLength: Math.max(1, declared) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new SizeLie("too many bytes in the entry", { cause: error });
    throw error;
  }
  if (inflated.length !== declared) throw new Error(`the entry inflates to ${inflated.length} bytes, not the ${declared} it declares`);
}

function isSizeLie(error: unknown): boolean {
  // yauzl's stream says "too many bytes in the stream" when an entry passes its declared size.
  return error instanceof SizeLie || /too many bytes/i.test((error as Error).message);
}

/** Whether bytes start as a zip package does (a local file header). */
export function isZipPackage(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Opens a zip package after the expansion check; a file that is not a zip is UnsupportedFormatError. */
export async function openZipPackage(bytes: Uint8Array, what: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<JSZip> {
  checkZipExpansion(bytes, what, limits);
  try {
    // jszip is imported with the first office file, not at startup.
    const { default: zip } = await import("jszip");
    return await zip.loadAsync(bytes);
  } catch (error) {
    throw new UnsupportedFormatError(`The ${what} file is not a readable zip package`, { cause: error });
  }
}

/** An entry's text, or undefined when the package has no such entry. */
export async function readZipText(zip: JSZip, entryPath: string): Promise<string | undefined> {
  const bytes = await readZipBytes(zip, entryPath);
  return bytes === undefined ? undefined : new TextDecoder("utf-8").decode(bytes);
}

/** An entry's bytes, or undefined when the package has no such entry; a damaged entry is UnsupportedFormatError, not JSZip's own error. */
export async function readZipBytes(zip: JSZip, entryPath: string): Promise<Uint8Array | undefined> {
  const entry = zip.file(entryPath);
  if (entry === null) return undefined;
  try {
    return await entry.async("uint8array");
  } catch (error) {
    throw damagedEntry(entryPath, error);
  }
}

function damagedEntry(entryPath: string, cause: unknown): UnsupportedFormatError {
  return new UnsupportedFormatError(`The package's entry ${entryPath} is damaged (truncated or corrupt)`, { cause, details: { entry: entryPath, reason: "corrupt" } });
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes the five XML entities and numeric character references. */
export function decodeXmlEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith("#x")) return codePointToString(Number.parseInt(body.slice(2), 16)) ?? whole;
    if (body.startsWith("#")) return codePointToString(Number.parseInt(body.slice(1), 10)) ?? whole;
    return NAMED_ENTITIES[body] ?? whole;
  });
}

function codePointToString(codePoint: number): string | undefined {
  return Number.isInteger(codePoint) && codePoint >= 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : undefined;
}

/** The value of `name` in an XML start tag's attribute text, entities decoded. */
export function xmlAttribute(attributes: string, name: string): string | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`(?:^|\\s)${escaped}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attributes);
  const value = match?.[1] ?? match?.[2];
  return value === undefined ? undefined : decodeXmlEntities(value);
}

/** Folds runs of blank lines and trailing spaces, and trims the ends. */
export function tidyText(text: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0]+$/u, ""))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
