import type { SniffedFormat } from "../spec/parser.js";
import type { PartType } from "../spec/types.js";
import { classifyCfb, hasCfbSignature } from "./cfb.js";
import {
  extensionOfName,
  FORMATS,
  formatFromExtension,
  formatFromMediaType,
  type FormatId,
  type FormatInfo,
} from "./formats.js";
import { classifyText, decodeUtf8Text, looksLikeJson } from "./text-sniff.js";
import { classifyZip, hasZipSignature } from "./zip.js";

export interface SniffHints {
  /** The item's declared `type`: the weakest hint. */
  declaredType: PartType;
  ext?: string;
  mediaType?: string;
  /** A file name; its extension is used when `ext` is absent. */
  name?: string;
}

/**
 * What the bytes say on their own:
 * - a format: decisive;
 * - a container family (OLE2, ZIP, ISO-BMFF, Ogg) whose member could not be told: ext/MIME may pick within it;
 * - text: valid UTF-8 that matches no text format by content: ext/MIME/declared type may pick a text format;
 * - binary: nothing recognised: ext, then MIME, decide;
 * - foreign: a format we recognise but do not parse (an executable, a video): nothing may override it.
 */
type Evidence =
  | { kind: "format"; format: FormatId }
  | { kind: "family"; members: readonly FormatId[] }
  | { kind: "text"; text: string }
  | { kind: "binary" }
  | { kind: "foreign"; what: string };

const CFB_FAMILY: readonly FormatId[] = ["doc", "xls", "ppt", "msg"];
const ZIP_FAMILY: readonly FormatId[] = ["docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"];
/** file-type results that are an audio-capable ISO-BMFF or Ogg container without an audio-only brand. */
const CONTAINER_FAMILIES: Readonly<Record<string, readonly FormatId[]>> = {
  mp4: ["m4a"],
  m4p: ["m4a"],
  f4a: ["m4a"],
  f4b: ["m4a"],
  "3gp": ["m4a"],
  "3g2": ["m4a"],
  ogx: ["ogg"],
  ogm: ["ogg"],
  cfb: CFB_FAMILY,
  zip: ZIP_FAMILY,
};
/** Text formats a hint may choose for bytes that are plain text (RTF needs its `{\rtf` signature). */
const TEXT_REFINABLE = new Set<FormatId>(["txt", "md", "csv", "json", "html", "eml", "svg"]);
const DECLARED_TEXT_DEFAULT: Partial<Record<PartType, FormatId>> = { text: "txt", html: "html", email: "eml" };

function result(format: FormatId): SniffedFormat {
  const info: FormatInfo = FORMATS[format];
  return { format, mediaType: info.mediaType, modality: info.modality };
}

async function evidenceOf(bytes: Uint8Array): Promise<Evidence> {
  if (bytes.length === 0) return { kind: "binary" };
  if (hasCfbSignature(bytes)) {
    const format = classifyCfb(bytes);
    return format === undefined ? { kind: "family", members: CFB_FAMILY } : { kind: "format", format };
  }
  if (hasZipSignature(bytes)) {
    const format = classifyZip(bytes);
    if (format !== undefined) return { kind: "format", format };
  }
  // file-type is imported with the first file it has to name, not at startup.
  const { fileTypeFromBuffer } = await import("file-type");
  const detected = await fileTypeFromBuffer(bytes);
  if (detected !== undefined) {
    const family = CONTAINER_FAMILIES[detected.ext];
    if (family !== undefined) return { kind: "family", members: family };
    const format = formatFromExtension(detected.ext);
    if (format !== undefined && detected.ext !== "xml") return { kind: "format", format };
  }
  // Markup, mail and plain text carry no magic number (file-type calls SVG and XHTML just "xml").
  const text = decodeUtf8Text(bytes);
  if (text !== undefined) {
    const format = classifyText(text);
    return format === undefined ? { kind: "text", text } : { kind: "format", format };
  }
  return detected === undefined ? { kind: "binary" } : { kind: "foreign", what: detected.ext };
}

/**
 * The real format of a payload. The bytes win over `ext`, `ext` over the MIME type, the MIME type
 * over the declared type; the returned modality is the winning format's (an item declared `image`
 * that holds a PDF comes back as `pdf`). Undefined when nothing resolves: the caller raises
 * UNSUPPORTED_FORMAT.
 */
export async function sniff(bytes: Uint8Array, hints: SniffHints): Promise<SniffedFormat | undefined> {
  const evidence = await evidenceOf(bytes);
  const hinted = [formatFromExtension(hints.ext ?? extensionOfName(hints.name)), formatFromMediaType(hints.mediaType)].filter(
    (format): format is FormatId => format !== undefined,
  );
  switch (evidence.kind) {
    case "format":
      return result(evidence.format);
    case "family": {
      const chosen = hinted.find((format) => evidence.members.includes(format));
      return chosen === undefined ? undefined : result(chosen);
    }
    case "text": {
      const declared = DECLARED_TEXT_DEFAULT[hints.declaredType];
      const chosen = [...hinted, ...(declared === undefined ? [] : [declared])].find((format) => TEXT_REFINABLE.has(format));
      if (chosen === "json") return result(looksLikeJson(evidence.text) ? "json" : "txt");
      return result(chosen ?? "txt");
    }
    case "binary": {
      // No signature at all: trust what the sender called it, as long as that is a binary format
      // (a parser then reports a corrupt file, e.g. INVALID_IMAGE, rather than a vague 415).
      const chosen = hinted.find((format) => !(FORMATS[format] as FormatInfo).textual);
      return chosen === undefined ? undefined : result(chosen);
    }
    case "foreign":
      return undefined;
  }
}
