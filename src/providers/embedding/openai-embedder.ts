/**
 * Embeddings from any endpoint that speaks the OpenAI embeddings API (OpenAI, OpenRouter,
 * Ollama, vLLM, LM Studio, ...) or from any AI SDK embedding model a library user passes in.
 *
 * An endpoint is called with one direct request per batch (embeddings-request.ts); a model
 * instance through the AI SDK's `embedMany`. Retries are ours, not the AI SDK's (see
 * ../retry.ts): one backoff loop per batch around either, `embedMany` with `maxRetries: 0`.
 */
import { APICallError, embedMany, type EmbeddingModel } from "ai";

import type { Embedder } from "../../spec/embedder.js";
import { InternalError, ProviderError } from "../../spec/errors.js";
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
import { requestEmbeddings } from "./embeddings-request.js";

/** Any AI SDK embedding model instance (the SDK's string model ids are not accepted here). */
export type AISDKEmbeddingModel = Exclude<EmbeddingModel, string>;

export interface OpenAICompatibleEmbedderCommonOptions extends RetrySettingsInput {
  /** Output dimension. Sent to the endpoint; unset means "whatever the model gives", probed in `ready()`. */
  dimensions?: number;
  /** Texts per request. Default 128. */
  batchSize?: number;
}

export interface OpenAICompatibleEmbedderEndpointOptions extends OpenAICompatibleEmbedderCommonOptions, EndpointOptions {}

export interface OpenAICompatibleEmbedderModelOptions extends OpenAICompatibleEmbedderCommonOptions {
  /** An AI SDK embedding model, e.g. `openai.embedding("text-embedding-3-small")`. */
  model: AISDKEmbeddingModel;
  /** Name recorded with the index. Default: the model's `modelId`. */
  modelName?: string;
}

export type OpenAICompatibleEmbedderOptions = OpenAICompatibleEmbedderEndpointOptions | OpenAICompatibleEmbedderModelOptions;

export interface EmbedCallOptions {
  abortSignal?: AbortSignal;
}

const PROVIDER_NAME = "omnimem";
const PROBE_TEXT = "dimension probe";

export class OpenAICompatibleEmbedder implements Embedder {
  readonly model: string;

  /** One embedding request for a batch (no retries: those are ours, around it). */
  private readonly request: (values: string[], signal: AbortSignal) => Promise<ArrayLike<number>[]>;
  /** How an endpoint sends vectors: base64 until it refuses it (see embeddings-request.ts). */
  private encoding: "base64" | "float" = "base64";
  /** Where errors say the request went. */
  private readonly endpoint: string;
  private readonly configuredDimensions: number | undefined;
  private readonly batchSize: number;
  private readonly retry: RetrySettings;
  private readonly secrets: string[];
  private learnedDimensions: number | undefined;
  private readyPromise: Promise<void> | undefined;

  constructor(options: OpenAICompatibleEmbedderOptions) {
    this.configuredDimensions =
      options.dimensions === undefined ? undefined : integerOption("dimensions", options.dimensions, 0);
    this.batchSize = integerOption("batchSize", options.batchSize, 128);
    this.retry = resolveRetrySettings(options, 30_000);

    if (typeof options.model === "string") {
      const endpointOptions = options as OpenAICompatibleEmbedderEndpointOptions;
      const dimensions = this.configuredDimensions;
      // A direct request, not embedMany: see embeddings-request.ts for what that saves per add.
      const send = (values: string[], signal: AbortSignal, encoding: "base64" | "float") =>
        requestEmbeddings({
          baseURL: endpointOptions.baseURL,
          model: endpointOptions.model,
          input: values,
          encoding,
          signal,
          ...(endpointOptions.apiKey === undefined ? {} : { apiKey: endpointOptions.apiKey }),
          ...(endpointOptions.headers === undefined ? {} : { headers: endpointOptions.headers }),
          ...(dimensions === undefined ? {} : { dimensions }),
        });
      this.request = async (values, signal) => {
        if (this.encoding === "float") return send(values, signal, "float");
        try {
          return await send(values, signal, "base64");
        } catch (error) {
          if (!(APICallError.isInstance(error) && (error.statusCode === 400 || error.statusCode === 422))) throw error;
          // A server that refuses base64 vectors (older vLLM: "base64 encoding is not currently
          // supported") gets numbers from now on, once they have worked; any other 400 fails
          // the same way as numbers and is reported as that request's error.
          const vectors = await send(values, signal, "float");
          this.encoding = "float";
          return vectors;
        }
      };
      this.model = endpointOptions.model;
      this.endpoint = `${redactUrl(endpointOptions.baseURL)}/embeddings`;
      this.secrets = secretsOf(endpointOptions.apiKey, endpointOptions.headers);
    } else {
      const modelOptions = options as OpenAICompatibleEmbedderModelOptions;
      const model = modelOptions.model;
      // AI SDK providers read their options under their own name: "openai", "mistral", or an
      // openai-compatible provider's `name` (the part of `provider` before the dot).
      const providerOptionsKey = model.provider.split(".")[0]?.trim() || PROVIDER_NAME;
      const dimensions = this.configuredDimensions;
      this.request = async (values, signal) =>
        (
          await embedMany({
            model,
            values,
            maxRetries: 0,
            abortSignal: signal,
            ...(dimensions === undefined ? {} : { providerOptions: { [providerOptionsKey]: { dimensions } } }),
          })
        ).embeddings;
      this.model = modelOptions.modelName ?? model.modelId;
      this.endpoint = model.provider;
      this.secrets = [];
    }
  }

