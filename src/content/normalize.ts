import { UnsupportedFormatError, UriRejectedError, ValidationError } from "../spec/errors.js";
import type { Part, PartType } from "../spec/types.js";
import { parseDataUri } from "./base64.js";
import {
  extensionOfName,
  FORMATS,
  formatFromExtension,
  formatFromMediaType,
  type FormatInfo,
  mediaTypeEssence,
  normalizeExtension,
} from "./formats.js";

/**
 * Every content shape omnimem accepts becomes one canonical `Part`:
 * - a plain string;
 * - OpenAI/Mem0 parts: `text`, `image_url` (`{url}` or a string; http(s) or data: URI), `input_audio`, `file`;
 * - EverOS ContentItems: `{type: text|image|pdf|audio|doc|html|email, text | uri | base64, ext?, name?}`;
 * - library parts with raw bytes: `{type: "image" | ..., data: Uint8Array, mediaType?, name?}`.
 * Shapes are checked here; payloads are fetched and decoded later (content/load).
 */

type PayloadType = Exclude<PartType, "text">;
type PayloadPart = Extract<Part, { source: unknown }>;
type Source = PayloadPart["source"];

const PAYLOAD_TYPES: ReadonlySet<string> = new Set<PayloadType>(["image", "pdf", "audio", "doc", "html", "email"]);
const URL_SCHEMES = new Set(["http:", "https:", "data:", "file:"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof ArrayBuffer);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "bytes";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function invalid(message: string, path: string, field?: string): ValidationError {
  return new ValidationError(`${path}: ${message}`, { details: field === undefined ? { path } : { path, field } });
}

function optionalString(item: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = item[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`\`${key}\` must be a string, got ${describe(value)}`, path, key);
  return value;
}

/** Checks a URL payload and turns it into a source; data: URIs stay URLs (content/load decodes them). */
function urlSource(url: string, path: string, field: string): Source {
  const trimmed = url.trim();
  if (trimmed === "") throw invalid(`\`${field}\` is empty`, path, field);
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch (cause) {
    throw new ValidationError(`${path}: \`${field}\` is not a valid URL`, { cause, details: { path, field } });
  }
  if (!URL_SCHEMES.has(parsed.protocol)) {
    throw new UriRejectedError(`${path}: URL scheme ${parsed.protocol} is not supported (use http(s), data: or file:)`, {
      details: { path, field, reason: "scheme", scheme: parsed.protocol },
    });
  }
  if (parsed.protocol === "data:") parseDataUri(trimmed, path);
  return { kind: "url", url: trimmed };
}

/** A base64 field: a data: URI is accepted there too (its header carries the media type). */
function base64Source(data: string, path: string, field: string): Source {
  const trimmed = data.trim();
  if (trimmed === "") throw invalid(`\`${field}\` is empty`, path, field);
  if (/^data:/i.test(trimmed)) return urlSource(trimmed, path, field);
  return { kind: "base64", data: trimmed };
}

function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/** A library payload (`data` / AI SDK `image`): bytes, a URL object, or a string that is a URL or base64. */
function librarySource(value: unknown, path: string, field: string): Source {
  const bytes = bytesOf(value);
  if (bytes !== undefined) {
    if (bytes.byteLength === 0) throw invalid(`\`${field}\` is empty`, path, field);
    return { kind: "bytes", data: bytes };
  }
  if (value instanceof URL) return urlSource(value.href, path, field);
  if (typeof value === "string") {
    return /^(https?|file|data):/i.test(value.trim()) ? urlSource(value, path, field) : base64Source(value, path, field);
  }
  throw invalid(`\`${field}\` must be bytes (Uint8Array), a URL or a base64 string, got ${describe(value)}`, path, field);
}

function payloadPart(
  type: PayloadType,
  source: Source,
  extras: { mediaType?: string | undefined; ext?: string | undefined; name?: string | undefined },
): PayloadPart {
  const part: PayloadPart = { type, source };
  const mediaType = mediaTypeEssence(extras.mediaType);
  const ext = normalizeExtension(extras.ext);
  if (mediaType !== undefined) part.mediaType = mediaType;
  if (ext !== undefined) part.ext = ext;
  if (extras.name !== undefined && extras.name !== "") part.name = extras.name;
  return part;
}

function imageUrlPart(item: Record<string, unknown>, path: string): PayloadPart {
  const imageUrl = item.image_url;
  let url: unknown = imageUrl;
  if (isRecord(imageUrl)) url = imageUrl.url;
  else if (typeof imageUrl !== "string") throw invalid(`\`image_url\` must be {url} or a string, got ${describe(imageUrl)}`, path, "image_url");
  if (typeof url !== "string") throw invalid(`\`image_url.url\` must be a string, got ${describe(url)}`, path, "image_url.url");
  return payloadPart("image", urlSource(url, path, "image_url.url"), {});
}

const AUDIO_FORMATS: Readonly<Record<string, string>> = { wav: "wav", mp3: "mp3", mpeg: "mp3", flac: "flac", ogg: "ogg", opus: "ogg", m4a: "m4a", mp4: "m4a" };

function inputAudioPart(item: Record<string, unknown>, path: string): PayloadPart {
  const audio = item.input_audio;
  if (!isRecord(audio)) throw invalid(`\`input_audio\` must be {data, format}, got ${describe(audio)}`, path, "input_audio");
  const data = audio.data;
  if (typeof data !== "string") throw invalid("`input_audio.data` must be a base64 string", path, "input_audio.data");
  const format = optionalString(audio, "format", path)?.toLowerCase();
  const ext = format === undefined ? undefined : (AUDIO_FORMATS[format] ?? format);
  return payloadPart("audio", base64Source(data, path, "input_audio.data"), { ext });
}

/** The modality a file most likely is, from its name or media type; the sniffer has the last word. */
function modalityOfFile(ext: string | undefined, mediaType: string | undefined): PayloadType {
  const format = formatFromExtension(ext) ?? formatFromMediaType(mediaType);
  if (format === undefined) {
    const top = mediaTypeEssence(mediaType)?.split("/")[0];
    if (top === "image" || top === "audio") return top;
    return "doc";
  }
  const modality = (FORMATS[format] as FormatInfo).modality;
  return modality === "text" ? "doc" : modality;
}

function openAiFilePart(item: Record<string, unknown>, path: string): PayloadPart {
  const file = item.file;
  if (!isRecord(file)) throw invalid(`\`file\` must be {file_data, filename}, got ${describe(file)}`, path, "file");
  const filename = optionalString(file, "filename", path);
  const fileData = file.file_data;
  if (fileData === undefined || fileData === null) {
    if (file.file_id !== undefined) {
      throw invalid("`file.file_id` references an OpenAI upload omnimem cannot fetch; send `file.file_data`", path, "file.file_id");
    }
    throw invalid("`file.file_data` is required", path, "file.file_data");
  }
  if (typeof fileData !== "string") throw invalid("`file.file_data` must be a data URI or base64 string", path, "file.file_data");
  const source = base64Source(fileData, path, "file.file_data");
  const uriType = source.kind === "url" ? parseDataUri(source.url, path).mediaType : undefined;
  const ext = extensionOfName(filename);
  return payloadPart(modalityOfFile(ext, uriType), source, { ext, name: filename });
}

/** AI SDK file parts: `{type: "file", data, mediaType, filename?}`. */
function aiSdkFilePart(item: Record<string, unknown>, path: string): PayloadPart {
  const mediaType = optionalString(item, "mediaType", path) ?? optionalString(item, "mimeType", path);
  const name = optionalString(item, "filename", path) ?? optionalString(item, "name", path);
  const ext = normalizeExtension(optionalString(item, "ext", path)) ?? extensionOfName(name);
  return payloadPart(modalityOfFile(ext, mediaType), librarySource(item.data, path, "data"), { mediaType, ext, name });
}

const PAYLOAD_FIELDS = ["text", "uri", "url", "base64", "data", "image"] as const;

/** EverOS ContentItems and library parts: `{type, text | uri | base64 | data, ext?, name?, mediaType?}`. */
function typedItem(type: PartType, item: Record<string, unknown>, path: string): Part {
  const present = PAYLOAD_FIELDS.filter((field) => item[field] !== undefined && item[field] !== null);
  // The AI SDK's `{type: "image", image}` names its payload after the type; elsewhere `image` is not a payload.
  const payloadFields = type === "image" ? present : present.filter((field) => field !== "image");
  if (payloadFields.length === 0) {
    throw invalid(`a ${type} item needs exactly one of \`text\`, \`uri\` or \`base64\` (or \`data\` bytes); it has none`, path);
  }
  if (payloadFields.length > 1) {
    throw invalid(`a ${type} item carries exactly one of \`text\`, \`uri\` or \`base64\`; it has ${payloadFields.map((field) => `\`${field}\``).join(" and ")}`, path);
  }
  const field = payloadFields[0] ?? "text";
  const value = item[field];

  if (type === "text") {
    if (field !== "text") throw invalid(`a text item carries its content in \`text\`; send a file as type "doc" (got \`${field}\`)`, path, field);
    if (typeof value !== "string") throw invalid(`\`text\` must be a string, got ${describe(value)}`, path, "text");
    return { type: "text", text: value };
  }
  if (field === "text") {
    throw new UnsupportedFormatError(`${path}: a ${type} item must carry its content in \`uri\` or \`base64\`, not \`text\``, {
      details: { path, field: "text", type },
    });
  }

  const extras = {
    mediaType: optionalString(item, "mediaType", path) ?? optionalString(item, "mime_type", path) ?? optionalString(item, "mimeType", path),
    ext: optionalString(item, "ext", path),
    name: optionalString(item, "name", path) ?? optionalString(item, "filename", path),
  };
  let source: Source;
  if (field === "uri" || field === "url") {
    if (typeof value === "string") source = urlSource(value, path, field);
    else if (value instanceof URL) source = urlSource(value.href, path, field);
    else throw invalid(`\`${field}\` must be a string, got ${describe(value)}`, path, field);
  } else if (field === "base64") {
    if (typeof value !== "string") throw invalid(`\`base64\` must be a string, got ${describe(value)}`, path, "base64");
    source = base64Source(value, path, "base64");
  } else {
    source = librarySource(value, path, field);
  }
  return payloadPart(type as PayloadType, source, { ...extras, ext: extras.ext ?? extensionOfName(extras.name) });
}

