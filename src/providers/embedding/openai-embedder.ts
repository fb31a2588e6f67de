/**
 * Embeddings from any endpoint that speaks the OpenAI embeddings API (OpenAI, OpenRouter,
 * Ollama, vLLM, LM Studio, ...) or from any AI SDK embedding model a library user passes in.
 *
 * Retries are ours, not the AI SDK's: `embedMany` backs off from a fixed 2 s that cannot be
 * configured, which makes tests slow and gives operators no say. We call it with
 * `maxRetries: 0` and run one backoff loop per batch that also honours `retry-after-ms` /
 * `retry-after`, and a per-attempt timeout.
 */
import { APICallError, embedMany, type EmbeddingModel } from "ai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";

import type { Embedder } from "../../spec/embedder.js";
import { InternalError, ProviderError } from "../../spec/errors.js";

/** Any AI SDK embedding model instance (the SDK's string model ids are not accepted here). */
export type AISDKEmbeddingModel = Exclude<EmbeddingModel, string>;

export interface OpenAICompatibleEmbedderCommonOptions {
  /** Output dimension. Sent to the endpoint; unset means "whatever the model gives", probed in `ready()`. */
  dimensions?: number;
  /** Texts per request. Default 128. */
  batchSize?: number;
  /** Retries per batch after the first attempt, for 429, 408/409, 5xx, timeouts and network errors. Default 3. */
  maxRetries?: number;
  /** Per-attempt timeout. Default 30000. */
  timeoutMs?: number;
  /** First backoff delay; doubles per retry, with ±20 % jitter. Default 1000. */
  retryBaseDelayMs?: number;
  /** Upper bound for one backoff delay, including a server's `retry-after`. Default 30000. */
  retryMaxDelayMs?: number;
}