  /** The configured dimension, or the probed one once `ready()` (or a first `embed`) has run. */
  get dimensions(): number {
    const known = this.configuredDimensions ?? this.learnedDimensions;
    if (known === undefined) {
      throw new InternalError(`Embedding dimension of ${this.model} read before ready() probed it`);
    }
    return known;
  }

  /** Probes the dimension once when none is configured; does nothing otherwise. */
  ready(): Promise<void> {
    if (this.configuredDimensions !== undefined || this.learnedDimensions !== undefined) return Promise.resolve();
    this.readyPromise ??= this.embedBatchWithRetries([PROBE_TEXT], undefined).then(
      () => undefined,
      (error: unknown) => {
        // A failed probe may succeed later; do not cache the failure.
        this.readyPromise = undefined;
        throw error;
      },
    );
    return this.readyPromise;
  }

  async embed(texts: readonly string[], options: EmbedCallOptions = {}): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      vectors.push(...(await this.embedBatchWithRetries(batch, options.abortSignal)));
    }
    return vectors;
  }

  // -------------------------------------------------------------------------------------

  private async embedBatchWithRetries(texts: readonly string[], abortSignal: AbortSignal | undefined): Promise<Float32Array[]> {
    // OpenAI rejects empty strings with a 400; a lone space embeds as "nothing" instead.
    const values = texts.map((text) => (text.length === 0 ? " " : text));
    const raw = await withRetries((signal) => this.request(values, signal), {
      ...this.retry,
      ...(abortSignal === undefined ? {} : { abortSignal }),
      secrets: this.secrets,
      ...endpointFailureReport("Embedding", this.endpoint, this.model),
    });
    return this.toVectors(raw, values.length);
  }

  private toVectors(raw: readonly ArrayLike<number>[], expectedCount: number): Float32Array[] {
    if (raw.length !== expectedCount) {
      throw new ProviderError(
        `Embedding endpoint ${this.endpoint} (model ${this.model}) returned ${raw.length} vectors for ${expectedCount} texts`,
        { isRetryable: false, details: { endpoint: this.endpoint, model: this.model } },
      );
    }
    const expected = this.configuredDimensions ?? this.learnedDimensions ?? raw[0]?.length;
    const vectors: Float32Array[] = [];
    for (const [index, values] of raw.entries()) {
      if (values.length !== expected || values.length === 0) {
        const hint =
          this.configuredDimensions === undefined ? "" : "; the model may not support the `dimensions` parameter";
        throw new ProviderError(
          `Embedding endpoint ${this.endpoint} (model ${this.model}) returned a ${values.length}-dimensional vector, expected ${String(expected)}${hint}`,
          { isRetryable: false, details: { endpoint: this.endpoint, model: this.model, index, got: values.length, expected } },
        );
      }
      let norm = 0;
      for (let i = 0; i < values.length; i++) norm += values[i]! * values[i]!;
      if (!Number.isFinite(norm)) {
        throw new ProviderError(
          `Embedding endpoint ${this.endpoint} (model ${this.model}) returned a vector with non-finite values`,
          { isRetryable: false, details: { endpoint: this.endpoint, model: this.model, index } },
        );
      }
      norm = Math.sqrt(norm);
      const vector = new Float32Array(values.length);
      // A zero vector cannot be normalised; it stays zero and matches nothing.
      if (norm > 0) for (let i = 0; i < values.length; i++) vector[i] = (values[i] ?? 0) / norm;
      vectors.push(vector);
    }
    if (this.configuredDimensions === undefined && this.learnedDimensions === undefined) {
      this.learnedDimensions = expected;
    }
    return vectors;
  }
}
