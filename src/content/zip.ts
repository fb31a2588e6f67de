import { inflateRawSync } from "node:zlib";

/**
 * Just enough ZIP reading to tell OOXML (docx/xlsx/pptx), ODF (odt/ods/odp) and EPUB packages apart:
 * entry names from the central directory (or, for a truncated archive, the local headers) and
 * the content of the small ODF `mimetype` entry.
 */

export type ZipFormat = "docx" | "xlsx" | "pptx" | "odt" | "ods" | "odp" | "epub";

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const MAX_ENTRIES = 20_000;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

export function hasZipSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function centralDirectoryEntries(bytes: Uint8Array): ZipEntry[] | undefined {
  const view = viewOf(bytes);
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let offset = bytes.length - 22; offset >= lowest; offset--) {
    if (view.getUint32(offset, true) !== END_OF_CENTRAL_DIRECTORY) continue;
    const count = view.getUint16(offset + 10, true);
    let cursor = view.getUint32(offset + 16, true);
    if (cursor === 0xffffffff || cursor >= bytes.length) return undefined; // ZIP64 or inconsistent: use the local headers
    const entries: ZipEntry[] = [];
    for (let index = 0; index < Math.min(count === 0xffff ? MAX_ENTRIES : count, MAX_ENTRIES); index++) {
      if (cursor + 46 > bytes.length || view.getUint32(cursor, true) !== CENTRAL_HEADER) break;
      const nameLength = view.getUint16(cursor + 28, true);
      const extraLength = view.getUint16(cursor + 30, true);
      const commentLength = view.getUint16(cursor + 32, true);
      entries.push({
        name: Buffer.from(bytes.subarray(cursor + 46, cursor + 46 + nameLength)).toString("utf8"),
        method: view.getUint16(cursor + 10, true),
        compressedSize: view.getUint32(cursor + 20, true),
        localHeaderOffset: view.getUint32(cursor + 42, true),
      });
      cursor += 46 + nameLength + extraLength + commentLength;
    }
    return entries.length > 0 ? entries : undefined;
  }
  return undefined;
}

function localHeaderEntries(bytes: Uint8Array): ZipEntry[] {
  const view = viewOf(bytes);
  const entries: ZipEntry[] = [];
  let cursor = 0;
  while (cursor + 30 <= bytes.length && entries.length < MAX_ENTRIES && view.getUint32(cursor, true) === LOCAL_HEADER) {
    const flags = view.getUint16(cursor + 6, true);
    const compressedSize = view.getUint32(cursor + 18, true);
    const nameLength = view.getUint16(cursor + 26, true);
    const extraLength = view.getUint16(cursor + 28, true);
    entries.push({
      name: Buffer.from(bytes.subarray(cursor + 30, cursor + 30 + nameLength)).toString("utf8"),
      method: view.getUint16(cursor + 8, true),
      compressedSize,
      localHeaderOffset: cursor,
    });
    // With a data descriptor (bit 3) the size is not in the header, so the next header cannot be found.
    if ((flags & 0x08) !== 0) break;
    cursor += 30 + nameLength + extraLength + compressedSize;
  }
  return entries;
}

export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  if (!hasZipSignature(bytes)) return [];
  return centralDirectoryEntries(bytes) ?? localHeaderEntries(bytes);
}

/** The uncompressed content of one (small) entry; undefined when absent or unreadable. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, maxBytes = 64 * 1024): Uint8Array | undefined {
  const view = viewOf(bytes);
  const offset = entry.localHeaderOffset;
  if (offset + 30 > bytes.length || view.getUint32(offset, true) !== LOCAL_HEADER) return undefined;
  const start = offset + 30 + view.getUint16(offset + 26, true) + view.getUint16(offset + 28, true);
  const data = bytes.subarray(start, Math.min(start + entry.compressedSize, bytes.length));
  if (entry.method === 0) return data.subarray(0, maxBytes);
  if (entry.method === 8) {
    try {
      return new Uint8Array(inflateRawSync(data, { maxOutputLength: maxBytes }));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The `mimetype` entry's content names the format (ODF, and EPUB's OCF container). */
const ODF_MIME: Readonly<Record<string, ZipFormat>> = {
  "application/epub+zip": "epub",
  "application/vnd.oasis.opendocument.text": "odt",
  "application/vnd.oasis.opendocument.text-template": "odt",
  "application/vnd.oasis.opendocument.spreadsheet": "ods",
  "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
  "application/vnd.oasis.opendocument.presentation": "odp",
  "application/vnd.oasis.opendocument.presentation-template": "odp",
};

/** Which office package or book a ZIP archive is, by its entry names (OOXML) or its `mimetype` entry (ODF, EPUB). */
export function classifyZip(bytes: Uint8Array): ZipFormat | undefined {
  const entries = zipEntries(bytes);
  if (entries.length === 0) return undefined;
  const mimetypeEntry = entries.find((entry) => entry.name === "mimetype");
  if (mimetypeEntry !== undefined) {
    const content = readZipEntry(bytes, mimetypeEntry, 256);
    const mime = content === undefined ? "" : Buffer.from(content).toString("ascii").trim();
    const format = ODF_MIME[mime];
    if (format !== undefined) return format;
  }
  const names = entries.map((entry) => entry.name);
  const hasContentTypes = names.includes("[Content_Types].xml");
  const under = (prefix: string, mainPart: string): boolean =>
    names.includes(mainPart) || (hasContentTypes && names.some((name) => name.startsWith(prefix)));
  if (under("word/", "word/document.xml")) return "docx";
  if (under("xl/", "xl/workbook.xml")) return "xlsx";
  if (under("ppt/", "ppt/presentation.xml")) return "pptx";
  return undefined;
}
