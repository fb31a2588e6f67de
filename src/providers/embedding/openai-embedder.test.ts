import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import diagnostics from "node:diagnostics_channel";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { fakeEmbedding, startFakeOpenAI, type FakeOpenAIServer, type JsonObject } from "../../../test/support/fake-openai-server.js";
import { InternalError, ProviderError } from "../../spec/errors.js";
import { OpenAICompatibleEmbedder, type OpenAICompatibleEmbedderEndpointOptions } from "./openai-embedder.js";

let server: FakeOpenAIServer;

beforeAll(async () => {
  server = await startFakeOpenAI();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
});

function embedder(options: Partial<OpenAICompatibleEmbedderEndpointOptions> = {}): OpenAICompatibleEmbedder {
  return new OpenAICompatibleEmbedder({
    baseURL: server.baseURL,
    apiKey: "sk-test-secret-key-123",
    model: "fake-embed",
    retryBaseDelayMs: 1,
    ...options,
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

function normalised(values: number[]): number[] {
  const norm = Math.hypot(...values);
  return values.map((value) => value / norm);
}

function expectClose(actual: Float32Array | undefined, expected: number[]): void {
  expect(actual).toBeDefined();
  expect(actual?.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual?.[i]).toBeCloseTo(expected[i] ?? NaN, 5);
}

describe("OpenAICompatibleEmbedder", () => {
  it("does no I/O in the constructor", () => {
    const instance = embedder({ dimensions: 32 });
    expect(instance.model).toBe("fake-embed");
    expect(instance.dimensions).toBe(32);
    expect(server.requests).toHaveLength(0);
  });

  it("returns [] for no texts without a request", async () => {
    expect(await embedder().embed([])).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it("embeds in order, in batches, L2-normalised", async () => {
    const texts = Array.from({ length: 300 }, (_, i) => `text number ${i}`);
    const vectors = await embedder({ batchSize: 128 }).embed(texts);
    expect(vectors).toHaveLength(300);
    const calls = server.requestsTo("/embeddings");
    expect(calls).toHaveLength(3);
    expect(calls.map((call) => ((call.body as JsonObject)["input"] as string[]).length)).toEqual([128, 128, 44]);
    expect(((calls[2]?.body as JsonObject)["input"] as string[])[0]).toBe("text number 256");
    for (const i of [0, 127, 128, 299]) expectClose(vectors[i], fakeEmbedding(`text number ${i}`, 64));
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    }
    expect(calls[0]?.headers["authorization"]).toBe("Bearer sk-test-secret-key-123");
  });

  it("normalises vectors the endpoint returns unnormalised", async () => {
    server.embeddings.setVectorFor("raw", [3, 4]);
    const [vector] = await embedder({ dimensions: 2 }).embed(["raw"]);
    expectClose(vector, [0.6, 0.8]);
  });

  it("sends dimensions in the request body", async () => {
    const instance = embedder({ dimensions: 16 });
    await instance.ready();
    expect(server.requests).toHaveLength(0); // configured: nothing to probe
    const [vector] = await instance.embed(["hello"]);
    expect(vector).toHaveLength(16);
    expect(server.requestsTo("/embeddings")[0]?.body).toMatchObject({ model: "fake-embed", input: ["hello"], dimensions: 16 });
  });

  it("probes the dimension once in ready() when none is configured", async () => {
    server.embeddings.setDefaultDimensions(48);
    const instance = embedder();
    expect(() => instance.dimensions).toThrow(InternalError);
    await Promise.all([instance.ready(), instance.ready()]);
    await instance.ready();
    expect(instance.dimensions).toBe(48);
    expect(server.requestsTo("/embeddings")).toHaveLength(1);
    expect(server.requestsTo("/embeddings")[0]?.body).not.toHaveProperty("dimensions");
  });

  it("rejects vectors of the wrong dimension without retrying", async () => {
    server.embeddings.setVectorFor("odd", [1, 2, 3]);
    const error = await rejection(embedder({ dimensions: 16 }).embed(["fine", "odd"]));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).isRetryable).toBe(false);
    expect((error as ProviderError).message).toMatch(/3-dimensional.*expected 16/);
    expect(server.requestsTo("/embeddings")).toHaveLength(1);
  });

  it("retries a 429 and then succeeds", async () => {
    server.failNext("embeddings", { status: 429 });
    const vectors = await embedder().embed(["a", "b"]);
    expect(vectors).toHaveLength(2);
    expect(server.requestsTo("/embeddings")).toHaveLength(2);
  });

  it("waits as long as retry-after-ms asks", async () => {
    server.failNext("embeddings", { status: 429, retryAfterMs: 150 });
    const started = Date.now();
    await embedder().embed(["a"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(server.requestsTo("/embeddings")).toHaveLength(2);
  });

  it("gives up on repeated 500s with a retryable ProviderError", async () => {
    server.failNext("embeddings", { status: 500, message: "upstream exploded" }, 10);
    const error = await rejection(embedder({ maxRetries: 2 }).embed(["a"]));
    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.code).toBe("PROVIDER_ERROR");
    expect(providerError.isRetryable).toBe(true);
    expect(providerError.cause).toBeDefined();
    expect(providerError.message).toContain(`${server.baseURL}/embeddings`);
    expect(providerError.message).toContain("fake-embed");
    expect(providerError.message).toContain("HTTP 500");
    expect(providerError.message).toContain("upstream exploded");
    expect(server.requestsTo("/embeddings")).toHaveLength(3);
  });

  it("does not retry a 400 and keeps the API key out of the message", async () => {
    server.failNext("embeddings", { status: 400, message: "bad key sk-test-secret-key-123 or input" }, 5);
    const error = await rejection(embedder().embed(["a"]));
    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.isRetryable).toBe(false);
    expect(providerError.cause).toBeDefined();
    expect(providerError.message).toContain("HTTP 400");
    expect(providerError.message).not.toContain("sk-test-secret-key-123");
    // Asked once for base64, once for numbers (a server may refuse base64 alone), then no more.
    expect(server.requestsTo("/embeddings").map((call) => (call.body as JsonObject)["encoding_format"])).toEqual(["base64", "float"]);
  });

  describe("vector encoding", () => {
    const formats = () => server.requestsTo("/embeddings").map((call) => (call.body as JsonObject)["encoding_format"]);

    it("asks for base64 and decodes it to the same vectors as numbers", async () => {
      const [vector] = await embedder({ dimensions: 48 }).embed(["base64 please"]);
      expect(formats()).toEqual(["base64"]);
      expectClose(vector, normalised(fakeEmbedding("base64 please", 48)));
    });

    it("reads numbers from a server that ignores base64 (Ollama, LM Studio)", async () => {
      server.embeddings.base64 = "ignore";
      const [vector] = await embedder({ dimensions: 48 }).embed(["numbers anyway"]);
      expect(formats()).toEqual(["base64"]);
      expectClose(vector, normalised(fakeEmbedding("numbers anyway", 48)));
    });

    it("falls back to numbers for good once a server refuses base64 (older vLLM)", async () => {
      server.embeddings.base64 = "reject";
      const instance = embedder({ dimensions: 48 });
      const [first] = await instance.embed(["one"]);
      await instance.embed(["two"]);
      expect(formats()).toEqual(["base64", "float", "float"]);
      expectClose(first, normalised(fakeEmbedding("one", 48)));
    });

    it("rejects a base64 reply that is not float32 values", async () => {
      let reply = "";
      const stub = createServer((_request, response) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ data: [{ embedding: reply }] }));
      });
      await new Promise<void>((resolve) => stub.listen(0, "127.0.0.1", resolve));
      const { port } = stub.address() as AddressInfo;
      try {
        for (const bad of ["not base64!", "AAA=", ""]) {
          reply = bad;
          const error = await rejection(embedder({ baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }).embed(["x"]));
          expect(error).toBeInstanceOf(ProviderError);
          expect((error as ProviderError).message).toContain("Invalid response");
        }
      } finally {
        await new Promise((resolve) => stub.close(resolve));
      }
    });
  });

  it("retries a timeout", async () => {
    server.failNext("embeddings", { hang: true });
    const vectors = await embedder({ timeoutMs: 200 }).embed(["a"]);
    expect(vectors).toHaveLength(1);
    expect(server.requestsTo("/embeddings")).toHaveLength(2);
  });

  it("retries a malformed JSON body", async () => {
    server.failNext("embeddings", { malformedJson: true });
    const vectors = await embedder().embed(["a"]);
    expect(vectors).toHaveLength(1);
    expect(server.requestsTo("/embeddings")).toHaveLength(2);
  });

  it("refuses a response whose embedding is not all numbers, without retrying", async () => {
    // NaN is sent as null in JSON numbers, and as itself in base64.
    server.embeddings.setVectorFor("broken", [Number.NaN, 1]);
    server.embeddings.base64 = "ignore";
    const error = await rejection(embedder({ dimensions: 2 }).embed(["broken"]));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).isRetryable).toBe(false);
    expect((error as ProviderError).message).toMatch(/invalid response/i);
    expect(server.requestsTo("/embeddings")).toHaveLength(1);
    server.embeddings.base64 = "honour";
    const decoded = await rejection(embedder({ dimensions: 2 }).embed(["broken"]));
    expect((decoded as ProviderError).isRetryable).toBe(false);
    expect((decoded as ProviderError).message).toMatch(/non-finite/);
    expect(server.requestsTo("/embeddings")).toHaveLength(2);
  });

  it("reports an unreachable endpoint as retryable", async () => {
    const gone = await startFakeOpenAI();
    const baseURL = gone.baseURL;
    await gone.close();
    const error = await rejection(embedder({ baseURL, maxRetries: 1 }).embed(["a"]));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).isRetryable).toBe(true);
    expect((error as ProviderError).message).toContain("network error");
  });

  it("stops on the caller's abort signal", async () => {
    server.failNext("embeddings", { hang: true });
    const controller = new AbortController();
    const pending = embedder().embed(["a"], { abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(pending);
    expect((error as Error).name).toBe("AbortError");
    expect(server.requestsTo("/embeddings")).toHaveLength(1);
  });

  it("accepts an AI SDK model instance and sends dimensions under its provider name", async () => {
    const provider = createOpenAICompatible({ name: "custom", baseURL: server.baseURL });
    const instance = new OpenAICompatibleEmbedder({ model: provider.embeddingModel("their-model"), dimensions: 8, retryBaseDelayMs: 1 });
    expect(instance.model).toBe("their-model");
    const [vector] = await instance.embed(["x"]);
    expect(vector).toHaveLength(8);
    expect(server.requestsTo("/embeddings")[0]?.body).toMatchObject({ model: "their-model", dimensions: 8 });
    const named = new OpenAICompatibleEmbedder({ model: provider.embeddingModel("their-model"), modelName: "alias" });
    expect(named.model).toBe("alias");
  });
});

describe("OpenAICompatibleEmbedder connections", () => {
  it("keeps its connection across requests to a server that hints a short keep-alive", async () => {
    // The fake server answers "Keep-Alive: timeout=1"; undici's default margin (2 s) made that a
    // new connection per request.
    let connects = 0;
    const count = () => connects++;
    diagnostics.subscribe("undici:client:beforeConnect", count);
    try {
      const client = embedder();
      for (let i = 0; i < 20; i++) await client.embed([`text number ${i}`]);
    } finally {
      diagnostics.unsubscribe("undici:client:beforeConnect", count);
    }
    expect(connects).toBeLessThanOrEqual(2);
  });
});
