/**
 * Makes an SVG safe to rasterise: nothing in it may make librsvg read another resource.
 *
 * librsvg, fed a buffer without a base URL (as sharp does), already refuses file: and http:
 * references; this is the second wall, so a future libvips/librsvg default cannot turn an SVG
 * upload into a request to the network or a read of the disk. Kept: `#fragment` references and
 * `data:` images in raster formats. Removed: every other href (on <image>, <use>, <a>,
 * xi:include ...), `xml:base`, processing instructions (`<?xml-stylesheet?>`), CSS `@import`
 * and `url()` that do not point into the document. Refused: DTDs that declare entities
 * (billion laughs, external entities).
 */
import { gunzipSync } from "node:zlib";

import { InvalidImageError } from "../../spec/errors.js";

/** Cap on an SVG's size once gunzipped (an .svgz can be a zip bomb too). */
const MAX_SVG_BYTES = 32 * 1024 * 1024;

const SAFE_DATA_IMAGE = /^\s*data:image\/(?:png|jpe?g|gif|webp|bmp)[;,]/i;

export interface SanitizedSvg {
  svg: string;
  /** How many references were removed. */
  removedReferences: number;
}

export function sanitizeSvg(bytes: Uint8Array): SanitizedSvg {
  let text = decodeSvgText(bytes);
  if (/<!ENTITY/i.test(text)) {
    throw new InvalidImageError("SVG declares XML entities, which are refused (entity expansion and external entities)", {
      details: { reason: "svg-entities" },
    });
  }
  let removed = 0;
  const count = (replacement: string) => (): string => {
    removed++;
    return replacement;
  };
  // DOCTYPE without an internal subset (one with a subset declares entities and was refused).
  text = text.replace(/<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>/gi, "");
  // Processing instructions, the XML declaration included: the text is re-encoded as UTF-8.
  text = text.replace(/<\?[\s\S]*?\?>/g, (match) => (/^<\?xml\s/i.test(match) ? "" : count("")()));
  // href / xlink:href / any-prefix:href, quoted either way.
  text = text.replace(/\s((?:[A-Za-z_][\w.-]*:)?href)\s*=\s*("[^"]*"|'[^']*')/g, (match, _name: string, quoted: string) => {
    const value = decodeEntities(quoted.slice(1, -1));
    if (value.trimStart().startsWith("#") || SAFE_DATA_IMAGE.test(value)) return match;
    return count("")();
  });
  text = text.replace(/\sxml:base\s*=\s*("[^"]*"|'[^']*')/g, count(""));
  text = text.replace(/@import\b[^;]*;?/gi, count(""));
  text = text.replace(/url\(\s*(['"]?)([^)'"]*)\1\s*\)/gi, (match, _quote: string, target: string) => {
    const value = decodeEntities(target);
    if (value.trimStart().startsWith("#") || SAFE_DATA_IMAGE.test(value)) return match;
    return count("none")();
  });
  return { svg: text, removedReferences: removed };
}

function decodeSvgText(bytes: Uint8Array): string {
  let data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data, { maxOutputLength: MAX_SVG_BYTES });
    } catch (error) {
      throw new InvalidImageError(`compressed SVG does not decompress (or is over ${MAX_SVG_BYTES} bytes)`, { cause: error });
    }
  }
  if (data[0] === 0xff && data[1] === 0xfe) return data.subarray(2).toString("utf16le");
  if (data[0] === 0xfe && data[1] === 0xff) {
    const swapped = Buffer.from(data.subarray(2, 2 + ((data.length - 2) & ~1)));
    swapped.swap16();
    return swapped.toString("utf16le");
  }
  const text = data.toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);?/gi, (_match, hex: string) => codePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);?/g, (_match, decimal: string) => codePoint(Number.parseInt(decimal, 10)))
    .replace(/&colon;/gi, ":")
    .replace(/&amp;/gi, "&");
}

/** An out-of-range reference becomes U+FFFD, which makes the value look external: removed. */
function codePoint(value: number): string {
  return Number.isInteger(value) && value >= 0 && value <= 0x10ffff ? String.fromCodePoint(value) : "\ufffd";
}
