/**
 * Speech to text through any endpoint that speaks OpenAI's `POST /audio/transcriptions`
 * (OpenAI, Groq, a local whisper.cpp or faster-whisper server, LocalAI, vLLM, ...).
 *
 * A plain multipart `fetch`: the AI SDK's `experimental_transcribe` needs a provider with a
 * transcription model, and `@ai-sdk/openai-compatible` has none. Failures are shaped as the
 * SDK's `APICallError`, so the shared retry loop (../retry.ts) classifies them like every
 * other model call: 429/408/409/5xx, timeouts and network errors are retried, and what is left
 * after the retries is a ProviderError.
 */
import { APICallError } from "ai";

import { openAIErrorMessage } from "../openai-error.js";
import { ProviderError } from "../../spec/errors.js";
import type { Transcriber } from "../../spec/parser.js";
import {
  redactUrl,
  resolveRetrySettings,
  secretsOf,
  withRetries,
  type RetrySettings,
  type RetrySettingsInput,
  endpointFailureReport,
  type EndpointOptions,
} from "../retry.js";

/** `model` is the transcription model, e.g. "whisper-1". */
export interface OpenAICompatibleTranscriberOptions extends RetrySettingsInput, EndpointOptions {
  /** ISO-639-1 language of the audio ("en"); unset lets the model detect it. */
  language?: string;
  /** Optional text to guide the model's style or vocabulary. */
  prompt?: string;
  /** The fetch to use (tests, proxies). Default: the global fetch. */
  fetch?: typeof fetch;
}

export class OpenAICompatibleTranscriber implements Transcriber {
  readonly name: string;
  readonly model: string;

  private readonly url: string;
  private readonly endpoint: string;
  private readonly apiKey: string | undefined;
  private readonly language: string | undefined;
  private readonly prompt: string | undefined;
  private readonly headers: Record<string, string>;
  private readonly retry: RetrySettings;
  private readonly secrets: string[];
  private readonly fetchImpl: typeof fetch;

  /** Does no I/O. */
  constructor(options: OpenAICompatibleTranscriberOptions) {
    if (options.model.trim().length === 0) throw new RangeError("model must not be empty");
    this.model = options.model;
    this.name = `openai-compatible/${options.model}`;
    this.url = `${options.baseURL.replace(/\/+$/, "")}/audio/transcriptions`;
    this.endpoint = redactUrl(this.url);
    this.apiKey = options.apiKey;
    this.language = options.language;
    this.prompt = options.prompt;
    this.headers = { ...options.headers };
    this.retry = resolveRetrySettings(options, 120_000);
    this.secrets = secretsOf(options.apiKey, options.headers);
    this.fetchImpl = options.fetch ?? fetch;
  }

  async transcribe(request: { audio: Uint8Array; mediaType: string; fileName: string; abortSignal?: AbortSignal }): Promise<string> {
    return withRetries((signal) => this.attempt(request, signal), {
      ...this.retry,
      ...(request.abortSignal === undefined ? {} : { abortSignal: request.abortSignal }),
      secrets: this.secrets,
      ...endpointFailureReport("Transcription", this.endpoint, this.model),
    });
  }


  private async attempt(
    request: { audio: Uint8Array; mediaType: string; fileName: string },
    signal: AbortSignal,
  ): Promise<string> {
    const form = new FormData();
    form.append("model", this.model);
    form.append("response_format", "json");
    if (this.language !== undefined) form.append("language", this.language);
    if (this.prompt !== undefined) form.append("prompt", this.prompt);
    form.append("file", new Blob([request.audio], { type: request.mediaType }), request.fileName);

    const requestBodyValues = { model: this.model, language: this.language, file: request.fileName };
    const headers: Record<string, string> = { ...this.headers };
    if (this.apiKey !== undefined) headers["authorization"] = `Bearer ${this.apiKey}`;

    let response: Response;
    try {
      response = await this.fetchImpl(this.url, { method: "POST", body: form, headers, signal });
    } catch (error) {
      // Aborts and timeouts go to the retry loop as they are; anything else is the network.
      if (signal.aborted) throw signal.reason;
      throw new APICallError({
        message: `Cannot connect to ${this.endpoint}: ${error instanceof Error ? error.message : String(error)}`,
        url: this.url,
        requestBodyValues,
        cause: error,
        isRetryable: true,
      });
    }

    const responseHeaders = Object.fromEntries(response.headers.entries());
    const body = await response.text();
    if (!response.ok) {
      throw new APICallError({
        message: openAIErrorMessage(body) ?? (response.statusText || `HTTP ${response.status}`),
        url: this.url,
        requestBodyValues,
        statusCode: response.status,
        responseHeaders,
        responseBody: body,
      });
    }

    const contentType = response.headers.get("content-type") ?? "";
    if (!contentType.includes("json")) return body.trim();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      // A 2xx whose body does not parse is most often a proxy cutting it short: worth a retry.
      throw new APICallError({
        message: "The transcription response is not valid JSON",
        url: this.url,
        requestBodyValues,
        statusCode: response.status,
        responseHeaders,
        responseBody: body,
        cause: error,
        isRetryable: true,
      });
    }
    const text = (parsed as { text?: unknown } | null)?.text;
    if (typeof text !== "string") {
      throw new ProviderError(`Transcription endpoint ${this.endpoint} (model ${this.model}) answered without a "text" field`, {
        isRetryable: false,
        details: { endpoint: this.endpoint, model: this.model },
      });
    }
    return text.trim();
  }
}

/** The `error.message` of an OpenAI-style error body, when there is one. */
