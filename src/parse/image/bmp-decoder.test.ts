import { describe, expect, it } from "vitest";

import { encodeBmp } from "../../../test/support/fixtures/index.js";
import { InvalidImageError, UnsupportedFormatError } from "../../spec/errors.js";
import { decodeBmp } from "./bmp-decoder.js";

/** 2×2 RGB: red, green / blue, white (top row first). */
const RGB = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
const RGBA_EXPECTED = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255];

/** A hand-written bitmap with a BITMAPINFOHEADER, a palette and the given rows (bottom row first). */
function paletteBmp(bits: 1 | 4 | 8, width: number, height: number, palette: number[][], rows: number[][], compression = 0): Uint8Array {
  const stride = Math.floor((bits * width + 31) / 32) * 4;
  const paletteBytes = palette.length * 4;
  const offset = 14 + 40 + paletteBytes;
  const out = Buffer.alloc(offset + stride * height);
  out.write("BM", 0, "latin1");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bits, 28);
  out.writeUInt32LE(compression, 30);
  out.writeUInt32LE(palette.length, 46);
  palette.forEach(([r, g, b], index) => {
    out[54 + index * 4] = b ?? 0;
    out[54 + index * 4 + 1] = g ?? 0;
    out[54 + index * 4 + 2] = r ?? 0;
  });
  rows.forEach((row, y) => row.forEach((byte, x) => (out[offset + y * stride + x] = byte)));
  return new Uint8Array(out);
}

describe("decodeBmp", () => {
  it("reads 24-bit bottom-up bitmaps", () => {
    const decoded = decodeBmp(encodeBmp(RGB, 2, 2), 100);
    expect([decoded.width, decoded.height]).toEqual([2, 2]);
    expect([...decoded.data]).toEqual(RGBA_EXPECTED);
  });

  it("reads 24-bit top-down bitmaps", () => {
    expect([...decodeBmp(encodeBmp(RGB, 2, 2, { topDown: true }), 100).data]).toEqual(RGBA_EXPECTED);
  });

  it("reads 32-bit bit-field bitmaps with alpha", () => {
    const rgba = new Uint8Array([255, 0, 0, 128, 0, 255, 0, 255, 0, 0, 255, 0, 255, 255, 255, 255]);
    expect([...decodeBmp(encodeBmp(rgba, 2, 2, { bitsPerPixel: 32 }), 100).data]).toEqual([...rgba]);
  });

  it("reads 8-bit and 1-bit palette bitmaps", () => {
    // Bottom row first: [2, 1] then [0, 1] — so the top row is [0, 1].
    const eight = paletteBmp(8, 2, 2, [[0, 0, 0], [255, 255, 255], [255, 0, 0]], [[2, 1], [0, 1]]);
    expect([...decodeBmp(eight, 100).data]).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 255, 255, 255, 255, 255]);
    const one = paletteBmp(1, 3, 1, [[0, 0, 0], [255, 255, 255]], [[0b10100000]]);
    expect([...decodeBmp(one, 100).data]).toEqual([255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it("refuses RLE compression as an unsupported format", () => {
    const rle = paletteBmp(8, 2, 2, [[0, 0, 0]], [[0, 0], [0, 0]], 1);
    expect(() => decodeBmp(rle, 100)).toThrow(UnsupportedFormatError);
  });

  it("refuses truncated data and too many pixels as invalid images", () => {
    const whole = encodeBmp(RGB, 2, 2);
    expect(() => decodeBmp(whole.subarray(0, whole.length - 4), 100)).toThrow(InvalidImageError);
    expect(() => decodeBmp(whole, 3)).toThrow(/over the limit of 3 pixels/);
    expect(() => decodeBmp(new Uint8Array([0x42, 0x4d]), 100)).toThrow(InvalidImageError);
  });
});
