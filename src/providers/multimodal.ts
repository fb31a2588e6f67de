import type { MultimodalConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { OcrEngine, Transcriber, VisionModel } from "../spec/parser.js";
import { TesseractOcr } from "./ocr/tesseract-ocr.js";
import { OpenAICompatibleTranscriber } from "./transcription/openai-transcriber.js";
import { PocketsphinxTranscriber, detectPocketsphinx } from "./transcription/pocketsphinx-transcriber.js";
import { OpenAICompatibleVisionModel } from "./vision/vision-model.js";

export interface ParsingModels {
  vision?: VisionModel;
  transcriber?: Transcriber;
  ocr?: OcrEngine & { close?(): Promise<void> };
}

/**
 * Builds the parsing models from `[multimodal]`: the vision model and transcription endpoint
 * when configured, else the local OCR and a local recogniser where one is installed.
 */
export function parsingModelsFrom(config: MultimodalConfig, logger: Logger): ParsingModels {
  const models: ParsingModels = {};
  const endpoint = {
    baseURL: config.baseUrl!,
    ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
    maxRetries: config.maxRetries,
    timeoutMs: config.timeoutMs,
    retryBaseDelayMs: config.retryBaseDelayMs,
  };
  if (config.model !== undefined) models.vision = new OpenAICompatibleVisionModel({ ...endpoint, model: config.model });
  if (config.transcriptionModel !== undefined) {
    models.transcriber = new OpenAICompatibleTranscriber({ ...endpoint, model: config.transcriptionModel });
  } else if (detectPocketsphinx() !== undefined) {
    models.transcriber = new PocketsphinxTranscriber();
  }
  if (config.ocr) models.ocr = new TesseractOcr();
  logger.debug({ vision: config.model, transcription: models.transcriber?.name, ocr: config.ocr }, "parsing models");
  return models;
}
