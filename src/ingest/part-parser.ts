import type { Logger } from "../log.js";
import { loadPart, type LoadOptions } from "../content/load.js";
import { sniff } from "../content/sniff.js";
import type { ParserRegistry } from "../parse/registry.js";
import { FileSizeError, InvalidImageError, isOmnimemError, UnsupportedFormatError } from "../spec/errors.js";
import type { OcrEngine, ParseContext, ParseLimits, ParseOutput, SniffedFormat, Transcriber, VisionModel } from "../spec/parser.js";
import type { Part, PartType, Provenance } from "../spec/types.js";
import { sha256Bytes } from "../util/hash.js";
import { Semaphore } from "../util/semaphore.js";
import { boundedModels, type ParseModels } from "./bounded-models.js";
import type { ParseCache } from "../spec/parse-cache.js";

/** How one content item was parsed: returned by `add` and the server's /add. */
export interface PartReport {
  messageIndex: number;
  itemIndex: number;
  /** The modality it was parsed as (the sniffed one, which wins over what was declared). */
  type: PartType;
  /** What the caller said it was, when that differs from what it is. */
  declaredType?: PartType;
  format: string;
  /** The file name, when the item or its URL named one. */
  name?: string;
  parseStatus: "ok" | "failed";
  parser: string;
  /** The model or engine behind the parser, where there is one (a vision model, a transcriber, the OCR engine). */
  model?: string;
  chars: number;
  bytes: number;
  sha256: string;
  durationMs: number;
  cached: boolean;
  provenance?: Provenance[];
  /** What the parser left out and why (e.g. an e-mail's MIME parts past the limit). */
  warnings?: string[];
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
  /** Model calls (vision, transcription, OCR jobs) running at once, across all requests (`max_concurrency`). */
  maxConcurrency: number;
  /** Bytes the loaded items of one batch may hold in total (`max_request_bytes`). */
  maxRequestBytes: number;
  logger: Logger;
}

/** A message whose content was normalised into canonical parts. */
type NormalizedMessage = Pick<import("./messages.js").NormalizedMessage, "index" | "parts">;

const MAX_NESTING = 3;
const BINARY_TYPES = new Set<PartType>(["image", "pdf", "audio"]);
/** Items of one batch loading (fetching, reading, decoding) at once. */
export const LOADS_AT_ONCE = 4;
/** Items of one batch parsing at once; nested payloads parse inside their item and take no slot. */
export const PARSES_AT_ONCE = 4;

/** One non-text content item, where it sits in the batch. */
interface PayloadItem {
  part: Exclude<Part, { type: "text" }>;
  messageIndex: number;
  itemIndex: number;
}

type PreparedItem = Awaited<ReturnType<PartParser["prepare"]>>;

/**
 * The parse stage: every non-text part of a batch is loaded and sniffed first (a bad one
 * aborts the whole batch before anything is parsed or written), then parsed with bounded
 * concurrency. A model failure marks just that item failed; the batch goes on. Parsed text
 * is cached by the sha256 of the bytes; the bytes themselves are dropped here.
 */
export class PartParser {
  /** Shared by every batch: the bound is on model calls, which never wait for anything else. */
  private readonly models: ParseModels;

  constructor(private readonly options: PartParserOptions) {
    const slots = new Semaphore(options.maxConcurrency);
    const { vision, transcriber, ocr } = options;
    this.models = boundedModels({ ...(vision === undefined ? {} : { vision }), ...(transcriber === undefined ? {} : { transcriber }), ...(ocr === undefined ? {} : { ocr }) }, slots);
  }

  /** The text of each message (text parts and parsed parts, in order) and a report per non-text part. */
  async parseMessages(messages: readonly NormalizedMessage[]): Promise<{ texts: string[]; reports: PartReport[] }> {
    const items: PayloadItem[] = [];
    for (const message of messages) {
      message.parts.forEach((part, itemIndex) => {
        if (part.type !== "text") items.push({ part, messageIndex: message.index, itemIndex });
      });
    }
    const prepared: (PreparedItem | undefined)[] = await this.loadAll(items);

    const parsed = new Map<string, string>();
    const reports: PartReport[] = [];
    const parseSlots = new Semaphore(PARSES_AT_ONCE);
    await Promise.all(
      prepared.map((item, i) =>
        parseSlots.run(async () => {
          const { text, report } = await this.parsePrepared(item!);
          // The bytes are not needed once parsed: let them go before the rest of the batch is done.
          prepared[i] = undefined;
          parsed.set(`${report.messageIndex}:${report.itemIndex}`, text);
          reports.push(report);
        }),
      ),
    );
    const texts = messages.map((message) =>
      message.parts
        .map((part, itemIndex) => (part.type === "text" ? part.text : parsed.get(`${message.index}:${itemIndex}`)!))
        .filter((piece) => piece !== "")
        .join("\n\n"),
    );
    reports.sort((a, b) => a.messageIndex - b.messageIndex || a.itemIndex - b.itemIndex);
    return { texts, reports };
  }

  /**
   * Loads and sniffs every item before anything is parsed (a bad one aborts the batch), a few at
   * a time, and within the bytes one batch may hold: each load is capped at what is left of that
   * budget, so a batch over it stops at the item that passes it. The first failure cancels the
   * loads still running and starts no more.
   */
  private async loadAll(items: readonly PayloadItem[]): Promise<PreparedItem[]> {
    const budget = this.options.maxRequestBytes;
    const controller = new AbortController();
    const loadSlots = new Semaphore(LOADS_AT_ONCE);
    let held = 0;
    return Promise.all(
      items.map((item) =>
        loadSlots.run(async () => {
          controller.signal.throwIfAborted();
          try {
            const prepared = await this.prepare(item, budget - held, controller.signal);
            held += prepared.bytes.byteLength;
            if (held > budget) throw requestTooLarge(budget, item);
            return prepared;
          } catch (error) {
            controller.abort(error);
            throw error;
          }
        }),
      ),
    );
  }

