import type { MultimodalConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import { defaultParsers } from "../parse/default-parsers.js";
import { ParserRegistry } from "../parse/registry.js";
import { parsingModelsFrom, type ParsingModels } from "../providers/multimodal.js";
import type { ParseCache } from "../spec/parse-cache.js";
import { checkTextLength, storableText } from "./call-options.js";
import { normalizeMessages, type MessageInput, type Turn } from "./messages.js";
import { PartParser, type PartReport } from "./part-parser.js";
import { sourcePartsOf } from "./source-parts.js";

/** Messages in, text turns out: every non-text part parsed (through the backend's parse cache), a bad one aborting the batch. */
export class TurnParser {
  private readonly parser: PartParser;
  private readonly models: ParsingModels;

  /** `dataRoot`: the memory's own folder, which file:// payloads may never read. */
  constructor(multimodal: MultimodalConfig, cache: ParseCache, logger: Logger, models?: ParsingModels, dataRoot?: string) {
    this.models = models ?? parsingModelsFrom(multimodal, logger);
    this.parser = new PartParser({
      registry: new ParserRegistry(defaultParsers()),
      load: {
        maxBytes: multimodal.maxBytes,
        fetchTimeoutMs: multimodal.fetchTimeoutMs,
        allowPrivateHosts: multimodal.allowPrivateHosts,
        fileUriMaxBytes: multimodal.fileUriMaxBytes,
        fileUriAllowDirs: multimodal.fileUriAllowDirs,
        fileUriDenyDirs: dataRoot === undefined ? [] : [dataRoot],
        allowFileUris: multimodal.allowFileUris,
        maxRedirects: 5,
      },
      limits: {
        maxImagePixels: multimodal.maxImagePixels,
        maxPdfPages: multimodal.maxPdfPages,
        maxAudioSeconds: multimodal.maxAudioSeconds,
        maxHtmlBytes: multimodal.maxHtmlBytes,
        maxEmailAttachments: multimodal.maxEmailAttachments,
        maxAttachmentBytes: multimodal.maxAttachmentBytes,
        officeTimeoutMs: multimodal.officeTimeoutMs,
      },
      ...this.models,
      cache,
      maxConcurrency: multimodal.maxConcurrency,
      maxRequestBytes: multimodal.maxRequestBytes,
      logger,
    });
  }

  async parse(messages: MessageInput): Promise<{ turns: Turn[]; parts: PartReport[] }> {
    const normalized = normalizeMessages(messages).filter((message) => message.role !== "system");
    const { texts, reports } = await this.parser.parseMessages(normalized);
    const turns: Turn[] = [];
    normalized.forEach((message, i) => {
      const text = storableText(texts[i]!);
      if (text.trim() === "") return;
      checkTextLength(text, `messages[${message.index}]`);
      const turn: Turn = { index: message.index, role: message.role, text };
      if (message.senderId !== undefined) turn.senderId = message.senderId;
      if (message.timestamp !== undefined) turn.timestamp = message.timestamp;
      const sourceParts = sourcePartsOf(reports, message.index);
      if (sourceParts.length > 0) turn.sourceParts = sourceParts;
      turns.push(turn);
    });
    return { turns, parts: reports };
  }

  /** Stops the parsing models that hold resources (the OCR worker). */
  async close(): Promise<void> {
    await this.models.ocr?.close?.();
  }
}
