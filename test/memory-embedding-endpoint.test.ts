import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { startFakeOpenAI, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

describe("Memory with an OpenAI-compatible embedding endpoint", () => {
  let server: FakeOpenAIServer;
  let root: string;

  beforeAll(async () => {
    server = await startFakeOpenAI({ embeddingDimensions: 48 });
    root = await makeTempRoot();
  });
  afterAll(async () => {
    await server.close();
    await removeTempRoot(root);
  });

  const config = () => ({
    root,
    logLevel: "silent" as const,
    embedding: { baseUrl: server.baseURL, model: "text-embedding-3-small", apiKey: "sk-test", dimensions: 48 },
  });

  it("embeds adds and queries through the endpoint, survives a 429, and records the model with the index", async () => {
    const memory = await Memory.open(config());
    try {
      server.failNext("embeddings", { status: 429, retryAfterMs: 10 });
      await memory.add(["I run every Tuesday by the canal", "My sister lives in Lyon"].map((content) => ({ role: "user", content })), {
        infer: false, userId: "alice",
      });
      const embedCalls = server.requestsTo("/embeddings");
      expect(embedCalls).toHaveLength(2); // the 429, then the retry
      expect(embedCalls[1]!.body).toMatchObject({ model: "text-embedding-3-small", dimensions: 48 });
      expect(embedCalls[1]!.headers.authorization).toBe("Bearer sk-test");

      const { results } = await memory.search("sister Lyon", { userId: "alice", method: "vector" });
      expect(results[0]?.memory).toBe("My sister lives in Lyon");
      expect(server.requestsTo("/embeddings")).toHaveLength(3);
    } finally {
      await memory.close();
    }
  });

  it("a failing endpoint fails the add with PROVIDER_ERROR and writes nothing", async () => {
    const memory = await Memory.open({ ...config(), embedding: { ...config().embedding, maxRetries: 1 } });
    try {
      server.failNext("embeddings", { status: 500 }, 2);
      await expect(memory.add("this must not be stored", { infer: false, userId: "bob" })).rejects.toMatchObject({ code: "PROVIDER_ERROR", isRetryable: true });
      expect((await memory.getAll({ userId: "bob" })).results).toEqual([]);
    } finally {
      await memory.close();
    }
  });

  it("switching to the local embedder is refused until reindex", async () => {
    const memory = await Memory.open({ root, logLevel: "silent" });
    try {
      await expect(memory.search("Lyon", { userId: "alice" })).rejects.toThrow(/text-embedding-3-small.*reindex/s);
      await memory.reindex();
      expect((await memory.search("Lyon", { userId: "alice" })).results[0]?.memory).toBe("My sister lives in Lyon");
    } finally {
      await memory.close();
    }
  });
});
