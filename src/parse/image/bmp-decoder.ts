/**
 * A small Windows bitmap reader, because sharp's prebuilt libvips has no BMP loader.
 *
 * Reads the uncompressed kinds people meet in practice: 1/4/8-bit palette, 16-bit (5-5-5 or
 * bit fields), 24-bit and 32-bit (plain or bit fields, with alpha when a mask says so), bottom-up
 * or top-down, with the OS/2 core, INFO, V2–V5 headers. Run-length (RLE4/RLE8), embedded JPEG/PNG
 * and Huffman bitmaps are refused with UnsupportedFormatError; broken files with InvalidImageError.
 * The pixel count is checked against the cap before anything is allocated.
 */
import { InvalidImageError, UnsupportedFormatError } from "../../spec/errors.js";

export interface DecodedBitmap {
  width: number;
  height: number;
  /** RGBA, row-major, top row first. */
  data: Uint8Array;
}

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_JPEG = 4;
const BI_PNG = 5;
const BI_ALPHABITFIELDS = 6;

/** Largest side we accept, whatever the pixel cap says (libvips' own limit). */
const MAX_SIDE = 10_000_000;

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

export function decodeBmp(bytes: Uint8Array, maxPixels: number): DecodedBitmap {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (reason: string): never => {
    throw new InvalidImageError(`BMP image does not decode: ${reason}`);
  };
  if (!isBmp(bytes) || bytes.length < 26) fail("not a bitmap file");
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (![12, 16, 40, 52, 56, 64, 108, 124].includes(headerSize)) fail(`unknown header size ${headerSize}`);
  if (14 + headerSize > bytes.length) fail("truncated header");

  let width: number;
  let rawHeight: number;
  let bitsPerPixel: number;
  let compression = BI_RGB;
  let colorsUsed = 0;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bitsPerPixel = view.getUint16(24, true);
  } else {
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bitsPerPixel = view.getUint16(28, true);
    if (headerSize >= 20) compression = view.getUint32(30, true);
    if (headerSize >= 36) colorsUsed = view.getUint32(46, true);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE) fail(`bad dimensions ${width}×${rawHeight}`);
  if (width * height > maxPixels) {
    throw new InvalidImageError(`BMP image of ${width}×${height} pixels is over the limit of ${maxPixels} pixels`, {
      details: { reason: "pixel-limit", width, height, maxImagePixels: maxPixels },
    });
  }
  if (compression === BI_RLE8 || compression === BI_RLE4 || compression === BI_JPEG || compression === BI_PNG) {
    throw new UnsupportedFormatError(
      `BMP with ${["", "RLE8", "RLE4", "", "embedded JPEG", "embedded PNG"][compression]} compression is not supported; convert it to PNG`,
      { details: { format: "bmp", compression } },
    );
  }
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new UnsupportedFormatError(`BMP compression ${compression} is not supported; convert it to PNG`, {
      details: { format: "bmp", compression },
    });
  }
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) fail(`unsupported bit depth ${bitsPerPixel}`);

  // Channel masks: inside V2+ headers, else right after an INFO header.
  let masks: [number, number, number, number] | undefined;
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    if (bitsPerPixel !== 16 && bitsPerPixel !== 32) fail(`bit fields with ${bitsPerPixel} bits per pixel`);
    const at = 14 + 40;
    const count = headerSize >= 56 || compression === BI_ALPHABITFIELDS ? 4 : 3;
    if (at + count * 4 > bytes.length) fail("truncated channel masks");
    masks = [
      view.getUint32(at, true),
      view.getUint32(at + 4, true),
      view.getUint32(at + 8, true),
      count === 4 ? view.getUint32(at + 12, true) : 0,
    ];
  } else if (bitsPerPixel === 16) {
    masks = [0x7c00, 0x03e0, 0x001f, 0];
  }

  let palette: Uint8Array | undefined;
  if (bitsPerPixel <= 8) {
    const entrySize = headerSize === 12 ? 3 : 4;
    const maxEntries = 1 << bitsPerPixel;
    const entries = colorsUsed === 0 || colorsUsed > maxEntries ? maxEntries : colorsUsed;
    const paletteStart = 14 + headerSize + (headerSize === 40 && compression === BI_BITFIELDS ? 12 : 0);
    // Some writers leave the palette short; missing entries read as black.
    palette = new Uint8Array(maxEntries * 3);
    for (let i = 0; i < entries; i++) {
      const at = paletteStart + i * entrySize;
      if (at + 3 > bytes.length || at + 3 > dataOffset) break;
      palette[i * 3] = bytes[at + 2] ?? 0;
      palette[i * 3 + 1] = bytes[at + 1] ?? 0;
      palette[i * 3 + 2] = bytes[at] ?? 0;
    }
  }

  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  if (dataOffset > bytes.length || dataOffset + stride * height > bytes.length) fail("truncated pixel data");

  const out = new Uint8Array(width * height * 4);
  const channels = masks === undefined ? undefined : masks.map(maskShape);
  const hasAlphaMask = masks !== undefined && masks[3] !== 0;
  let anyAlpha = false;

  for (let row = 0; row < height; row++) {
    const y = topDown ? row : height - 1 - row;
    const rowStart = dataOffset + row * stride;
    let target = y * width * 4;
    for (let x = 0; x < width; x++, target += 4) {
      let r: number;
      let g: number;
      let b: number;
      let a = 255;
      if (palette !== undefined) {
        const bitOffset = x * bitsPerPixel;
        const byte = bytes[rowStart + (bitOffset >> 3)] ?? 0;
        const index = (byte >> (8 - bitsPerPixel - (bitOffset & 7))) & ((1 << bitsPerPixel) - 1);
        r = palette[index * 3] ?? 0;
        g = palette[index * 3 + 1] ?? 0;
        b = palette[index * 3 + 2] ?? 0;
      } else if (bitsPerPixel === 24) {
        const at = rowStart + x * 3;
        b = bytes[at] ?? 0;
        g = bytes[at + 1] ?? 0;
        r = bytes[at + 2] ?? 0;
      } else if (channels !== undefined) {
        const value = bitsPerPixel === 16 ? view.getUint16(rowStart + x * 2, true) : view.getUint32(rowStart + x * 4, true);
        r = readChannel(value, channels[0]);
        g = readChannel(value, channels[1]);
        b = readChannel(value, channels[2]);
        if (hasAlphaMask) a = readChannel(value, channels[3]);
      } else {
        // 32-bit BI_RGB: BGRX; the fourth byte is alpha only when some pixel uses it (checked below).
        const at = rowStart + x * 4;
        b = bytes[at] ?? 0;
        g = bytes[at + 1] ?? 0;
        r = bytes[at + 2] ?? 0;
        a = bytes[at + 3] ?? 0;
        if (a !== 0) anyAlpha = true;
      }
      out[target] = r;
      out[target + 1] = g;
      out[target + 2] = b;
      out[target + 3] = a;
    }
  }
  // A 32-bit BI_RGB file whose fourth bytes are all zero is opaque, not invisible.
  if (bitsPerPixel === 32 && channels === undefined && !anyAlpha) {
    for (let i = 3; i < out.length; i += 4) out[i] = 255;
  }
  return { width, height, data: out };
}

interface MaskShape {
  shift: number;
  max: number;
}

function maskShape(mask: number): MaskShape {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

function readChannel(value: number, shape: MaskShape | undefined): number {
  if (shape === undefined || shape.max === 0) return 0;
  const raw = (value >>> shape.shift) & shape.max;
  return Math.round((raw * 255) / shape.max);
}
