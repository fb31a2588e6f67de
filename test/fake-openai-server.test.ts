import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, Output, streamText } from "ai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";

import { fakeEmbedding, startFakeOpenAI, type FakeOpenAIServer, type MultipartBody } from "./support/fake-openai-server.js";

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

async function postJson(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.baseURL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

interface ChatCompletion {
  choices: { message: { content: string | null; tool_calls?: { function: { name: string; arguments: string } }[] }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function chat(body: Record<string, unknown> = {}): Promise<ChatCompletion> {
  const response = await postJson("/chat/completions", { model: "m", messages: [{ role: "user", content: "hello there" }], ...body });
  expect(response.status).toBe(200);
  return (await response.json()) as ChatCompletion;
}

interface EmbeddingList {
  data: { index: number; embedding: number[] }[];
  usage: { prompt_tokens: number };
}

describe("chat completions", () => {
  it("answers scripted replies in order, then the default", async () => {
    server.chat.enqueue("first", { content: "second" }, (request) => `echo ${String(request.model)}`);
    expect((await chat()).choices[0]?.message.content).toBe("first");
    expect((await chat()).choices[0]?.message.content).toBe("second");
    expect((await chat({ model: "dyn" })).choices[0]?.message.content).toBe("echo dyn");
    expect((await chat()).choices[0]?.message.content).toBe("ok");
    expect((await chat({ response_format: { type: "json_object" } })).choices[0]?.message.content).toBe("{}");
    server.chat.setDefault("changed");
    expect((await chat()).choices[0]?.message.content).toBe("changed");
    expect(server.requestsTo("/chat/completions")).toHaveLength(6);
  });

  it("answers tool calls and json shorthand", async () => {
    server.chat.enqueue({ toolCalls: [{ name: "lookup", arguments: { q: "x" } }] }, { json: { a: 1 } });
    const first = await chat();
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(first.choices[0]?.message.tool_calls?.[0]?.function).toEqual({ name: "lookup", arguments: '{"q":"x"}' });
    expect((await chat()).choices[0]?.message.content).toBe('{"a":1}');
  });

  it("logs json_schema response formats and can reject them", async () => {
    const responseFormat = { type: "json_schema", json_schema: { name: "facts", schema: { type: "object" }, strict: true } };
    await chat({ response_format: responseFormat });
    expect(server.chatRequests()[0]?.response_format).toEqual(responseFormat);

    server.chat.rejectResponseFormat(["json_schema"]);
    const rejected = await postJson("/chat/completions", { model: "m", messages: [], response_format: responseFormat });
    expect(rejected.status).toBe(400);
    const error = (await rejected.json()) as { error: { type: string; param: string } };
    expect(error.error).toMatchObject({ type: "invalid_request_error", param: "response_format" });
    // Other formats still pass.
    expect((await chat({ response_format: { type: "json_object" } })).choices[0]?.message.content).toBe("{}");
  });

  it("works with the AI SDK, structured output and streaming included", async () => {
    const provider = createOpenAICompatible({ name: "fake", baseURL: server.baseURL, apiKey: "k", supportsStructuredOutputs: true });
    server.chat.enqueue({ json: { name: "Ada", age: 36 } });
    const result = await generateText({
      model: provider.chatModel("m"),
      prompt: "who?",
      output: Output.object({ schema: z.object({ name: z.string(), age: z.number() }) }),
    });
    expect(result.output).toEqual({ name: "Ada", age: 36 });
    expect(server.chatRequests()[0]?.response_format?.type).toBe("json_schema");

    server.chat.enqueue("streamed answer here");
    const stream = streamText({ model: provider.chatModel("m"), prompt: "go" });
    let text = "";
    for await (const delta of stream.textStream) text += delta;
    expect(text).toBe("streamed answer here");
    expect(server.chatRequests()[1]?.stream).toBe(true);
  });

  it("counts usage", async () => {
    server.chat.enqueue("12345678");
    const completion = await chat();
    // "hello there" is 11 characters → 3 tokens; "12345678" → 2.
    expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    server.chat.enqueue({ content: "x", usage: { promptTokens: 100, completionTokens: 7 } });
    await chat();
    await postJson("/embeddings", { model: "e", input: ["abcd", "abcdefgh"] });
    expect(server.usage).toEqual({
      chatCalls: 2,
      embeddingCalls: 1,
      transcriptionCalls: 0,
      promptTokens: 103,
      completionTokens: 9,
      embeddingTokens: 3,
    });
  });
});

describe("embeddings", () => {
  it("are deterministic, unit length and honour dimensions", async () => {
    const first = (await (await postJson("/embeddings", { model: "e", input: ["alpha", "beta"] })).json()) as EmbeddingList;
    const second = (await (await postJson("/embeddings", { model: "e", input: "alpha" })).json()) as EmbeddingList;
    expect(first.data).toHaveLength(2);
    expect(first.data[0]?.embedding).toHaveLength(64);
    expect(second.data[0]?.embedding).toEqual(first.data[0]?.embedding);
    expect(first.data[1]?.embedding).not.toEqual(first.data[0]?.embedding);
    const norm = Math.hypot(...(first.data[0]?.embedding ?? []));
    expect(norm).toBeCloseTo(1, 6);
    expect(first.data[0]?.embedding).toEqual(fakeEmbedding("alpha", 64));

    const sized = (await (await postJson("/embeddings", { model: "e", input: ["alpha"], dimensions: 16 })).json()) as EmbeddingList;
    expect(sized.data[0]?.embedding).toHaveLength(16);
    server.embeddings.setDefaultDimensions(8);
    const small = (await (await postJson("/embeddings", { model: "e", input: ["alpha"] })).json()) as EmbeddingList;
    expect(small.data[0]?.embedding).toHaveLength(8);
  });

  it("makes texts that share words closer than texts that do not", () => {
    const dot = (a: number[], b: number[]): number => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);
    const cat = fakeEmbedding("the cat sat on the mat", 128);
    const cat2 = fakeEmbedding("a cat on a mat", 128);
    const other = fakeEmbedding("quarterly revenue report", 128);
    expect(dot(cat, cat2)).toBeGreaterThan(dot(cat, other));
  });

  it("uses per-text overrides and answers base64 when asked", async () => {
    server.embeddings.setVectorFor("special", [1, 0, 0]);
    const list = (await (await postJson("/embeddings", { model: "e", input: ["special"] })).json()) as EmbeddingList;
    expect(list.data[0]?.embedding).toEqual([1, 0, 0]);

    const encoded = (await (await postJson("/embeddings", { model: "e", input: ["special"], encoding_format: "base64" })).json()) as {
      data: { embedding: string }[];
    };
    const decoded = new Float32Array(new Uint8Array(Buffer.from(encoded.data[0]?.embedding ?? "", "base64")).buffer);
    expect(Array.from(decoded)).toEqual([1, 0, 0]);
  });
});

describe("audio transcriptions", () => {
  it("parses multipart uploads and answers json or text", async () => {
    server.transcriptions.enqueue("hello world");
    const form = new FormData();
    form.append("model", "whisper-1");
    form.append("language", "en");
    form.append("file", new Blob([new Uint8Array(1234)], { type: "audio/wav" }), "clip.wav");
    const response = await fetch(`${server.baseURL}/audio/transcriptions`, { method: "POST", body: form });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ text: "hello world" });

    const logged = server.requestsTo("/audio/transcriptions")[0];
    const body = logged?.body as MultipartBody;
    expect(body.fields).toMatchObject({ model: "whisper-1", language: "en" });
    expect(body.files).toHaveLength(1);
    expect(body.files[0]).toMatchObject({ field: "file", filename: "clip.wav", size: 1234, contentType: "audio/wav" });

    const textForm = new FormData();
    textForm.append("model", "whisper-1");
    textForm.append("response_format", "text");
    textForm.append("file", new Blob([new Uint8Array([1, 2, 3])]), "a.mp3");
    const textResponse = await fetch(`${server.baseURL}/audio/transcriptions`, { method: "POST", body: textForm });
    expect(textResponse.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await textResponse.text()).toBe("fake transcript");
    expect(server.usage.transcriptionCalls).toBe(2);
  });
});

