/**
 * OLE2 / Compound File Binary (MS-CFB) directory reader, just enough to tell a Word .doc, an Excel
 * .xls, a PowerPoint .ppt and an Outlook .msg apart: they share one container signature and
 * differ only in the names of their top-level streams and storages.
 */

export const CFB_SIGNATURE: readonly number[] = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

const MAX_REGULAR_SECTOR = 0xfffffffa;
const NO_STREAM = 0xffffffff;
/** Bounds every chain walk, so a crafted file with a cycle or a huge count cannot spin. */
const MAX_CHAIN = 100_000;

export type CfbFormat = "doc" | "xls" | "ppt" | "msg";

export interface CfbEntry {
  name: string;
  /** 0 unused, 1 storage, 2 stream, 5 root storage. */
  objectType: number;
  left: number;
  right: number;
  child: number;
}

export function hasCfbSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && CFB_SIGNATURE.every((byte, index) => bytes[index] === byte);
}

/** Every directory entry in stream order (index 0 is the root); undefined when the container is unreadable. */
export function readCfbDirectory(bytes: Uint8Array): CfbEntry[] | undefined {
  if (!hasCfbSignature(bytes) || bytes.length < 512) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sectorShift = view.getUint16(30, true);
  if (sectorShift !== 9 && sectorShift !== 12) return undefined;
  const sectorSize = 1 << sectorShift;
  const sectorOffset = (sector: number): number | undefined => {
    const offset = (sector + 1) * sectorSize;
    return offset < bytes.length ? offset : undefined;
  };
  const u32 = (offset: number): number | undefined => (offset + 4 <= bytes.length ? view.getUint32(offset, true) : undefined);

  // The FAT's own sectors: 109 listed in the header, the rest in the DIFAT chain.
  const fatSectorCount = view.getUint32(44, true);
  const fatSectors: number[] = [];
  for (let index = 0; index < 109 && fatSectors.length < fatSectorCount; index++) {
    const sector = view.getUint32(76 + index * 4, true);
    if (sector < MAX_REGULAR_SECTOR) fatSectors.push(sector);
  }
  let difatSector = view.getUint32(68, true);
  const seenDifat = new Set<number>();
  while (difatSector < MAX_REGULAR_SECTOR && fatSectors.length < fatSectorCount && !seenDifat.has(difatSector) && seenDifat.size < MAX_CHAIN) {
    seenDifat.add(difatSector);
    const offset = sectorOffset(difatSector);
    if (offset === undefined) break;
    const perSector = sectorSize / 4 - 1;
    for (let index = 0; index < perSector && fatSectors.length < fatSectorCount; index++) {
      const sector = u32(offset + index * 4);
      if (sector !== undefined && sector < MAX_REGULAR_SECTOR) fatSectors.push(sector);
    }
    difatSector = u32(offset + perSector * 4) ?? NO_STREAM;
  }

  const nextSector = (sector: number): number => {
    const perSector = sectorSize / 4;
    const fatSector = fatSectors[Math.floor(sector / perSector)];
    if (fatSector === undefined) return NO_STREAM;
    const offset = sectorOffset(fatSector);
    if (offset === undefined) return NO_STREAM;
    return u32(offset + (sector % perSector) * 4) ?? NO_STREAM;
  };

  const entries: CfbEntry[] = [];
  const seen = new Set<number>();
  let sector = view.getUint32(48, true);
  while (sector < MAX_REGULAR_SECTOR && !seen.has(sector) && seen.size < MAX_CHAIN) {
    seen.add(sector);
    const offset = sectorOffset(sector);
    if (offset === undefined) break;
    for (let entryOffset = offset; entryOffset + 128 <= Math.min(offset + sectorSize, bytes.length); entryOffset += 128) {
      const nameLength = Math.min(view.getUint16(entryOffset + 64, true), 64);
      const nameBytes = bytes.subarray(entryOffset, entryOffset + Math.max(nameLength - 2, 0));
      entries.push({
        name: Buffer.from(nameBytes).toString("utf16le"),
        objectType: bytes[entryOffset + 66] ?? 0,
        left: view.getUint32(entryOffset + 68, true),
        right: view.getUint32(entryOffset + 72, true),
        child: view.getUint32(entryOffset + 76, true),
      });
    }
    sector = nextSector(sector);
  }
  return entries.length > 0 && entries[0]?.objectType === 5 ? entries : undefined;
}

/** Names of the root storage's direct children (walking its red-black tree). */
export function cfbTopLevelNames(entries: readonly CfbEntry[]): string[] {
  const names: string[] = [];
  const visited = new Set<number>();
  const stack = [entries[0]?.child ?? NO_STREAM];
  while (stack.length > 0) {
    const index = stack.pop() ?? NO_STREAM;
    if (index >= entries.length || visited.has(index)) continue;
    visited.add(index);
    const entry = entries[index];
    if (entry === undefined) continue;
    if (entry.objectType === 1 || entry.objectType === 2) names.push(entry.name);
    stack.push(entry.left, entry.right);
  }
  return names;
}

/** Which Office format a set of top-level CFB names belongs to. */
export function classifyCfbNames(names: readonly string[]): CfbFormat | undefined {
  const has = (predicate: (name: string) => boolean): boolean => names.some(predicate);
  // An .msg first: its attachments may themselves hold Word or Excel storages.
  if (has((name) => name.startsWith("__substg1.0_") || name === "__properties_version1.0" || name.startsWith("__nameid_version1.0"))) return "msg";
  if (has((name) => name === "WordDocument")) return "doc";
  if (has((name) => name === "PowerPoint Document")) return "ppt";
  if (has((name) => name === "Workbook" || name === "Book")) return "xls";
  return undefined;
}

const MARKERS: ReadonlyArray<readonly [string, CfbFormat]> = [
  ["__properties_version1.0", "msg"],
  ["__substg1.0_", "msg"],
  ["WordDocument", "doc"],
  ["PowerPoint Document", "ppt"],
  ["Workbook", "xls"],
];

/** Tells the Office format of a compound file; falls back to scanning for UTF-16 stream names when the FAT is damaged. */
export function classifyCfb(bytes: Uint8Array): CfbFormat | undefined {
  if (!hasCfbSignature(bytes)) return undefined;
  const entries = readCfbDirectory(bytes);
  if (entries !== undefined) {
    const topLevel = classifyCfbNames(cfbTopLevelNames(entries));
    if (topLevel !== undefined) return topLevel;
    const anywhere = classifyCfbNames(entries.filter((entry) => entry.objectType !== 0).map((entry) => entry.name));
    if (anywhere !== undefined) return anywhere;
  }
  const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const [marker, format] of MARKERS) {
    if (haystack.includes(Buffer.from(marker, "utf16le"))) return format;
  }
  return undefined;
}
