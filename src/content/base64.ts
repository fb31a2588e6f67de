import { FileSizeError, ValidationError } from "../spec/errors.js";
import { mediaTypeEssence } from "./formats.js";

/**
 * Strict base64 (RFC 4648 §4, standard alphabet). Node's `Buffer.from(s, "base64")` silently skips
 * characters it does not know and accepts misplaced padding, so garbage would "decode" into garbage
 * bytes; everything is checked here first. ASCII whitespace (MIME line breaks) is tolerated;
 * missing padding is accepted because it is unambiguous; wrong padding is not.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BODY = /^[A-Za-z0-9+/]*$/;
const WHITESPACE = /[\t\n\f\r ]/g;

export interface DecodeOptions {
  /** Decoded size cap; larger payloads raise FILE_TOO_LARGE before anything is decoded. */
  maxBytes?: number;
  /** Included in error details so a client can find the offending item. */
  path?: string;
}

export function decodedBase64Length(cleaned: string): number {
  let padding = 0;
  if (cleaned.endsWith("==")) padding = 2;
  else if (cleaned.endsWith("=")) padding = 1;
  const length = cleaned.length - padding;
  return Math.floor((length * 3) / 4);
}

function invalid(reason: string, options: DecodeOptions): ValidationError {
  return new ValidationError(`invalid base64: ${reason}`, {
    details: { reason, ...(options.path === undefined ? {} : { path: options.path }) },
  });
}

export function decodeBase64Strict(input: string, options: DecodeOptions = {}): Uint8Array {
  const cleaned = input.replace(WHITESPACE, "");
  if (cleaned.length === 0) throw invalid("empty payload", options);

  const firstPad = cleaned.indexOf("=");
  const body = firstPad === -1 ? cleaned : cleaned.slice(0, firstPad);
  const padding = firstPad === -1 ? "" : cleaned.slice(firstPad);

  if (!BODY.test(body)) {
    const bad = body.match(/[^A-Za-z0-9+/]/)?.[0] ?? "?";
    if (/^[A-Za-z0-9_-]*$/.test(body)) throw invalid("uses the base64url alphabet ('-' or '_'); send standard base64", options);
    throw invalid(`character ${JSON.stringify(bad)} is not in the base64 alphabet`, options);
  }
  if (!/^={0,2}$/.test(padding)) throw invalid("'=' padding may only appear (once or twice) at the end", options);
  const remainder = body.length % 4;
  if (remainder === 1) throw invalid("truncated: the length leaves a single dangling character", options);
  if (padding.length > 0 && (body.length + padding.length) % 4 !== 0) {
    throw invalid(`wrong padding: ${padding.length} '=' for ${body.length} characters`, options);
  }
  // Canonical encoders leave the unused low bits of the last character zero; anything else is not base64 of any bytes.
  if (remainder !== 0) {
    const last = ALPHABET.indexOf(body[body.length - 1] ?? "A");
    const unusedBits = remainder === 2 ? 0b1111 : 0b11;
    if ((last & unusedBits) !== 0) throw invalid("non-canonical final character (trailing bits set)", options);
  }

  const size = decodedBase64Length(body);
  if (options.maxBytes !== undefined && size > options.maxBytes) {
    throw new FileSizeError(`base64 payload decodes to ${size} bytes, over the ${options.maxBytes}-byte cap`, {
      details: { size, maxBytes: options.maxBytes, ...(options.path === undefined ? {} : { path: options.path }) },
    });
  }
  const buffer = Buffer.from(body, "base64");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export interface DataUri {
  /** Lower-case essence (`image/png`); undefined when the URI leaves it out. */
  mediaType: string | undefined;
  base64: boolean;
  /** The part after the comma, still encoded. */
  payload: string;
}

/** Splits `data:[<mediatype>][;param]*[;base64],<data>` (RFC 2397) without decoding the payload. */
export function parseDataUri(uri: string, path?: string): DataUri {
  const fail = (reason: string): ValidationError =>
    new ValidationError(`invalid data URI: ${reason}`, { details: { reason, ...(path === undefined ? {} : { path }) } });
  if (!/^data:/i.test(uri)) throw fail("does not start with 'data:'");
  const comma = uri.indexOf(",");
  if (comma === -1) throw fail("no ',' separates the header from the data");
  const header = uri.slice(5, comma);
  const params = header.split(";").map((piece) => piece.trim());
  const base64 = params.length > 1 && params[params.length - 1]?.toLowerCase() === "base64";
  const type = params[0] ?? "";
  if (type !== "" && !/^[\w.+-]+\/[\w.+-]+$/.test(type)) throw fail(`malformed media type ${JSON.stringify(type)}`);
  return { mediaType: mediaTypeEssence(type), base64, payload: uri.slice(comma + 1) };
}

export function decodeDataUri(uri: string, options: DecodeOptions = {}): { bytes: Uint8Array; mediaType: string | undefined } {
  const parsed = parseDataUri(uri, options.path);
  if (parsed.base64) {
    // Base64 has no '%', but some clients percent-encode the whole URI.
    let payload = parsed.payload;
    if (payload.includes("%")) {
      try {
        payload = decodeURIComponent(payload);
      } catch (cause) {
        throw new ValidationError("invalid data URI: bad percent-encoding", { cause, details: { path: options.path } });
      }
    }
    return { bytes: decodeBase64Strict(payload, options), mediaType: parsed.mediaType };
  }
  // Percent-encoded bytes (e.g. `data:image/svg+xml,%3Csvg ...`): each %XX is one byte, the rest UTF-8.
  const upperBound = Buffer.byteLength(parsed.payload, "utf8");
  if (options.maxBytes !== undefined && upperBound > options.maxBytes * 3) {
    throw new FileSizeError(`data URI payload over the ${options.maxBytes}-byte cap`, { details: { maxBytes: options.maxBytes, path: options.path } });
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(parsed.payload)) {
    throw new ValidationError("invalid data URI: bad percent-encoding", { details: { path: options.path } });
  }
  const bytes = percentDecodeBytes(parsed.payload);
  if (options.maxBytes !== undefined && bytes.byteLength > options.maxBytes) {
    throw new FileSizeError(`data URI payload decodes to ${bytes.byteLength} bytes, over the ${options.maxBytes}-byte cap`, {
      details: { size: bytes.byteLength, maxBytes: options.maxBytes, path: options.path },
    });
  }
  if (bytes.byteLength === 0) throw new ValidationError("invalid data URI: empty payload", { details: { path: options.path } });
  return { bytes, mediaType: parsed.mediaType };
}

function percentDecodeBytes(text: string): Uint8Array {
  const raw = Buffer.from(text, "utf8");
  const out = Buffer.alloc(raw.length);
  let length = 0;
  for (let index = 0; index < raw.length; index++) {
    const byte = raw[index] ?? 0;
    if (byte === 0x25 /* % */ && index + 2 < raw.length) {
      const hex = String.fromCharCode(raw[index + 1] ?? 0, raw[index + 2] ?? 0);
      out[length++] = Number.parseInt(hex, 16);
      index += 2;
    } else {
      out[length++] = byte;
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, length);
}
