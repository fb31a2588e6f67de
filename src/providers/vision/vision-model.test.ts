import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { startFakeOpenAI, type ChatRequestBody, type FakeOpenAIServer, type JsonValue } from "../../../test/support/fake-openai-server.js";
import { ProviderError } from "../../spec/errors.js";
import { DEFAULT_IMAGE_PROMPT, OpenAICompatibleVisionModel, type VisionModelConfig } from "./vision-model.js";

const API_KEY = "sk-test-vision-secret-789";

let server: FakeOpenAIServer;
let png: Uint8Array;

beforeAll(async () => {
  server = await startFakeOpenAI();
  png = new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: "white" } }).png().toBuffer());
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
});

function model(options: Partial<VisionModelConfig> = {}): OpenAICompatibleVisionModel {
  return new OpenAICompatibleVisionModel({
    baseURL: server.baseURL,
    apiKey: API_KEY,
    model: "fake-vision",
    retryBaseDelayMs: 1,
    ...options,
  });
}

type Part = { [key: string]: JsonValue };

function userParts(body: ChatRequestBody | undefined): Part[] {
  const user = (body?.messages ?? []).find((message) => (message as Part)["role"] === "user") as Part | undefined;
  const content = user?.["content"];
  return Array.isArray(content) ? (content as Part[]) : [];
}

describe("OpenAICompatibleVisionModel", () => {
  it("sends the image as an image_url part with a data: URI, to the configured model", async () => {
    server.chat.enqueue("  The sign says OPEN.  ");
    const answer = await model().describeImage({ image: png, mediaType: "image/png", prompt: DEFAULT_IMAGE_PROMPT });
    expect(answer).toBe("The sign says OPEN.");

    const [body] = server.chatRequests();
    expect(body?.model).toBe("fake-vision");
    const parts = userParts(body);
    const image = parts.find((part) => part["type"] === "image_url");
    const url = (image?.["image_url"] as Part | undefined)?.["url"];
    expect(url).toBe(`data:image/png;base64,${Buffer.from(png).toString("base64")}`);
    const text = parts.find((part) => part["type"] === "text");
    expect(text?.["text"]).toBe(DEFAULT_IMAGE_PROMPT);
    // Never the image as text: no text part and no string content carries the base64.
    const base64 = Buffer.from(png).toString("base64");
    for (const message of body?.messages ?? []) {
      const content = (message as Part)["content"];
      if (typeof content === "string") expect(content).not.toContain(base64);
    }
    for (const part of parts.filter((candidate) => candidate["type"] === "text")) {
      expect(String(part["text"])).not.toContain(base64);
    }
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it("uses the default prompt when given an empty one", async () => {
    await model().describeImage({ image: png, mediaType: "image/png", prompt: "  " });
    const text = userParts(server.chatRequests()[0]).find((part) => part["type"] === "text");
    expect(text?.["text"]).toBe(DEFAULT_IMAGE_PROMPT);
  });

  it("strips reasoning blocks from the answer", async () => {
    server.chat.enqueue("<think>looking closely</think>\nA red circle.");
    expect(await model().describeImage({ image: png, mediaType: "image/png", prompt: "what?" })).toBe("A red circle.");
  });

  it("retries a 429 and a 500, then answers", async () => {
    server.failNext("chat", { status: 429 }).failNext("chat", { status: 500 });
    server.chat.enqueue("fine");
    expect(await model().describeImage({ image: png, mediaType: "image/png", prompt: "p" })).toBe("fine");
    expect(server.chatRequests()).toHaveLength(3);
  });

  it("gives up with a retryable ProviderError that names the model, without the API key", async () => {
    server.failNext("chat", { status: 503, message: `bad key ${API_KEY}` }, 3);
    const error = await model({ maxRetries: 2 })
      .describeImage({ image: png, mediaType: "image/png", prompt: "p" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.isRetryable).toBe(true);
    expect(providerError.message).toContain("fake-vision");
    expect(providerError.message).toContain("after 3 attempts");
    expect(providerError.message).not.toContain(API_KEY);
  });

  it("does not retry a 400 (the model rejects the asset)", async () => {
    server.failNext("chat", { status: 400, message: "image too small" });
    const error = await model()
      .describeImage({ image: png, mediaType: "image/png", prompt: "p" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).isRetryable).toBe(false);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it("times out a hanging request per attempt", async () => {
    server.failNext("chat", { hang: true });
    const error = await model({ timeoutMs: 200, maxRetries: 0 })
      .describeImage({ image: png, mediaType: "image/png", prompt: "p" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toContain("timeout after 200 ms");
  });

  it("accepts an AI SDK model instance", async () => {
    const provider = createOpenAICompatible({ name: "custom", baseURL: server.baseURL, apiKey: API_KEY });
    const vision = new OpenAICompatibleVisionModel({ model: provider.chatModel("instance-vision"), retryBaseDelayMs: 1 });
    expect(vision.modelName).toBe("instance-vision");
    server.chat.enqueue("seen");
    expect(await vision.describeImage({ image: png, mediaType: "image/png", prompt: "p" })).toBe("seen");
    expect(server.chatRequests()[0]?.model).toBe("instance-vision");
    expect(userParts(server.chatRequests()[0]).some((part) => part["type"] === "image_url")).toBe(true);
  });
});