describe("routing and injected failures", () => {
  it("answers unknown routes with an OpenAI-style 404", async () => {
    const response = await postJson("/nope", {});
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("/v1/nope");
  });

  it("injects 429 with retry headers, then answers normally", async () => {
    server.failNext("chat", { status: 429, retryAfterMs: 1500 });
    server.chat.enqueue("after");
    const limited = await postJson("/chat/completions", { model: "m", messages: [] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after-ms")).toBe("1500");
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
    // The scripted answer was not consumed by the failure.
    expect((await chat()).choices[0]?.message.content).toBe("after");
  });

  it("consumes injected server errors in FIFO order, per route and for any route", async () => {
    server.failNext("embeddings", { status: 500 }, 2);
    server.failNext("*", { status: 503 });
    server.failNext("chat", { status: 502 });
    // chat: the first matching entry is the "*" one.
    expect((await postJson("/chat/completions", { model: "m", messages: [] })).status).toBe(503);
    expect((await postJson("/chat/completions", { model: "m", messages: [] })).status).toBe(502);
    expect((await postJson("/embeddings", { model: "e", input: "x" })).status).toBe(500);
    expect((await postJson("/embeddings", { model: "e", input: "x" })).status).toBe(500);
    expect((await postJson("/embeddings", { model: "e", input: "x" })).status).toBe(200);
    server.failNext("embeddings", { status: 400, message: "bad input" });
    const failed = await postJson("/embeddings", { model: "e", input: "x" });
    expect(failed.status).toBe(400);
    expect(((await failed.json()) as { error: { message: string; type: string } }).error).toMatchObject({
      message: "bad input",
      type: "invalid_request_error",
    });
  });

  it("delays a response", async () => {
    server.failNext("chat", { delayMs: 200 });
    const started = Date.now();
    expect((await chat()).choices[0]?.message.content).toBe("ok");
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("answers malformed JSON", async () => {
    server.failNext("embeddings", { malformedJson: true });
    const response = await postJson("/embeddings", { model: "e", input: "x" });
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow();
  });

  it("hangs until the client aborts", async () => {
    server.failNext("chat", { hang: true });
    const controller = new AbortController();
    const pending = postJson("/chat/completions", { model: "m", messages: [] }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requestsTo("/chat/completions")).toHaveLength(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    // The server is still healthy afterwards.
    expect((await chat()).choices[0]?.message.content).toBe("ok");
  });

  it("closes promptly with hanging and delayed requests open", async () => {
    const own = await startFakeOpenAI();
    own.failNext("chat", { hang: true });
    own.failNext("embeddings", { delayMs: 60_000 });
    const hanging = fetch(`${own.baseURL}/chat/completions`, { method: "POST", body: "{}" }).catch((error: unknown) => error);
    const delayed = fetch(`${own.baseURL}/embeddings`, { method: "POST", body: '{"input":"x"}' }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hanging).toBeInstanceOf(Error);
    expect(await delayed).toBeInstanceOf(Error);
  });

  it("handles concurrent requests and logs every one", async () => {
    server.chat.setDefault((request) => `reply to ${String(request.model)}`);
    const replies = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => (await chat({ model: `m${i}` })).choices[0]?.message.content),
    );
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => `reply to m${i}`));
    expect(server.requests).toHaveLength(20);
  });

  it("accepts bodies of 50 MiB", async () => {
    const big = "a".repeat(50 * 1024 * 1024);
    const response = await postJson("/embeddings", { model: "e", input: big });
    expect(response.status).toBe(200);
  });

  it("checks the API key when configured", async () => {
    const own = await startFakeOpenAI({ apiKey: "secret" });
    try {
      const denied = await fetch(`${own.baseURL}/embeddings`, { method: "POST", body: '{"input":"x"}' });
      expect(denied.status).toBe(401);
      const allowed = await fetch(`${own.baseURL}/embeddings`, {
        method: "POST",
        headers: { authorization: "Bearer secret" },
        body: '{"input":"x"}',
      });
      expect(allowed.status).toBe(200);
    } finally {
      await own.close();
    }
  });
});