export interface OpenAICompatibleEmbedderEndpointOptions extends OpenAICompatibleEmbedderCommonOptions {
  /** E.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  baseURL: string;
  apiKey?: string;
  /** Model name sent to the endpoint; also the embedder's `model`. */
  model: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

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

function positiveInteger(name: string, value: number | undefined, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < minimum) {
    throw new RangeError(`${name} must be an integer >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

/** A URL safe to print: no userinfo, no query string (either may carry a credential). */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "<invalid URL>";
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error || error instanceof DOMException ? error.name : undefined;
}

function retryAfterMs(headers: Record<string, string> | undefined): number | undefined {
  if (headers === undefined) return undefined;
  const ms = Number.parseFloat(headers["retry-after-ms"] ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers["retry-after"];
  if (raw === undefined) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

interface AttemptFailure {
  retryable: boolean;
  /** "HTTP 429", "timeout after 30000 ms", "network error", ... */
  status: string;
  detail: string;
  retryAfterMs: number | undefined;
  url: string | undefined;
}

export class OpenAICompatibleEmbedder implements Embedder {
  readonly model: string;

  private readonly embeddingModel: AISDKEmbeddingModel;
  /** Where errors say the request went. */
  private readonly endpoint: string;
  private readonly providerOptionsKey: string;
  private readonly configuredDimensions: number | undefined;
  private readonly batchSize: number;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly secrets: string[];
  private learnedDimensions: number | undefined;
  private readyPromise: Promise<void> | undefined;

  constructor(options: OpenAICompatibleEmbedderOptions) {
    this.configuredDimensions =
      options.dimensions === undefined ? undefined : positiveInteger("dimensions", options.dimensions, 0);
    this.batchSize = positiveInteger("batchSize", options.batchSize, 128);
    this.maxRetries = positiveInteger("maxRetries", options.maxRetries, 3, 0);
    this.timeoutMs = positiveInteger("timeoutMs", options.timeoutMs, 30_000);
    this.retryBaseDelayMs = positiveInteger("retryBaseDelayMs", options.retryBaseDelayMs, 1000, 0);
    this.retryMaxDelayMs = positiveInteger("retryMaxDelayMs", options.retryMaxDelayMs, 30_000, 0);

    if (typeof options.model === "string") {
      const endpointOptions = options as OpenAICompatibleEmbedderEndpointOptions;
      const provider = createOpenAICompatible({
        name: PROVIDER_NAME,
        baseURL: endpointOptions.baseURL,
        ...(endpointOptions.apiKey === undefined ? {} : { apiKey: endpointOptions.apiKey }),
        ...(endpointOptions.headers === undefined ? {} : { headers: endpointOptions.headers }),
      });
      this.embeddingModel = provider.embeddingModel(endpointOptions.model);
      this.model = endpointOptions.model;
      this.endpoint = `${redactUrl(endpointOptions.baseURL)}/embeddings`;
      this.providerOptionsKey = PROVIDER_NAME;
      this.secrets = [endpointOptions.apiKey, ...Object.values(endpointOptions.headers ?? {})].filter(
        (value): value is string => value !== undefined && value.length >= 8,
      );
    } else {
      const modelOptions = options as OpenAICompatibleEmbedderModelOptions;
      this.embeddingModel = modelOptions.model;
      this.model = modelOptions.modelName ?? modelOptions.model.modelId;
      this.endpoint = modelOptions.model.provider;
      // AI SDK providers read their options under their own name: "openai", "mistral", or an
      // openai-compatible provider's `name` (the part of `provider` before the dot).
      this.providerOptionsKey = modelOptions.model.provider.split(".")[0]?.trim() || PROVIDER_NAME;
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
    let lastFailure: AttemptFailure | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt > 0 && lastFailure !== undefined) {
        await sleep(this.backoffDelay(attempt, lastFailure.retryAfterMs), abortSignal);
      }
      let raw: number[][];
      try {
        raw = await this.attempt(values, abortSignal);
      } catch (error) {
        if (abortSignal?.aborted) throw abortSignal.reason;
        lastError = error;
        lastFailure = this.classify(error);
        if (!lastFailure.retryable) break;
        continue;
      }
      return this.toVectors(raw, values.length);
    }
    throw this.toProviderError(lastFailure, lastError);
  }

  private async attempt(values: string[], abortSignal: AbortSignal | undefined): Promise<number[][]> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = abortSignal === undefined ? timeout : AbortSignal.any([abortSignal, timeout]);
    const dimensions = this.configuredDimensions;
    const result = await embedMany({
      model: this.embeddingModel,
      values,
      maxRetries: 0,
      abortSignal: signal,
      ...(dimensions === undefined ? {} : { providerOptions: { [this.providerOptionsKey]: { dimensions } } }),
    });
    return result.embeddings;
  }

  private backoffDelay(attempt: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) return Math.min(retryAfter, this.retryMaxDelayMs);
    const exponential = this.retryBaseDelayMs * 2 ** (attempt - 1);
    const jitter = 0.8 + Math.random() * 0.4;
    return Math.min(exponential * jitter, this.retryMaxDelayMs);
  }

  private classify(error: unknown): AttemptFailure {
    if (APICallError.isInstance(error)) {
      const statusCode = error.statusCode;
      // A 2xx whose JSON does not parse is most often a proxy cutting the body short.
      const truncated =
        statusCode !== undefined && statusCode < 300 && errorName(error.cause) === "AI_JSONParseError";
      return {
        retryable: error.isRetryable || truncated,
        status:
          statusCode === undefined
            ? "network error"
            : truncated
              ? `HTTP ${statusCode} with malformed JSON`
              : `HTTP ${statusCode}`,
        detail: error.message,
        retryAfterMs: retryAfterMs(error.responseHeaders),
        url: error.url,
      };
    }
    if (errorName(error) === "TimeoutError") {
      return {
        retryable: true,
        status: `timeout after ${this.timeoutMs} ms`,
        detail: "no response in time",
        retryAfterMs: undefined,
        url: undefined,
      };
    }
    return {
      retryable: false,
      status: "error",
      detail: error instanceof Error ? error.message : String(error),
      retryAfterMs: undefined,
      url: undefined,
    };
  }

  private toVectors(raw: number[][], expectedCount: number): Float32Array[] {
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
      for (const value of values) norm += value * value;
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

  private toProviderError(failure: AttemptFailure | undefined, cause: unknown): ProviderError {
    const tries = this.maxRetries + 1;
    const attempts = failure?.retryable === false ? "" : ` after ${tries} attempt${tries === 1 ? "" : "s"}`;
    const where = failure?.url === undefined ? this.endpoint : redactUrl(failure.url);
    const message = this.scrub(
      `Embedding request to ${where} (model ${this.model}) failed${attempts}: ${failure?.status ?? "error"}: ${failure?.detail ?? String(cause)}`,
    );
    return new ProviderError(message, {
      cause,
      isRetryable: failure?.retryable ?? false,
      details: { endpoint: where, model: this.model, status: failure?.status ?? "error" },
    });
  }

  private scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join("[redacted]");
    return out;
  }
}