  private async prepare({ part, messageIndex, itemIndex }: PayloadItem, remainingBytes: number, signal: AbortSignal) {
    const path = `messages[${messageIndex}].content[${itemIndex}]`;
    const { load } = this.options;
    const capped = Math.max(remainingBytes, 0);
    try {
      const content = await loadPart(part, {
        ...load,
        maxBytes: Math.min(load.maxBytes, capped),
        fileUriMaxBytes: Math.min(load.fileUriMaxBytes, capped),
        signal,
      });
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
      // Over the cap because of what the batch already holds, not because of its own size.
      const cappedByBudget = capped < Math.max(load.maxBytes, load.fileUriMaxBytes);
      if (error instanceof FileSizeError && cappedByBudget && error.details?.maxBytes === capped) {
        throw requestTooLarge(this.options.maxRequestBytes, { messageIndex, itemIndex }, error);
      }
      if (isOmnimemError(error) && error.details?.path === undefined) {
        (error as { details: Record<string, unknown> | undefined }).details = { ...error.details, path };
      }
      throw error;
    }
  }

  private async parsePrepared(prepared: PreparedItem): Promise<{ text: string; report: PartReport }> {
    const { part, messageIndex, itemIndex, bytes, name, format } = prepared;
    const started = performance.now();
    const digest = sha256Bytes(bytes);
    const base = {
      messageIndex,
      itemIndex,
      type: format.modality,
      ...(format.modality === part.type ? {} : { declaredType: part.type }),
      format: format.format,
      ...(name === undefined ? {} : { name }),
      bytes: bytes.byteLength,
      sha256: digest,
    };
    const cacheKey = `${digest}:${this.modeKey(format)}`;
    const cached = await this.options.cache.get(cacheKey);
    if (cached !== undefined) {
      return {
        text: label(part.type, format, name, cached.text),
        report: { ...base, parseStatus: "ok", parser: cached.parser, ...this.modelOf(cached.parser), chars: cached.text.length, durationMs: 0, cached: true },
      };
    }
    try {
      const output = await this.parseBytes(bytes, format, name, 0);
      await this.options.cache.put(cacheKey, output.parser, output.text);
      const report: PartReport = {
        ...base,
        parseStatus: "ok",
        parser: output.parser,
        ...this.modelOf(output.parser),
        chars: output.text.length,
        durationMs: Math.round(performance.now() - started),
        cached: false,
      };
      if (output.provenance !== undefined) report.provenance = output.provenance;
      if (output.warnings !== undefined && output.warnings.length > 0) report.warnings = output.warnings;
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
    if (this.models.vision !== undefined) context.vision = this.models.vision;
    if (this.models.transcriber !== undefined) context.transcriber = this.models.transcriber;
    if (this.models.ocr !== undefined) context.ocr = this.models.ocr;
    return parser.parse({ bytes, format, ...(name === undefined ? {} : { name }) }, context);
  }

  /**
   * The model or engine a parser used, from the parser's name: the text of a cached part was read
   * by the same one, since the cache key names the vision model or transcriber (see modeKey).
   */
  private modelOf(parser: string): { model?: string } {
    const { vision, transcriber, ocr } = this.options;
    const steps = parser.split("/")[1]?.split("+") ?? [];
    if (parser.startsWith("audio/")) return transcriber === undefined ? {} : { model: transcriber.name };
    if (steps.includes("vision") && vision !== undefined) return { model: vision.modelName };
    if (steps.includes("ocr") && ocr?.name !== undefined) return { model: ocr.name };
    return {};
  }

  /** Parsed text depends on the bytes and on who read them: a vision model reads more than OCR. */
  private modeKey(format: SniffedFormat): string {
    if (format.modality === "audio") return `audio:${this.options.transcriber?.name ?? "none"}`;
    return this.options.vision === undefined ? "local" : `vision:${this.options.vision.modelName}`;
  }
}

/** A batch whose loaded items together pass `max_request_bytes`: refused whole, before anything is parsed or written. */
function requestTooLarge(maxRequestBytes: number, item: Pick<PayloadItem, "messageIndex" | "itemIndex">, cause?: unknown): FileSizeError {
  const path = `messages[${item.messageIndex}].content[${item.itemIndex}]`;
  return new FileSizeError(`the content items of this request add up to more than ${maxRequestBytes} bytes (multimodal.max_request_bytes); send fewer or smaller items per request`, {
    ...(cause === undefined ? {} : { cause }),
    details: { reason: "max-request-bytes", maxRequestBytes, path },
  });
}

/**
 * Parsed text goes into the turn with a label, so extraction and search know what it was. A
 * declared type the bytes contradict is named ("pdf (sent as image)"); a text file sent as "doc"
 * is not a contradiction: "doc" is the only type that carries a text file's bytes.
 */
function label(declared: PartType, format: SniffedFormat, name: string | undefined, text: string): string {
  const agrees = format.modality === declared || (format.modality === "text" && declared === "doc");
  const kind = agrees ? format.modality : `${format.modality} (sent as ${declared})`;
  return `[${kind}${name === undefined ? "" : `: ${name}`}]\n${text}`;
}

function extensionOf(name: string | undefined): string | undefined {
  const match = name === undefined ? null : /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return match?.[1]?.toLowerCase();
}
