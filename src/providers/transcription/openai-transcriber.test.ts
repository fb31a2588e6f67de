import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { wavTone } from "../../../test/support/fixtures/documents.js";
import { startFakeOpenAI, type FakeOpenAIServer, type MultipartBody } from "../../../test/support/fake-openai-server.js";
import { ProviderError } from "../../spec/errors.js";
import { OpenAICompatibleTranscriber, type OpenAICompatibleTranscriberOptions } from "./openai-transcriber.js";

const API_KEY = "sk-test-transcription-key-42";
let server: FakeOpenAIServer;

beforeAll(async () => {
  server = await startFakeOpenAI({ apiKey: API_KEY });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
});

function transcriber(options: Partial<OpenAICompatibleTranscriberOptions> = {}): OpenAICompatibleTranscriber {
  return new OpenAICompatibleTranscriber({
    baseURL: server.baseURL,
    apiKey: API_KEY,
    model: "whisper-1",
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

const audio = wavTone(0.25);
const request = { audio, mediaType: "audio/wav", fileName: "memo.wav" };

describe("OpenAICompatibleTranscriber", () => {
  it("does no I/O in the constructor", () => {
    const instance = transcriber();
    expect(instance.name).toBe("openai-compatible/whisper-1");
    expect(server.requests).toHaveLength(0);
  });

  it("posts the audio as multipart with the model, language and file name", async () => {
    server.transcriptions.enqueue("ask not what your country can do for you");
    const text = await transcriber({ language: "en" }).transcribe(request);
    expect(text).toBe("ask not what your country can do for you");

    const logged = server.requestsTo("/audio/transcriptions");
    expect(logged).toHaveLength(1);
    expect(logged[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    const body = logged[0]?.body as MultipartBody;
    expect(body.fields).toEqual({ model: "whisper-1", response_format: "json", language: "en" });
    expect(body.files).toHaveLength(1);
    expect(body.files[0]).toMatchObject({ field: "file", filename: "memo.wav", contentType: "audio/wav", size: audio.length });
    expect(Buffer.compare(body.files[0]?.data ?? Buffer.alloc(0), Buffer.from(audio))).toBe(0);
  });

  it("leaves the language out when none is configured", async () => {
    await transcriber().transcribe(request);
    const body = server.requestsTo("/audio/transcriptions")[0]?.body as MultipartBody;
    expect(body.fields).toEqual({ model: "whisper-1", response_format: "json" });
  });

  it("retries a 429 and gives way to retry-after", async () => {
    server.failNext("transcriptions", { status: 429, retryAfterMs: 20 });
    server.transcriptions.enqueue("after the rate limit");
    const started = Date.now();
    const text = await transcriber().transcribe(request);
    expect(text).toBe("after the rate limit");
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(server.requestsTo("/audio/transcriptions")).toHaveLength(2);
  });

  it("retries 5xx and malformed JSON, then gives up with a retryable ProviderError", async () => {
    server.failNext("transcriptions", { malformedJson: true });
    server.transcriptions.enqueue("recovered");
    expect(await transcriber().transcribe(request)).toBe("recovered");

    server.reset();
    server.failNext("transcriptions", { status: 503 }, 5);
    const error = await rejection(transcriber({ maxRetries: 2 }).transcribe(request));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", isRetryable: true, details: { model: "whisper-1", status: "HTTP 503" } });
    expect((error as Error).message).toMatch(/after 3 attempts: HTTP 503/);
    expect(server.requestsTo("/audio/transcriptions")).toHaveLength(3);
  });

  it("does not retry a 400 and keeps the API key out of the message", async () => {
    server.failNext("transcriptions", { status: 400, message: `Invalid file format for key ${API_KEY}` });
    const error = await rejection(transcriber().transcribe(request));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ isRetryable: false });
    expect((error as Error).message).toContain("HTTP 400");
    expect((error as Error).message).toContain("Invalid file format");
    expect((error as Error).message).not.toContain(API_KEY);
    expect(server.requestsTo("/audio/transcriptions")).toHaveLength(1);
  });

  it("answers a wrong key with a non-retryable ProviderError", async () => {
    const error = await rejection(transcriber({ apiKey: "sk-wrong-key-000000" }).transcribe(request));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", isRetryable: false, details: { status: "HTTP 401" } });
  });

  it("times out a hanging endpoint per attempt", async () => {
    server.failNext("transcriptions", { hang: true });
    const error = await rejection(transcriber({ timeoutMs: 150, maxRetries: 0 }).transcribe(request));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", isRetryable: true });
    expect((error as Error).message).toContain("timeout after 150 ms");
  });

  it("treats an unreachable endpoint as a retryable network error", async () => {
    const closed = await startFakeOpenAI();
    const baseURL = closed.baseURL;
    await closed.close();
    const error = await rejection(transcriber({ baseURL, maxRetries: 1 }).transcribe(request));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", isRetryable: true });
    expect((error as Error).message).toMatch(/after 2 attempts: network error/);
  });

  it("stops at once when the caller aborts", async () => {
    server.failNext("transcriptions", { hang: true });
    const controller = new AbortController();
    const pending = transcriber({ timeoutMs: 10_000 }).transcribe({ ...request, abortSignal: controller.signal });
    setTimeout(() => controller.abort(new Error("caller gave up")), 50);
    await expect(pending).rejects.toThrow("caller gave up");
  });
});
