/**
 * One request to an OpenAI-compatible `/embeddings` endpoint, over undici.
 *
 * Why not the AI SDK's embedMany here (it is still what runs a model instance a library user
 * passes in): for the small requests of single adds its wrapper cost more than the request.
 * Against a loopback server answering in microseconds, one embedding of one text took 0.66-0.93
 * ms through embedMany and 0.45 ms through undici's `request`; and embedMany allocated about
 * 200 KB per call (the response validated number by number, the body stream teed), which made
 * the young-generation collections that were most of a single add's p95 and p99. In a probe
 * of 500 single adds into a 30k-memory root: add p50 1.38 -> 0.99 ms, p99 5.7 -> 4.0 ms.
 *
 * Failures are reported as the AI SDK's own error types (APICallError, with a JSONParseError
 * cause for a 2xx body that is not JSON), with its rule for what is worth retrying, so that
 * providers/retry.ts sorts every provider's failures in one place.
 */
import { Agent, request } from "undici";
import { APICallError, JSONParseError } from "ai";
import { openAIErrorMessage } from "../openai-error.js";

export interface EmbeddingsRequest {
  /** The endpoint's base URL, e.g. `https://api.openai.com/v1`. */
  baseURL: string;
  apiKey?: string;
  headers?: Record<string, string>;
  model: string;
  input: readonly string[];
  dimensions?: number;
  /**
   * How the endpoint is asked to send vectors. "base64" (what OpenAI's own SDKs ask for): each
   * vector as the base64 of its little-endian float32 bytes, a quarter of the JSON and decoded
   * straight into a Float32Array, where "float" makes a JSON number per dimension that is
   * parsed, boxed into an array and thrown away. In a probe of bench/speed.ts's 100k fill
   * through its fake endpoint (256 dimensions, one run each) peak RSS fell from 720 to 687 MiB.
   * Some servers reject it (older vLLM answers 400) or ignore it (Ollama and LM Studio send
   * numbers anyway): a reply in either form is read, and the embedder falls back to "float"
   * for a server that rejects base64 (openai-embedder.ts).
   */
  encoding: "base64" | "float";
  signal: AbortSignal;
}

/**
 * The connections embedding requests go over. undici keeps a connection open for the server's
 * `Keep-Alive: timeout=N` hint minus a safety margin of 2 s by default, so a server hinting 2 s
 * or less (Node's own http server lets this be set low; the test suite's fake server says 1 s)
 * got a new TCP connection for every request: in bench/speed.ts's single adds, every embedding
 * of every add connected anew (counted with undici's diagnostics channel: 1,000 connects for
 * 1,000 sequential requests), which cost a connect, a new client and its queues each time, and
 * was most of the add's tail. A 500 ms margin keeps such connections for the rest of their
 * hint; the rare request that races the server's close fails to connect and is retried
 * (APICallError with isRetryable).
 */
let agent: Agent | undefined;
function connections(): Agent {
  agent ??= new Agent({ keepAliveTimeoutThreshold: 500 });
  return agent;
}

/** The embedding of each input, in input order, as the endpoint sent them (not normalised). */
export async function requestEmbeddings(options: EmbeddingsRequest): Promise<ArrayLike<number>[]> {
  const url = `${options.baseURL.replace(/\/+$/, "")}/embeddings`;
  const body = {
    model: options.model,
    input: options.input,
    encoding_format: options.encoding,
    ...(options.dimensions === undefined ? {} : { dimensions: options.dimensions }),
  };
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
    ...options.headers,
  };
  let response;
  try {
    response = await request(url, { method: "POST", headers, body: JSON.stringify(body), signal: options.signal, dispatcher: connections() });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    throw new APICallError({
      message: `Cannot connect to API: ${error instanceof Error ? error.message : String(error)}`,
      url,
      requestBodyValues: body,
      cause: error,
      isRetryable: true,
    });
  }
  const text = await readBody(response.body, options.signal);
  // Every failure past this point carries the request and the whole response.
  const failure = (message: string, extra: { cause?: unknown; isRetryable?: boolean } = {}) =>
    new APICallError({
      message,
      url,
      requestBodyValues: body,
      statusCode: response.statusCode,
      responseHeaders: headerRecord(response.headers),
      responseBody: text,
      ...extra,
    });
  // Retryable or not by the AI SDK's own rule for the status (408, 409, 429, 5xx).
  if (response.statusCode < 200 || response.statusCode >= 300) throw failure(openAIErrorMessage(text) ?? `HTTP ${response.statusCode}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw failure("Invalid JSON response", { cause: new JSONParseError({ text, cause }), isRetryable: false });
  }
  const embeddings = embeddingsOf(parsed);
  if (embeddings === undefined) throw failure("Invalid response: expected { data: [{ embedding: number[] or base64 float32 }] }", { isRetryable: false });
  return embeddings;
}

async function readBody(body: { text(): Promise<string> }, signal: AbortSignal): Promise<string> {
  try {
    return await body.text();
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  }
}

/**
 * `data[i].embedding` of an OpenAI embeddings response, each a number array or a base64 string
 * of float32 values, whichever was asked for; undefined when the shape is not that.
 */
function embeddingsOf(parsed: unknown): ArrayLike<number>[] | undefined {
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data)) return undefined;
  const embeddings: ArrayLike<number>[] = [];
  for (const item of data) {
    const embedding = typeof item === "object" && item !== null ? (item as { embedding?: unknown }).embedding : undefined;
    // Finite and of the right length is checked where the vectors are made (toVectors in openai-embedder.ts).
    if (typeof embedding === "string") {
      const vector = decodeFloat32(embedding);
      if (vector === undefined) return undefined;
      embeddings.push(vector);
    } else if (Array.isArray(embedding) && embedding.every((value) => typeof value === "number")) {
      embeddings.push(embedding as number[]);
    } else {
      return undefined;
    }
  }
  return embeddings;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The float32 values (little-endian, as OpenAI sends them) in a base64 string; undefined if it is not one. */
function decodeFloat32(base64: string): Float32Array | undefined {
  // Buffer.from skips characters that are not base64; a reply that holds any is not a vector.
  if (!BASE64.test(base64)) return undefined;
  const bytes = Buffer.from(base64, "base64");
  if (bytes.byteLength === 0 || bytes.byteLength % 4 !== 0) return undefined;
  const vector = new Float32Array(bytes.byteLength / 4);
  // A copy, not a view: the Buffer may sit at an unaligned offset of Node's shared pool.
  for (let i = 0; i < vector.length; i++) vector[i] = bytes.readFloatLE(i * 4);
  return vector;
}


function headerRecord(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) record[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return record;
}
