/**
 * Attachments as a model gives them (a file path, a URL, or base64 with a type) turned into
 * EverOS content items, the one shape both `Memory.add` and the HTTP API take. Loading and
 * checking the payload (allowed folders, size caps, private hosts) stays the pipeline's job.
 */
import { homedir } from "node:os";
import { basename, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { extensionOfName, FORMATS, formatFromExtension, formatFromMediaType, mediaTypeEssence } from "../content/formats.js";
import type { ContentItem } from "../spec/http.js";
import type { PartType } from "../spec/types.js";

const ATTACHMENT_TYPES = ["image", "pdf", "audio", "doc", "html", "email"] as const;
type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

export const attachmentSchema = z
  .object({
    path: z
      .string()
      .min(1)
      .optional()
      .describe("A file on the machine running the memory server: absolute, relative to its working folder, or starting with ~/"),
    url: z.string().min(1).optional().describe("An http(s):// URL the server fetches, or a data: URI"),
    base64: z.string().min(1).optional().describe("The file's bytes in base64 (no data: prefix needed); give media_type or name with it"),
    media_type: z.string().optional().describe('The MIME type, e.g. "image/png", "application/pdf", "audio/mpeg"'),
    type: z.enum(ATTACHMENT_TYPES).optional().describe("What the file is; optional, the server recognises the format from its bytes"),
    name: z.string().max(255).optional().describe('A file name such as "receipt.jpg"; its extension helps recognise base64 payloads'),
  })
  .strict()
  .refine((value) => [value.path, value.url, value.base64].filter((field) => field !== undefined).length === 1, {
    message: "an attachment needs exactly one of path, url or base64",
  })
  .describe("A file to remember: an image (its text is read by OCR or a vision model), a PDF, audio, an office document, an HTML page or an email");

export type Attachment = z.infer<typeof attachmentSchema>;

/** One content item for an attachment; relative paths resolve against `cwd`. */
export function attachmentItem(attachment: Attachment, cwd: string): ContentItem {
  const mediaType = mediaTypeEssence(attachment.media_type);
  if (attachment.path !== undefined) {
    const path = absolutePath(attachment.path, cwd);
    const name = attachment.name ?? basename(path);
    return withHints({ type: attachment.type ?? guessType(extensionOfName(name), mediaType), uri: pathToFileURL(path).href }, name, mediaType);
  }
  if (attachment.url !== undefined) {
    const name = attachment.name ?? nameOfUrl(attachment.url);
    return withHints({ type: attachment.type ?? guessType(extensionOfName(name), mediaType ?? dataUriType(attachment.url)), uri: attachment.url }, name, mediaType);
  }
  const name = attachment.name;
  return withHints({ type: attachment.type ?? guessType(extensionOfName(name), mediaType), base64: attachment.base64! }, name, mediaType);
}

function absolutePath(path: string, cwd: string): string {
  if (path === "~" || path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** The extension travels as `ext` (the HTTP API has no media type field); the sniffer has the last word. */
function withHints(item: ContentItem, name: string | undefined, mediaType: string | undefined): ContentItem {
  const ext = extensionOfName(name) ?? extensionOfMediaType(mediaType);
  if (ext !== undefined) item.ext = ext;
  if (name !== undefined && name !== "") item.name = name;
  return item;
}

function extensionOfMediaType(mediaType: string | undefined): string | undefined {
  const format = formatFromMediaType(mediaType);
  return format === undefined ? undefined : FORMATS[format].extensions[0];
}

/** A declared type for the item; only a hint, since the bytes decide what a file is. */
function guessType(ext: string | undefined, mediaType: string | undefined): AttachmentType {
  const format = formatFromExtension(ext) ?? formatFromMediaType(mediaType);
  if (format !== undefined) {
    const modality: PartType = FORMATS[format].modality;
    return modality === "text" ? "doc" : modality;
  }
  const top = mediaType?.split("/")[0];
  return top === "image" || top === "audio" ? top : "doc";
}

function nameOfUrl(url: string): string | undefined {
  if (/^data:/i.test(url)) return undefined;
  try {
    const last = new URL(url).pathname.split("/").pop();
    return last === undefined || last === "" ? undefined : decodeURIComponent(last);
  } catch {
    return undefined;
  }
}

function dataUriType(url: string): string | undefined {
  const match = /^data:([^;,]+)/i.exec(url);
  return match === null ? undefined : mediaTypeEssence(match[1]);
}
