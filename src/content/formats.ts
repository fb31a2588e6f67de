import type { PartType } from "../spec/types.js";

/** What omnimem knows about each format it can parse: its canonical MIME type, modality and file extensions. */
export interface FormatInfo {
  mediaType: string;
  modality: PartType;
  /** Lower-case, without the dot; the first one is canonical. */
  extensions: readonly string[];
  /** Other MIME types seen in the wild for the same format. */
  mediaTypeAliases?: readonly string[];
  /** Stored as text: a text sniff may be refined into it by ext/MIME/declared type. */
  textual?: boolean;
}

export const FORMATS = {
  png: { mediaType: "image/png", modality: "image", extensions: ["png", "apng"], mediaTypeAliases: ["image/apng"] },
  jpg: {
    mediaType: "image/jpeg",
    modality: "image",
    extensions: ["jpg", "jpeg", "jpe", "jfif"],
    mediaTypeAliases: ["image/jpg", "image/pjpeg"],
  },
  gif: { mediaType: "image/gif", modality: "image", extensions: ["gif"] },
  webp: { mediaType: "image/webp", modality: "image", extensions: ["webp"] },
  svg: { mediaType: "image/svg+xml", modality: "image", extensions: ["svg", "svgz"], textual: true },
  bmp: { mediaType: "image/bmp", modality: "image", extensions: ["bmp", "dib"], mediaTypeAliases: ["image/x-bmp", "image/x-ms-bmp"] },
  tiff: { mediaType: "image/tiff", modality: "image", extensions: ["tiff", "tif"], mediaTypeAliases: ["image/tiff-fx"] },
  pdf: { mediaType: "application/pdf", modality: "pdf", extensions: ["pdf"], mediaTypeAliases: ["application/x-pdf"] },
  mp3: {
    mediaType: "audio/mpeg",
    modality: "audio",
    extensions: ["mp3", "mpga"],
    mediaTypeAliases: ["audio/mp3", "audio/mpeg3", "audio/x-mpeg", "audio/x-mpeg-3", "audio/mpga"],
  },
  wav: {
    mediaType: "audio/wav",
    modality: "audio",
    extensions: ["wav", "wave"],
    mediaTypeAliases: ["audio/x-wav", "audio/wave", "audio/vnd.wave"],
  },
  m4a: {
    mediaType: "audio/mp4",
    modality: "audio",
    extensions: ["m4a", "m4b", "mp4a"],
    mediaTypeAliases: ["audio/x-m4a", "audio/m4a", "audio/aac-mp4"],
  },
  ogg: {
    mediaType: "audio/ogg",
    modality: "audio",
    extensions: ["ogg", "oga", "opus", "spx"],
    mediaTypeAliases: ["audio/opus", "audio/vorbis", "audio/x-ogg", "application/ogg"],
  },
  flac: { mediaType: "audio/flac", modality: "audio", extensions: ["flac"], mediaTypeAliases: ["audio/x-flac"] },
  doc: { mediaType: "application/msword", modality: "doc", extensions: ["doc", "dot"] },
  docx: {
    mediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    modality: "doc",
    extensions: ["docx", "docm", "dotx", "dotm"],
    mediaTypeAliases: [
      "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
      "application/vnd.ms-word.document.macroenabled.12",
      "application/vnd.ms-word.template.macroenabled.12",
    ],
  },
  ppt: {
    mediaType: "application/vnd.ms-powerpoint",
    modality: "doc",
    extensions: ["ppt", "pps", "pot"],
    mediaTypeAliases: ["application/mspowerpoint", "application/powerpoint", "application/x-mspowerpoint"],
  },
  pptx: {
    mediaType: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    modality: "doc",
    extensions: ["pptx", "pptm", "ppsx", "ppsm", "potx", "potm"],
    mediaTypeAliases: [
      "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
      "application/vnd.openxmlformats-officedocument.presentationml.template",
      "application/vnd.ms-powerpoint.presentation.macroenabled.12",
      "application/vnd.ms-powerpoint.slideshow.macroenabled.12",
      "application/vnd.ms-powerpoint.template.macroenabled.12",
    ],
  },
  xls: {
    mediaType: "application/vnd.ms-excel",
    modality: "doc",
    extensions: ["xls", "xlt"],
    mediaTypeAliases: ["application/msexcel", "application/x-msexcel", "application/x-excel", "application/excel"],
  },
  xlsx: {
    mediaType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    modality: "doc",
    extensions: ["xlsx", "xlsm", "xltx", "xltm"],
    mediaTypeAliases: [
      "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
      "application/vnd.ms-excel.sheet.macroenabled.12",
      "application/vnd.ms-excel.template.macroenabled.12",
    ],
  },
  odt: {
    mediaType: "application/vnd.oasis.opendocument.text",
    modality: "doc",
    extensions: ["odt", "ott"],
    mediaTypeAliases: ["application/vnd.oasis.opendocument.text-template"],
  },
  ods: {
    mediaType: "application/vnd.oasis.opendocument.spreadsheet",
    modality: "doc",
    extensions: ["ods", "ots"],
    mediaTypeAliases: ["application/vnd.oasis.opendocument.spreadsheet-template"],
  },
  odp: {
    mediaType: "application/vnd.oasis.opendocument.presentation",
    modality: "doc",
    extensions: ["odp", "otp"],
    mediaTypeAliases: ["application/vnd.oasis.opendocument.presentation-template"],
  },
  epub: { mediaType: "application/epub+zip", modality: "doc", extensions: ["epub"] },
  rtf: { mediaType: "application/rtf", modality: "doc", extensions: ["rtf"], mediaTypeAliases: ["text/rtf", "application/x-rtf", "text/richtext"], textual: true },
  html: {
    mediaType: "text/html",
    modality: "html",
    extensions: ["html", "htm", "xhtml", "shtml"],
    mediaTypeAliases: ["application/xhtml+xml"],
    textual: true,
  },
  eml: { mediaType: "message/rfc822", modality: "email", extensions: ["eml", "mht", "mhtml"], mediaTypeAliases: ["message/global"], textual: true },
  msg: { mediaType: "application/vnd.ms-outlook", modality: "email", extensions: ["msg"], mediaTypeAliases: ["application/x-msg"] },
  txt: { mediaType: "text/plain", modality: "text", extensions: ["txt", "text", "log"], textual: true },
  md: { mediaType: "text/markdown", modality: "text", extensions: ["md", "markdown", "mdown", "mkd"], mediaTypeAliases: ["text/x-markdown"], textual: true },
  csv: { mediaType: "text/csv", modality: "text", extensions: ["csv", "tsv"], mediaTypeAliases: ["text/tab-separated-values", "application/csv", "text/x-csv"], textual: true },
  json: { mediaType: "application/json", modality: "text", extensions: ["json", "jsonl", "ndjson"], mediaTypeAliases: ["text/json", "application/x-ndjson", "application/ld+json"], textual: true },
} as const satisfies Record<string, FormatInfo>;