function normalizeItem(item: unknown, path: string): Part {
  if (typeof item === "string") return { type: "text", text: item };
  if (!isRecord(item)) throw invalid(`a content item must be a string or an object, got ${describe(item)}`, path);
  const type = item.type;
  if (typeof type !== "string") throw invalid("a content item needs a string `type`", path, "type");
  switch (type) {
    case "text":
    case "input_text":
    case "output_text":
      return typedItem("text", item, path);
    case "image_url":
      return imageUrlPart(item, path);
    case "input_image":
      // OpenAI Responses API: `image_url` is a plain string there.
      return item.image_url !== undefined ? imageUrlPart(item, path) : typedItem("image", item, path);
    case "input_audio":
      return inputAudioPart(item, path);
    case "file":
    case "input_file":
      return isRecord(item.file) || item.file_data !== undefined
        ? openAiFilePart(isRecord(item.file) ? item : { file: item }, path)
        : aiSdkFilePart(item, path);
    default:
      if (PAYLOAD_TYPES.has(type)) return typedItem(type as PayloadType, item, path);
      throw invalid(
        `unknown content type ${JSON.stringify(type)} (expected text, image_url, input_audio, file, image, pdf, audio, doc, html or email)`,
        path,
        "type",
      );
  }
}

/**
 * A message's `content` (a string, one content object, or an array of them) as canonical Parts.
 * `path` names the content in errors (`messages[0].content`); items in an array get `[i]` appended.
 */
export function normalizeContent(content: unknown, path: string): Part[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (Array.isArray(content)) return content.map((item, index) => normalizeItem(item, `${path}[${index}]`));
  if (isRecord(content)) return [normalizeItem(content, path)];
  throw invalid(`content must be a string, an object or an array, got ${describe(content)}`, path);
}
