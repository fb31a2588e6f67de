/**
 * Images to text. The image is normalised first (normalize-image.ts), then read by the
 * multimodal model when one is configured ("image/vision": verbatim text plus the key
 * details), else by local OCR ("image/ocr": the text only). With neither, the part cannot be
 * handled: CapabilityUnavailableError (415) says what to configure.
 *
 * A model failure (ProviderError after its retries) is not caught here: the pipeline marks the
 * part `parse_status: "failed"` and goes on with the batch.
 */
import { CapabilityUnavailableError, UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";
import { DEFAULT_IMAGE_PROMPT } from "../../providers/vision/vision-model.js";
import { DEFAULT_MAX_DIMENSION, normalizeImage } from "./normalize-image.js";

export const IMAGE_FORMATS = ["png", "jpg", "gif", "webp", "svg", "bmp", "tiff"] as const;

export interface ImageParserOptions {
  /** Longest side of the image sent to the model or OCR. Default 2048. */
  maxDimension?: number;
  /** What the vision model is asked. Default DEFAULT_IMAGE_PROMPT. */
  prompt?: string;
}

export class ImageParser implements Parser {
  readonly name = "image";
  readonly formats: readonly string[] = IMAGE_FORMATS;

  private readonly maxDimension: number;
  private readonly prompt: string;

  constructor(options: ImageParserOptions = {}) {
    const maxDimension = options.maxDimension ?? DEFAULT_MAX_DIMENSION;
    if (!Number.isInteger(maxDimension) || maxDimension < 16) {
      throw new RangeError(`maxDimension must be an integer >= 16, got ${String(options.maxDimension)}`);
    }
    this.maxDimension = maxDimension;
    this.prompt = options.prompt ?? DEFAULT_IMAGE_PROMPT;
  }

  async parse(input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    const format = input.format.format.toLowerCase();
    if (!this.formats.includes(format)) {
      throw new UnsupportedFormatError(`the image parser does not handle format ${format}`, { details: { format } });
    }
    const { vision, ocr } = context;
    if (vision === undefined && ocr === undefined) throw imageCapabilityMissing(input.name);
    context.abortSignal?.throwIfAborted();

    const image = await normalizeImage(input.bytes, {
      format,
      maxPixels: context.limits.maxImagePixels,
      maxDimension: this.maxDimension,
    });
    context.abortSignal?.throwIfAborted();

    if (vision !== undefined) {
      const text = await vision.describeImage({
        image: image.png,
        mediaType: image.mediaType,
        prompt: this.prompt,
        ...(context.abortSignal === undefined ? {} : { abortSignal: context.abortSignal }),
      });
      return { text, parser: "image/vision" };
    }
    const text = await (ocr as NonNullable<typeof ocr>).recognize(image.png, context.abortSignal);
    return { text, parser: "image/ocr" };
  }
}

function imageCapabilityMissing(name: string | undefined): CapabilityUnavailableError {
  const what = name === undefined ? "an image" : `the image ${JSON.stringify(name)}`;
  return new CapabilityUnavailableError(
    `Cannot read ${what}: no multimodal model and no local OCR are available. Configure [multimodal] model/base_url ` +
      "(OMNIMEM_MULTIMODAL__MODEL, OMNIMEM_MULTIMODAL__BASE_URL) for image descriptions, or enable local OCR (tesseract.js with @tesseract.js-data/eng).",
    { duringParse: true, details: { capability: "vision|ocr" } },
  );
}