export type FormatId = keyof typeof FORMATS;

export const FORMAT_IDS = Object.keys(FORMATS) as FormatId[];

const byExtension = new Map<string, FormatId>();
const byMediaType = new Map<string, FormatId>();
for (const id of FORMAT_IDS) {
  const info: FormatInfo = FORMATS[id];
  for (const extension of info.extensions) if (!byExtension.has(extension)) byExtension.set(extension, id);
  byMediaType.set(info.mediaType, id);
  for (const alias of info.mediaTypeAliases ?? []) byMediaType.set(alias, id);
}

export function isFormatId(value: string): value is FormatId {
  return Object.hasOwn(FORMATS, value);
}

export function formatInfo(id: FormatId): FormatInfo {
  return FORMATS[id];
}

/** `".PDF"` → `"pdf"`; `undefined` for an empty or absent extension. */
export function normalizeExtension(ext: string | undefined): string | undefined {
  if (ext === undefined) return undefined;
  const cleaned = ext.trim().replace(/^\.+/, "").toLowerCase();
  return cleaned === "" ? undefined : cleaned;
}

/** The extension of a file name or URL path segment, if it has one. */
export function extensionOfName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const base = name.split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  if (dot <= 0 || dot === base.length - 1) return undefined;
  return normalizeExtension(base.slice(dot + 1));
}

/** `"Image/PNG; charset=x"` → `"image/png"`. */
export function mediaTypeEssence(mediaType: string | undefined): string | undefined {
  if (mediaType === undefined) return undefined;
  const essence = mediaType.split(";")[0]?.trim().toLowerCase() ?? "";
  return essence === "" ? undefined : essence;
}

export function formatFromExtension(ext: string | undefined): FormatId | undefined {
  const normalized = normalizeExtension(ext);
  return normalized === undefined ? undefined : byExtension.get(normalized);
}

export function formatFromMediaType(mediaType: string | undefined): FormatId | undefined {
  const essence = mediaTypeEssence(mediaType);
  return essence === undefined ? undefined : byMediaType.get(essence);
}
