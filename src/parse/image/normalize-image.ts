/**
 * Turns any supported image into one predictable PNG for a model or OCR: first frame only
 * (GIF, WebP, TIFF pages), EXIF orientation applied, transparency flattened onto white, fitted
 * inside `maxDimension` pixels. Decoding is capped at `maxPixels` (a decompression bomb is an
 * InvalidImageError, not an out-of-memory crash); SVG is sanitised and rasterised at a size we
 * choose; BMP, which sharp cannot read, goes through our own reader.
 */
import type { default as SharpFactory, Sharp } from "sharp";

import { InvalidImageError, isOmnimemError, UnsupportedFormatError } from "../../spec/errors.js";
import { decodeBmp, isBmp } from "./bmp-decoder.js";
import { sanitizeSvg } from "./svg-sanitizer.js";

export interface NormalizeImageOptions {
  /** The sniffed format id (png jpg gif webp svg bmp tiff). */
  format: string;
  /** Pixels the source may decode to. */
  maxPixels: number;
  /** Longest side of the result. Default 2048. */
  maxDimension?: number;
}

export interface NormalizedImage {
  png: Uint8Array;
  mediaType: "image/png";
  width: number;
  height: number;
}

export const DEFAULT_MAX_DIMENSION = 2048;

/** sharp (libvips, about 30 MB of memory once loaded) is imported with the first image, not at startup. */
async function loadSharp(): Promise<typeof SharpFactory> {
  return (await import("sharp")).default;
}

/** SVGs smaller than this (longest side at 72 dpi) are rasterised larger, so icons and small text stay legible. */
const SVG_MIN_RENDER_SIDE = 1024;
const SVG_MAX_UPSCALE = 8;

export async function normalizeImage(bytes: Uint8Array, options: NormalizeImageOptions): Promise<NormalizedImage> {
  const maxDimension = options.maxDimension ?? DEFAULT_MAX_DIMENSION;
  if (!Number.isInteger(options.maxPixels) || options.maxPixels < 1) {
    throw new RangeError(`maxPixels must be an integer >= 1, got ${String(options.maxPixels)}`);
  }
  if (bytes.length === 0) throw new InvalidImageError("the image is empty (0 bytes)");
  const format = options.format.toLowerCase();
  try {
    const input = await openImage(bytes, format, options.maxPixels, maxDimension);
    // Tesseract warns about, and guesses, a missing resolution (GIF, BMP); 72 dpi is the usual screen value.
    const density = (await input.metadata()).density;
    const { data, info } = await input
      .withDensity(density !== undefined && density >= 1 ? density : 72)
      .rotate()
      .flatten({ background: "#ffffff" })
      .resize({ width: maxDimension, height: maxDimension, fit: "inside", withoutEnlargement: true })
      .png({ compressionLevel: 6 })
      .toBuffer({ resolveWithObject: true });
    return { png: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), mediaType: "image/png", width: info.width, height: info.height };
  } catch (error) {
    throw asImageError(error, format, options.maxPixels);
  }
}

async function openImage(bytes: Uint8Array, format: string, maxPixels: number, maxDimension: number): Promise<Sharp> {
  const sharp = await loadSharp();
  if (format === "bmp" || isBmp(bytes)) {
    const bitmap = decodeBmp(bytes, maxPixels);
    return sharp(bitmap.data, { raw: { width: bitmap.width, height: bitmap.height, channels: 4 }, limitInputPixels: maxPixels });
  }
  const common = { limitInputPixels: maxPixels, failOn: "error", unlimited: false } as const;
  if (format === "svg") {
    const svg = Buffer.from(sanitizeSvg(bytes).svg, "utf8");
    const density = await svgDensity(svg, maxDimension);
    return sharp(svg, { ...common, density });
  }
  // pages: 1 is the first frame of an animation or a multi-page TIFF.
  return sharp(bytes, { ...common, pages: 1, page: 0 });
}

/** The density that renders the SVG with its longest side near `maxDimension` (down) or SVG_MIN_RENDER_SIDE (up). */
async function svgDensity(svg: Buffer, maxDimension: number): Promise<number> {
  // Reading the size parses the document but renders nothing, whatever size it declares.
  const sharp = await loadSharp();
  const metadata = await sharp(svg, { limitInputPixels: false, unlimited: false }).metadata();
  const longest = Math.max(metadata.width ?? 0, metadata.height ?? 0);
  if (longest <= 0) return 72;
  let scale = 1;
  if (longest > maxDimension) scale = maxDimension / longest;
  else if (longest < SVG_MIN_RENDER_SIDE) scale = Math.min(SVG_MAX_UPSCALE, Math.min(SVG_MIN_RENDER_SIDE, maxDimension) / longest);
  return Math.min(100_000, Math.max(1, 72 * scale));
}

function asImageError(error: unknown, format: string, maxPixels: number): Error {
  if (isOmnimemError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new InvalidImageError(`the ${format} image is larger than the limit of ${maxPixels} pixels (a possible decompression bomb)`, {
      cause: error,
      details: { reason: "pixel-limit", format, maxImagePixels: maxPixels },
    });
  }
  if (/unsupported image format/i.test(message) && !["png", "jpg", "jpeg", "gif", "webp", "svg", "tiff", "tif"].includes(format)) {
    return new UnsupportedFormatError(`images in format ${format} are not supported`, { cause: error, details: { format } });
  }
  // libvips' own message names the library and its internals ("vipspng: libpng read error ...
  // unable to write to target"): the caller gets ours, the logs get the original as the cause.
  return new InvalidImageError(`the ${format} image is truncated or corrupt`, { cause: error, details: { reason: "corrupt", format } });
}
