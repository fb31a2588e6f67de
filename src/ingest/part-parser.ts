import type { Logger } from "../log.js";
import { loadPart, type LoadOptions } from "../content/load.js";
import { sniff } from "../content/sniff.js";
import type { ParserRegistry } from "../parse/registry.js";
import { InvalidImageError, isOmnimemError, UnsupportedFormatError } from "../spec/errors.js";
import type { OcrEngine, ParseContext, ParseLimits, ParseOutput, SniffedFormat, Transcriber, VisionModel } from "../spec/parser.js";
import type { Part, PartType, Provenance } from "../spec/types.js";
import { sha256Bytes } from "../util/hash.js";
import { Semaphore } from "../util/semaphore.js";
import type { ParseCache } from "./parse-cache.js";

/** How one content item was parsed: returned by `add` and the server's /add. */
export interface PartReport {
  messageIndex: number;
  itemIndex: number;
  /** The modality it was parsed as (the sniffed one, which wins over what was declared). */
  type: PartType;
  /** What the caller said it was, when that differs from what it is. */
  declaredType?: PartType;
  format: string;
  parseStatus: "ok" | "failed";
  parser: string;
  chars: number;
  bytes: number;
  sha256: string;
  durationMs: number;
  cached: boolean;
  provenance?: Provenance[];
  error?: { code: string; message: string };
}

export interface PartParserOptions {
  registry: ParserRegistry;
  load: LoadOptions;
  limits: ParseLimits;
  vision?: VisionModel;
  transcriber?: Transcriber;
  ocr?: OcrEngine;
  cache: ParseCache;
  /** Model calls (and OCR jobs) running at once. */
  maxConcurrency: number;
  logger: Logger;
}

/** A message whose content was normalised into canonical parts. */
type NormalizedMessage = Pick<import("./messages.js").NormalizedMessage, "index" | "parts">;

const MAX_NESTING = 3;
const BINARY_TYPES = new Set<PartType>(["image", "pdf", "audio"]);

/**
 * The parse stage: every non-text part of a batch is loaded and sniffed first (a bad one
 * aborts the whole batch before anything is parsed or written), then parsed with bounded
 * concurrency. A model failure marks just that item failed; the batch goes on. Parsed text
 * is cached by the sha256 of the bytes; the bytes themselves are dropped here.
 */
export class PartParser {
  private readonly semaphore: Semaphore;

  constructor(private readonly options: PartParserOptions) {
    this.semaphore = new Semaphore(options.maxConcurrency);
  }

  /** The text of each message (text parts and parsed parts, in order) and a report per non-text part. */
  async parseMessages(messages: readonly NormalizedMessage[]): Promise<{ texts: string[]; reports: PartReport[] }> {
    const loaded = await Promise.all(
      messages.map((message) =>
        Promise.all(message.parts.map(async (part, itemIndex) => (part.type === "text" ? undefined : this.prepare(part, message.index, itemIndex)))),
      ),
    );
    const reports: PartReport[] = [];
    const texts = await Promise.all(
      messages.map(async (message, m) => {
        const pieces = await Promise.all(
          message.parts.map(async (part, itemIndex) => {
            if (part.type === "text") return part.text;
            const prepared = loaded[m]![itemIndex]!;
            const { text, report } = await this.parsePrepared(prepared);
            reports.push(report);
            return text;
          }),
        );
        return pieces.filter((piece) => piece !== "").join("\n\n");
      }),
    );
    reports.sort((a, b) => a.messageIndex - b.messageIndex || a.itemIndex - b.itemIndex);
    return { texts, reports };
  }

  private async prepare(part: Exclude<Part, { type: "text" }>, messageIndex: number, itemIndex: number) {
    const path = `messages[${messageIndex}].content[${itemIndex}]`;
    try {
      const content = await loadPart(part, this.options.load);
      const name = part.name ?? content.name;
      const format = await sniff(content.bytes, { declaredType: part.type, ext: part.ext, mediaType: part.mediaType ?? content.mediaType, name });
      if (format === undefined) {
        const message = `${path}: cannot tell what kind of ${part.type} this is (no known signature, extension or media type)`;
        throw part.type === "image" ? new InvalidImageError(message) : new UnsupportedFormatError(message);
      }
      // Plain text is what undecodable bytes look like: it never overrides a binary declaration.
      if (format.format === "txt" && BINARY_TYPES.has(part.type)) {
        const message = `${path}: declared ${part.type}, but the bytes are plain text`;
        throw part.type === "image" ? new InvalidImageError(message) : new UnsupportedFormatError(message);
      }
      this.options.registry.parserFor(format);
      return { part, messageIndex, itemIndex, bytes: content.bytes, name, format };
    } catch (error) {
      if (isOmnimemError(error) && error.details?.path === undefined) {
        (error as { details: Record<string, unknown> | undefined }).details = { ...error.details, path };
      }
      throw error;
    }
  }

