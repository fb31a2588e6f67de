import type { PartType, Provenance } from "./types.js";

/**
 * Parsing contracts: content/ turns a content item into bytes and a sniffed format; parse/
 * turns those bytes into text. Parsers never see where the bytes came from, and never keep them.
 */

/** The real type of a payload, from its bytes first (content/sniff). */
export interface SniffedFormat {
  /** Lower-case format id: png jpg gif webp svg bmp tiff pdf mp3 wav m4a ogg flac doc docx ppt pptx xls xlsx odt ods odp rtf epub html eml msg txt md csv json */
  format: string;
  mediaType: string;
  /** The modality the format belongs to (may differ from what the caller declared). */
  modality: PartType;
}

export interface ParseInput {
  bytes: Uint8Array;
  format: SniffedFormat;
  /** File name when known (an attachment's, a URL's last segment, the item's `name`). */
  name?: string;
}

export interface ParseOutput {
  text: string;
  /** Which parser produced the text, e.g. "image/vision", "image/ocr", "pdf/text-layer". */
  parser: string;
  provenance?: Provenance[];
  /** What the parser left out and why (e.g. MIME parts past the limit); the part report carries them. */
  warnings?: string[];
}

/** Describes images with a multimodal model: the image goes as a real image part, never as text. */
export interface VisionModel {
  readonly modelName: string;
  describeImage(request: { image: Uint8Array; mediaType: string; prompt: string; abortSignal?: AbortSignal }): Promise<string>;
}

/** Speech to text: an OpenAI-compatible /audio/transcriptions endpoint, or a local recogniser. */
export interface Transcriber {
  readonly name: string;
  transcribe(request: { audio: Uint8Array; mediaType: string; fileName: string; abortSignal?: AbortSignal }): Promise<string>;
}

/** Local OCR (tesseract.js in a worker pool). */
export interface OcrEngine {
  /** The engine, named in the provenance of the text it read (e.g. "tesseract.js"). */
  readonly name?: string;
  recognize(image: Uint8Array, abortSignal?: AbortSignal): Promise<string>;
}

export interface ParseLimits {
  /** Pixels an image may decode to (decompression-bomb guard). */
  maxImagePixels: number;
  maxPdfPages: number;
  maxAudioSeconds: number;
  maxHtmlBytes: number;
  maxEmailAttachments: number;
  maxAttachmentBytes: number;
  /** LibreOffice conversion time limit. */
  officeTimeoutMs: number;
}

export interface ParseContext {
  vision?: VisionModel;
  transcriber?: Transcriber;
  ocr?: OcrEngine;
  limits: ParseLimits;
  /** Parses a nested payload (an email attachment) through the registry, with sniffing. */
  parseNested(bytes: Uint8Array, name: string | undefined, depth: number): Promise<ParseOutput>;
  depth: number;
  abortSignal?: AbortSignal;
}

export interface Parser {
  /** E.g. "image", "pdf", "office". */
  readonly name: string;
  /** The sniffed formats it handles. */
  readonly formats: readonly string[];
  parse(input: ParseInput, context: ParseContext): Promise<ParseOutput>;
}
