/**
 * The retry loop every model call shares: exponential backoff with jitter that gives way to a
 * server's `retry-after-ms` / `retry-after`, a per-attempt timeout, and one classification of
 * failures (AI SDK `APICallError`s, network errors, timeouts) into "worth another try" or not.
 *
 * Why our own loop rather than the AI SDK's `maxRetries`: the SDK backs off from a fixed 2 s
 * that cannot be configured (slow tests, no say for operators) and has no per-attempt timeout.
 * Callers pass `maxRetries: 0` to the SDK and wrap the call in `withRetries`.
 */
import { APICallError } from "ai";

import { ProviderError } from "../spec/errors.js";

export interface RetrySettings {
  /** Retries after the first attempt, for 429, 408/409, 5xx, timeouts, network errors and truncated bodies. */
  maxRetries: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** First backoff delay; doubles per retry, with ±20 % jitter. */
  retryBaseDelayMs: number;
  /** Upper bound for one backoff delay, including a server's `retry-after`. */
  retryMaxDelayMs: number;
}

/** Where an OpenAI-compatible endpoint is and how to call it; every provider built from config takes these. */
export interface EndpointOptions {
  /** E.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  baseURL: string;
  apiKey?: string;
  /** Model name sent to the endpoint. */
  model: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** The retry options every model provider takes; unset fields fall back to the provider's defaults. */
export interface RetrySettingsInput {
  /** Retries after the first attempt, for 429, 408/409, 5xx, timeouts and network errors. Default 3. */
  maxRetries?: number;
  /** Per-attempt timeout (provider default: 30 s for embeddings, 60 s for chat, 120 s for vision and audio). */
  timeoutMs?: number;
  /** First backoff delay; doubles per retry, with ±20 % jitter. Default 1000. */
  retryBaseDelayMs?: number;
  /** Upper bound for one backoff delay, including a server's `retry-after`. Default 30000. */
  retryMaxDelayMs?: number;
}

export const DEFAULT_RETRY_SETTINGS: Readonly<Omit<RetrySettings, "timeoutMs">> = {
  maxRetries: 3,
  retryBaseDelayMs: 1000,
  retryMaxDelayMs: 30_000,
};

/** One failed attempt, classified. */
export interface AttemptFailure {
  retryable: boolean;
  /** "HTTP 429", "HTTP 200 with malformed JSON", "timeout after 30000 ms", "network error", "error". */
  status: string;
  /** The HTTP status code when there was a response. */
  statusCode: number | undefined;
  detail: string;
  retryAfterMs: number | undefined;
  /** The URL the request went to, unredacted; pass it through `redactUrl` before printing it. */
  url: string | undefined;
}

/** What `describe` gets once the loop gives up. */
export interface FailedCall {
  /** The last attempt's failure. */
  failure: AttemptFailure;
  /** Attempts made, the first included. */
  attempts: number;
  /** The last attempt's error. */
  cause: unknown;
}

export interface WithRetriesOptions extends RetrySettings {
  /** The caller's signal; aborting it stops the loop at once and rethrows its reason (not a ProviderError). */
  abortSignal?: AbortSignal;
  /** The ProviderError's message (scrubbed of `secrets` afterwards). */
  describe: (failed: FailedCall) => string;
  /** The ProviderError's `details`. Default: `{ status }`. */
  details?: (failed: FailedCall) => Record<string, unknown>;
  /** Strings (API keys, header values) that must never appear in an error message. */
  secrets?: readonly string[];
  /** Told before each backoff sleep, e.g. to log a retry (never log the request itself). */
  onRetry?: (failure: AttemptFailure, nextAttempt: number, delayMs: number) => void;
}

/** Validates an integer option; `undefined` gives `fallback`. */
export function integerOption(name: string, value: number | undefined, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < minimum) {
    throw new RangeError(`${name} must be an integer >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

/** Fills in defaults and checks ranges; throws RangeError on a bad value (a programming error). */
export function resolveRetrySettings(input: RetrySettingsInput, defaultTimeoutMs: number): RetrySettings {
  return {
    maxRetries: integerOption("maxRetries", input.maxRetries, DEFAULT_RETRY_SETTINGS.maxRetries, 0),
    timeoutMs: integerOption("timeoutMs", input.timeoutMs, defaultTimeoutMs),
    retryBaseDelayMs: integerOption("retryBaseDelayMs", input.retryBaseDelayMs, DEFAULT_RETRY_SETTINGS.retryBaseDelayMs, 0),
    retryMaxDelayMs: integerOption("retryMaxDelayMs", input.retryMaxDelayMs, DEFAULT_RETRY_SETTINGS.retryMaxDelayMs, 0),
  };
}

/**
 * Runs `attempt` until it succeeds, fails in a way another try cannot fix, or has been retried
 * `maxRetries` times; then throws a ProviderError whose `cause` is the last error.
 */
export async function withRetries<T>(attempt: (signal: AbortSignal) => Promise<T>, options: WithRetriesOptions): Promise<T> {
  const { abortSignal } = options;
  let lastFailure: AttemptFailure | undefined;
  let lastError: unknown;
  let attempts = 0;
  for (let index = 0; index <= options.maxRetries; index++) {
    if (index > 0 && lastFailure !== undefined) {
      const delay = backoffDelay(index, lastFailure.retryAfterMs, options);
      options.onRetry?.(lastFailure, index + 1, delay);
      await sleep(delay, abortSignal);
    }
    if (abortSignal?.aborted) throw abortSignal.reason;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = abortSignal === undefined ? timeout : AbortSignal.any([abortSignal, timeout]);
    attempts++;
    try {
      return await attempt(signal);
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason;
      lastError = error;
      lastFailure = classifyFailure(error, options.timeoutMs);
      if (!lastFailure.retryable) break;
    }
  }
  const failure = lastFailure ?? classifyFailure(lastError, options.timeoutMs);
  const failed: FailedCall = { failure, attempts, cause: lastError };
  throw new ProviderError(scrubSecrets(options.describe(failed), options.secrets ?? []), {
    cause: lastError,
    isRetryable: failure.retryable,
    details: options.details?.(failed) ?? { status: failure.status },
  });
}

/** `" after 4 attempts"` when the failure was worth retrying, `""` when it was given up at once. */
export function attemptsPhrase(failed: FailedCall): string {
  return failed.failure.retryable ? ` after ${failed.attempts} attempt${failed.attempts === 1 ? "" : "s"}` : "";
}

/** Sorts an attempt's error into retryable or not, with a short status for messages. */
export function classifyFailure(error: unknown, timeoutMs: number): AttemptFailure {
  if (APICallError.isInstance(error)) {
    const statusCode = error.statusCode;
    // A 2xx whose JSON does not parse is most often a proxy cutting the body short.
    const truncated = statusCode !== undefined && statusCode < 300 && errorName(error.cause) === "AI_JSONParseError";
    return {
      retryable: error.isRetryable || truncated,
      status:
        statusCode === undefined ? "network error" : truncated ? `HTTP ${statusCode} with malformed JSON` : `HTTP ${statusCode}`,
      statusCode,
      detail: error.message,
      retryAfterMs: retryAfterMs(error.responseHeaders),
      url: error.url,
    };
  }
  if (errorName(error) === "TimeoutError") {
    return {
      retryable: true,
      status: `timeout after ${timeoutMs} ms`,
      statusCode: undefined,
      detail: "no response in time",
      retryAfterMs: undefined,
      url: undefined,
    };
  }
  return {
    retryable: false,
    status: "error",
    statusCode: undefined,
    detail: error instanceof Error ? error.message : String(error),
    retryAfterMs: undefined,
    url: undefined,
  };
}

/** Delay before retry number `retry` (1-based): the server's wish if it stated one, else exponential with jitter. */
export function backoffDelay(
  retry: number,
  retryAfter: number | undefined,
  settings: Pick<RetrySettings, "retryBaseDelayMs" | "retryMaxDelayMs">,
): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, settings.retryMaxDelayMs);
  const exponential = settings.retryBaseDelayMs * 2 ** (retry - 1);
  const jitter = 0.8 + Math.random() * 0.4;
  return Math.min(exponential * jitter, settings.retryMaxDelayMs);
}

/** `retry-after-ms`, else `retry-after` as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Record<string, string> | undefined): number | undefined {
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

/** A URL safe to print: no userinfo, no query string (either may carry a credential). */
export function redactUrl(url: string): string {
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

/**
 * The values of `apiKey` and extra headers worth scrubbing. Short values are left out: they
 * are unlikely to be credentials and replacing them would mangle ordinary words.
 */
export function secretsOf(apiKey: string | undefined, headers: Record<string, string> | undefined): string[] {
  return [apiKey, ...Object.values(headers ?? {})].filter((value): value is string => value !== undefined && value.length >= 8);
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
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

export function errorName(error: unknown): string | undefined {
  return error instanceof Error || error instanceof DOMException ? error.name : undefined;
}

/**
 * How a model endpoint's final failure is reported: "<Kind> request to <endpoint> (model M)
 * failed after N attempts: <status>: <detail>", with the redacted URL actually called.
 */
export function endpointFailureReport(
  kind: string,
  endpoint: string,
  model: string,
): Pick<WithRetriesOptions, "describe" | "details"> {
  const where = (failed: FailedCall) => (failed.failure.url === undefined ? endpoint : redactUrl(failed.failure.url));
  return {
    describe: (failed) =>
      `${kind} request to ${where(failed)} (model ${model}) failed${attemptsPhrase(failed)}: ${failed.failure.status}: ${failed.failure.detail}`,
    details: (failed) => ({ endpoint: where(failed), model, status: failed.failure.status }),
  };
}
