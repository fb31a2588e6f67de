/**
 * `omnimem serve` with an extraction LLM (the fake OpenAI server): 503s and the client's retries,
 * a capability that is missing, model metrics and request logs; then the ways a server refuses
 * to start, and a SIGTERM that lets an in-flight request finish.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CapabilityUnavailableError, OmnimemClient, ProviderError } from "../src/client/index.js";
import { imageWithText } from "./support/fixtures/index.js";
import { schemaNameOf, startFakeOpenAI, type ChatAnswerObject, type ChatRequestBody, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { exitOf, postJson, runOmnimem, startServe, type ServeProcess } from "./support/serve-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

let fake: FakeOpenAIServer;
let root: string;
let serve: ServeProcess;
let t0 = Date.UTC(2026, 5, 1, 9, 0);

const api = (route: string) => `${serve.url}/api/v1/memory/${route}`;
const turn = (content: unknown) => ({ sender_id: "dana", role: "user", timestamp: (t0 += 1000), content });

function answer(body: ChatRequestBody): ChatAnswerObject {
  switch (schemaNameOf(body)) {
    case "episode_extraction":
      return {
        json: {
          subject: "Trip planning",
          summary: "Dana plans a trip to Lisbon.",
          narrative: "On June 1, 2026 Dana said she will travel to Lisbon in July.",
          facts: [{ text: "Dana travels to Lisbon in July 2026", time: "2026-07-01" }],
        },
        usage: { promptTokens: 120, completionTokens: 40 },
      };
    case "memory_reconciliation":
      return { json: { operations: [{ event: "ADD", fact: 0, id: null, text: "Dana travels to Lisbon in July 2026" }] } };
    default:
      return { json: { sufficient: true, queries: [] } };
  }
}

async function collect(child: ReturnType<typeof runOmnimem>): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdout!.resume();
  const { code } = await exitOf(child);
  return { code, stderr };
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.chat.setDefault(answer);
  root = await makeTempRoot("omnimem-server-llm-");
  serve = await startServe(root, {
    OMNIMEM_LLM__BASE_URL: fake.baseURL,
    OMNIMEM_LLM__MODEL: "fake-chat",
    OMNIMEM_LLM__API_KEY: "sk-test",
    OMNIMEM_LLM__MAX_RETRIES: "0",
    OMNIMEM_MULTIMODAL__OCR: "false",
    OMNIMEM_LOG_LEVEL: "info",
  });
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await fake.close();
  await removeTempRoot(root);
});

describe("a server with an extraction LLM", () => {
  it("extracts an episode and its facts, answers 503 when the model fails, and the client retries", async () => {
    const added = await postJson(api("add"), { session_id: "trip", messages: [turn("I am going to Lisbon in July")], sync: true });
    expect(added.status).toBe(200);
    expect(added.body.data.memories.map((memory: { kind: string }) => memory.kind)).toEqual(["episode", "fact"]);
    const found = await postJson(api("search"), { user_id: "dana", query: "Lisbon trip", method: "agentic" });
    expect(found.body.data.episodes[0]).toMatchObject({ subject: "Trip planning", summary: "Dana plans a trip to Lisbon." });
    expect(found.body.data.facts[0]).toMatchObject({ content: "Dana travels to Lisbon in July 2026", episode_id: found.body.data.episodes[0].id });
    expect(found.body.data.episodes[0].atomic_facts).toHaveLength(1);

    fake.failNext("chat", { status: 500 });
    const failed = await postJson(api("add"), { session_id: "fail", messages: [turn("Remember the code 1234")], sync: true });
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe("PROVIDER_ERROR");
    expect(failed.headers.get("retry-after")).toBe("1");

    fake.failNext("chat", { status: 500 });
    const client = new OmnimemClient({ baseUrl: serve.url, retryMaxDelayMs: 20 });
    const retried = await client.add({ session_id: "retry", user_id: "dana", messages: [{ role: "user", content: "I like figs" }], sync: true });
    expect(retried.status).toBe("extracted");

    fake.failNext("chat", { status: 500 }, 2);
    const impatient = new OmnimemClient({ baseUrl: serve.url, maxRetries: 1, retryMaxDelayMs: 20 });
    const error = await impatient.add({ session_id: "retry-2", user_id: "dana", messages: [{ role: "user", content: "x" }], sync: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", isRetryable: true, details: { status: 503 } });
  });

  it("415 CAPABILITY_UNAVAILABLE for an image with no vision model and OCR off", async () => {
    const png = Buffer.from(await imageWithText("HELLO", { format: "png" })).toString("base64");
    const response = await postJson(api("add"), { session_id: "img", messages: [turn([{ type: "image", base64: png }])] });
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe("CAPABILITY_UNAVAILABLE");
    const client = new OmnimemClient({ baseUrl: serve.url });
    const error = await client.add({ session_id: "img", user_id: "dana", messages: [{ role: "user", content: [{ type: "image", base64: png }] }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityUnavailableError);
    expect((error as CapabilityUnavailableError).duringParse).toBe(true);
  });

  it("reports its mode, counts model calls and tokens, and logs each request with its id", async () => {
    const health = (await (await fetch(`${serve.url}/health`)).json()) as any;
    expect(health.mode).toBe("llm");
    expect(health.capabilities.llm.state).toBe("enabled");
    expect(health.capabilities.ocr).toMatchObject({ state: "unavailable", enable: "set OMNIMEM_MULTIMODAL__OCR=true" });
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/omnimem_model_calls_total\{kind="chat",model="fake-chat",status="ok"\} [1-9]/);
    expect(metrics).toMatch(/omnimem_model_calls_total\{kind="chat",model="fake-chat",status="error"\} [1-9]/);
    expect(metrics).toMatch(/omnimem_model_tokens_total\{kind="chat",model="fake-chat",direction="input"\} [1-9]/);
    expect(metrics).toMatch(/omnimem_model_call_duration_seconds_count\{kind="chat",model="fake-chat"\} [1-9]/);
    expect(metrics).toMatch(/omnimem_parse_rejections_total\{code="CAPABILITY_UNAVAILABLE"\} [1-9]/);

    const response = await fetch(`${serve.url}/health`, { headers: { "x-request-id": "trace-0123456789" } });
    expect(response.headers.get("x-request-id")).toBe("trace-0123456789");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const logs = serve
      .stderr()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs).toContainEqual(expect.objectContaining({ msg: "request", request_id: "trace-0123456789", path: "/health", status: 200 }));
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: "request failed", path: "/api/v1/memory/add", status: 503, request_id: expect.stringMatching(/^[0-9a-f]{32}$/) }),
    );
  });
});

describe("refusing to start", () => {
  it("a second server on the same root names the process that holds it", async () => {
    const { code, stderr } = await collect(runOmnimem(["serve", "--root", root, "--port", "0"]));
    expect(code).toBe(77);
    expect(stderr).toContain("STORE_LOCKED");
    expect(stderr).toContain(`process ${serve.pid}`);
  });

  it("beyond loopback without API keys, unless --insecure", async () => {
    const other = await makeTempRoot();
    try {
      const { code, stderr } = await collect(runOmnimem(["serve", "--root", other, "--host", "0.0.0.0", "--port", "0"]));
      expect(code).toBe(65);
      expect(stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without API keys[\s\S]*--insecure/);
    } finally {
      await removeTempRoot(other);
    }
  });
});

describe("SIGTERM", () => {
  it("lets the in-flight request finish, stops accepting, and exits 0", async () => {
    fake.failNext("chat", { delayMs: 1200 });
    const before = fake.chatRequests().length;
    const inFlight = postJson(api("add"), { session_id: "slow", messages: [turn("A slow one to finish")], sync: true });
    while (fake.chatRequests().length === before) await new Promise((resolve) => setTimeout(resolve, 10));
    serve.child.kill("SIGTERM");
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body.data.status).toBe("extracted");
    expect((await serve.exited).code).toBe(0);
    await expect(fetch(`${serve.url}/health`)).rejects.toThrow();
    expect(serve.stderr()).toContain("SIGTERM");
  });
});

describe("the data root after the server stopped", () => {
  it("holds what the server acknowledged", async () => {
    const { Memory } = await import("../src/memory.js");
    const memory = await Memory.open({ root, logLevel: "silent" });
    try {
      const { results } = await memory.getAll({ userId: "dana" });
      expect(results.map((item) => item.memory).join("\n")).toContain("Dana travels to Lisbon");
      expect(results.length).toBeGreaterThanOrEqual(4);
    } finally {
      await memory.close();
    }
  });
});
