import type { OcrEngine, Transcriber, VisionModel } from "../spec/parser.js";
import type { Semaphore } from "../util/semaphore.js";

/** The models parsers call, as PartParser hands them on. */
export interface ParseModels {
  vision?: VisionModel;
  transcriber?: Transcriber;
  ocr?: OcrEngine;
}

/**
 * The same models, each call holding one slot of `slots` only while it runs
 * (`multimodal.max_concurrency`). The bound sits on the model call, the leaf of every parse:
 * a parse that parses an attachment holds no slot while it waits, so nesting cannot deadlock.
 */
export function boundedModels(models: ParseModels, slots: Semaphore): ParseModels {
  const bounded: ParseModels = {};
  const { vision, transcriber, ocr } = models;
  if (vision !== undefined) {
    bounded.vision = {
      modelName: vision.modelName,
      describeImage: (request) => slots.run(() => vision.describeImage(request)),
    };
  }
  if (transcriber !== undefined) {
    bounded.transcriber = {
      name: transcriber.name,
      transcribe: (request) => slots.run(() => transcriber.transcribe(request)),
    };
  }
  if (ocr !== undefined) {
    bounded.ocr = { recognize: (image, abortSignal) => slots.run(() => ocr.recognize(image, abortSignal)) };
  }
  return bounded;
}
