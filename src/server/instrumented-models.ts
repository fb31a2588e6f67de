/**
 * Decorators that time every model call for /metrics. The server builds the models from the
 * config itself and hands Memory the wrapped instances, so nothing in the pipeline changes.
 */
import type { ParsingModels } from "../providers/multimodal.js";
import type { Embedder } from "../spec/embedder.js";
import type { JsonRequest, ModelUsage, StructuredModel } from "../spec/llm.js";
import type { OcrEngine, Transcriber, VisionModel } from "../spec/parser.js";
import type { ModelKind, ServerMetrics } from "./metrics.js";

async function timed<T>(
  metrics: ServerMetrics,
  kind: ModelKind,
  model: string,
  call: () => Promise<T>,
  usageOf?: (value: T) => ModelUsage,
): Promise<T> {
  const started = performance.now();
  try {
    const value = await call();
    metrics.modelCall(kind, model, true, (performance.now() - started) / 1000, usageOf?.(value));
    return value;
  } catch (error) {
    metrics.modelCall(kind, model, false, (performance.now() - started) / 1000);
    throw error;
  }
}

export function instrumentChatModel(model: StructuredModel, metrics: ServerMetrics): StructuredModel {
  return {
    get modelName() {
      return model.modelName;
    },
    generateJson<T>(request: JsonRequest<T>) {
      return timed(metrics, "chat", model.modelName, () => model.generateJson(request), (result) => result.usage);
    },
  };
}

export function instrumentEmbedder(embedder: Embedder, metrics: ServerMetrics): Embedder {
  return {
    get model() {
      return embedder.model;
    },
    get dimensions() {
      return embedder.dimensions;
    },
    ready: () => embedder.ready(),
    embed: (texts) => timed(metrics, "embedding", embedder.model, () => embedder.embed(texts)),
  };
}

export function instrumentParsingModels(models: ParsingModels, metrics: ServerMetrics): ParsingModels {
  const instrumented: ParsingModels = {};
  const { vision, transcriber, ocr } = models;
  if (vision !== undefined) {
    instrumented.vision = {
      get modelName() {
        return vision.modelName;
      },
      describeImage: (request) => timed(metrics, "vision", vision.modelName, () => vision.describeImage(request)),
    } satisfies VisionModel;
  }
  if (transcriber !== undefined) {
    instrumented.transcriber = {
      get name() {
        return transcriber.name;
      },
      transcribe: (request) => timed(metrics, "transcription", transcriber.name, () => transcriber.transcribe(request)),
    } satisfies Transcriber;
  }
  if (ocr !== undefined) {
    const wrapped: { -readonly [K in keyof OcrEngine]: OcrEngine[K] } & { close?(): Promise<void> } = {
      recognize: (image, abortSignal) => timed(metrics, "ocr", "tesseract", () => ocr.recognize(image, abortSignal)),
    };
    // The engine's name goes into the provenance of the text it reads (part reports, source parts).
    if (ocr.name !== undefined) wrapped.name = ocr.name;
    if (ocr.close !== undefined) wrapped.close = () => ocr.close!();
    instrumented.ocr = wrapped;
  }
  return instrumented;
}