  private async parsePrepared(prepared: Awaited<ReturnType<PartParser["prepare"]>>): Promise<{ text: string; report: PartReport }> {
    const { part, messageIndex, itemIndex, bytes, name, format } = prepared;
    const started = performance.now();
    const digest = sha256Bytes(bytes);
    const base = {
      messageIndex,
      itemIndex,
      type: format.modality,
      ...(format.modality === part.type ? {} : { declaredType: part.type }),
      format: format.format,
      bytes: bytes.byteLength,
      sha256: digest,
    };
    const cacheKey = `${digest}:${this.modeKey(format)}`;
    const cached = this.options.cache.get(cacheKey);
    if (cached !== undefined) {
      return {
        text: label(part.type, format, name, cached.text),
        report: { ...base, parseStatus: "ok", parser: cached.parser, chars: cached.text.length, durationMs: 0, cached: true },
      };
    }
    try {
      const output = await this.parseBytes(bytes, format, name, 0);
      this.options.cache.put(cacheKey, output.parser, output.text);
      const report: PartReport = {
        ...base,
        parseStatus: "ok",
        parser: output.parser,
        chars: output.text.length,
        durationMs: Math.round(performance.now() - started),
        cached: false,
      };
      if (output.provenance !== undefined) report.provenance = output.provenance;
      return { text: label(part.type, format, name, output.text), report };
    } catch (error) {
      // A model that failed after its retries costs this item its text, not the batch.
      if (isOmnimemError(error) && error.code === "PROVIDER_ERROR") {
        this.options.logger.warn({ err: error, messageIndex, itemIndex }, "a content item could not be parsed by the model");
        return {
          text: "",
          report: {
            ...base,
            parseStatus: "failed",
            parser: this.options.registry.parserFor(format).name,
            chars: 0,
            durationMs: Math.round(performance.now() - started),
            cached: false,
            error: { code: error.code, message: error.message },
          },
        };
      }
      throw error;
    }
  }

  private parseBytes(bytes: Uint8Array, format: SniffedFormat, name: string | undefined, depth: number): Promise<ParseOutput> {
    const parser = this.options.registry.parserFor(format);
    const context: ParseContext = {
      limits: this.options.limits,
      depth,
      parseNested: async (nested, nestedName, nestedDepth) => {
        if (nestedDepth > MAX_NESTING) throw new UnsupportedFormatError(`attachments nest deeper than ${MAX_NESTING} levels`);
        const nestedFormat = await sniff(nested, { declaredType: "doc", name: nestedName, ext: extensionOf(nestedName) });
        if (nestedFormat === undefined) throw new UnsupportedFormatError(`cannot tell what kind of file ${nestedName ?? "(unnamed)"} is`);
        return this.parseBytes(nested, nestedFormat, nestedName, nestedDepth);
      },
    };
    if (this.options.vision !== undefined) context.vision = this.options.vision;
    if (this.options.transcriber !== undefined) context.transcriber = this.options.transcriber;
    if (this.options.ocr !== undefined) context.ocr = this.options.ocr;
    return this.semaphore.run(() => parser.parse({ bytes, format, ...(name === undefined ? {} : { name }) }, context));
  }

  /** Parsed text depends on the bytes and on who read them: a vision model reads more than OCR. */
  private modeKey(format: SniffedFormat): string {
    if (format.modality === "audio") return `audio:${this.options.transcriber?.name ?? "none"}`;
    return this.options.vision === undefined ? "local" : `vision:${this.options.vision.modelName}`;
  }
}

/** Parsed text goes into the turn with a label, so extraction and search know what it was. */
function label(declared: PartType, format: SniffedFormat, name: string | undefined, text: string): string {
  const kind = format.modality === declared ? format.modality : `${format.modality} (sent as ${declared})`;
  return `[${kind}${name === undefined ? "" : `: ${name}`}]\n${text}`;
}

function extensionOf(name: string | undefined): string | undefined {
  const match = name === undefined ? null : /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return match?.[1]?.toLowerCase();
}
