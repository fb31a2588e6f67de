/**
 * A multimodal chat model that turns an image into text for parsing: the verbatim visible text
 * plus the details worth remembering.
 *
 * The image goes to the model as a real image part (`{type: "image", image: bytes, mediaType}`),
 * which OpenAI-compatible providers send as an `image_url` content part holding a `data:` URI.
 * Mem0's TypeScript SDK sends the image as JSON text inside the prompt, so the model never sees
 * it; that is the bug this class exists not to have.
 *
 * HTTP failures go through ../retry.ts (backoff, retry-after, per-attempt timeout) and end as a
 * ProviderError. Images and answers hold people's data: they are never logged.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText as sdkGenerateText, type ModelMessage } from "ai";

import type { VisionModel } from "../../spec/parser.js";
import type { AISDKLanguageModel } from "../llm/chat-model.js";
import { stripReasoning } from "../llm/chat-model.js";
import {
  integerOption,
  redactUrl,
  resolveRetrySettings,
  secretsOf,
  withRetries,
  type RetrySettings,
  type RetrySettingsInput,
  endpointFailureReport,
  type EndpointOptions,
} from "../retry.js";

/** What an image parser asks for when it has nothing more specific to say. */
export const DEFAULT_IMAGE_PROMPT = [
  "Transcribe and describe this image so that it can be stored as text in a long-term memory.",
  "1. Text: copy every piece of visible text verbatim, in reading order, keeping line breaks,",
  "   numbers, names, dates and amounts exactly as written. Do not translate or correct it.",
  "   Render tables as Markdown tables. Write [illegible] for text you cannot read.",
  "2. Details: then describe in a few sentences what the image shows and the key details a",
  "   person would want to remember (people, objects, places, charts and their values, UI state).",
  "If the image contains no text, say so and give only the description.",
  "Answer in plain text or Markdown, without any preamble.",
].join("\n");

/** The prompt for one rendered page of a PDF that has no text layer. */
export function pdfPagePrompt(page: number, pageCount: number): string {
  return [
    `This image is page ${page} of ${pageCount} of a PDF document, a scan or picture without a usable text layer.`,
    "Transcribe every piece of visible text verbatim, in reading order, keeping line breaks, numbers,",
    "names, dates and amounts exactly as written; render tables as Markdown tables; write [illegible]",
    "for text you cannot read. Then, in one or two sentences, describe any figures, photos or",
    "diagrams on the page. Answer in plain text or Markdown, without any preamble.",
  ].join("\n");
}

export interface VisionModelCommonOptions extends RetrySettingsInput {
  /** Cap on the answer's tokens; unset leaves it to the endpoint. */
  maxOutputTokens?: number;
  /** Sampling temperature. Default 0. `null` sends none, for models that reject the parameter. */
  temperature?: number | null;
}

export interface VisionModelConfig extends VisionModelCommonOptions, EndpointOptions {}

export interface VisionModelInstanceOptions extends VisionModelCommonOptions {
  /** An AI SDK language model that accepts image input, e.g. `openai.chat("gpt-4o-mini")`. */
  model: AISDKLanguageModel;
  /** Name for logs and errors. Default: the model's `modelId`. */
  modelName?: string;
}

export type VisionModelOptions = VisionModelConfig | VisionModelInstanceOptions;

const PROVIDER_NAME = "omnimem-vision";
const DEFAULT_TIMEOUT_MS = 120_000;

export class OpenAICompatibleVisionModel implements VisionModel {
  readonly modelName: string;

  private readonly languageModel: AISDKLanguageModel;
  /** Where errors say the request went. */
  private readonly endpoint: string;
  private readonly retry: RetrySettings;
  private readonly temperature: number | null;
  private readonly maxOutputTokens: number | undefined;
  private readonly secrets: string[];

  constructor(options: VisionModelOptions) {
    this.retry = resolveRetrySettings(options, DEFAULT_TIMEOUT_MS);
    this.temperature = options.temperature === undefined ? 0 : options.temperature;
    if (this.temperature !== null && !(Number.isFinite(this.temperature) && this.temperature >= 0)) {
      throw new RangeError(`temperature must be a number >= 0, got ${String(options.temperature)}`);
    }
    this.maxOutputTokens =
      options.maxOutputTokens === undefined ? undefined : integerOption("maxOutputTokens", options.maxOutputTokens, 0);

    if (typeof options.model === "string") {
      const config = options as VisionModelConfig;
      const provider = createOpenAICompatible({
        name: PROVIDER_NAME,
        baseURL: config.baseURL,
        ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
        ...(config.headers === undefined ? {} : { headers: config.headers }),
      });
      this.languageModel = provider.chatModel(config.model);
      this.modelName = config.model;
      this.endpoint = `${redactUrl(config.baseURL)}/chat/completions`;
      this.secrets = secretsOf(config.apiKey, config.headers);
    } else {
      const instanceOptions = options as VisionModelInstanceOptions;
      this.languageModel = instanceOptions.model;
      this.modelName = instanceOptions.modelName ?? instanceOptions.model.modelId;
      this.endpoint = instanceOptions.model.provider;
      this.secrets = [];
    }
  }

  /**
   * The model's answer for one image, reasoning blocks stripped and trimmed. An empty `prompt`
   * means DEFAULT_IMAGE_PROMPT. Throws ProviderError once its retries are spent.
   */
  async describeImage(request: {
    image: Uint8Array;
    mediaType: string;
    prompt: string;
    abortSignal?: AbortSignal;
  }): Promise<string> {
    if (!request.mediaType.startsWith("image/")) {
      throw new RangeError(`describeImage needs an image media type, got ${JSON.stringify(request.mediaType)}`);
    }
    const prompt = request.prompt.trim().length === 0 ? DEFAULT_IMAGE_PROMPT : request.prompt;
    const messages: ModelMessage[] = [
      {
        role: "user",
        content: [
          { type: "text", text: prompt },
          { type: "image", image: request.image, mediaType: request.mediaType },
        ],
      },
    ];
    return withRetries(
      async (signal) => {
        const result = await sdkGenerateText({
          model: this.languageModel,
          messages,
          maxRetries: 0,
          abortSignal: signal,
          ...(this.temperature === null ? {} : { temperature: this.temperature }),
          ...(this.maxOutputTokens === undefined ? {} : { maxOutputTokens: this.maxOutputTokens }),
        });
        return stripReasoning(result.text).trim();
      },
      {
        ...this.retry,
        ...(request.abortSignal === undefined ? {} : { abortSignal: request.abortSignal }),
        secrets: this.secrets,
        ...endpointFailureReport("Vision", this.endpoint, this.modelName),
      },
    );
  }

}
