import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";

import { startFakeOpenAI, type ChatRequestBody, type FakeOpenAIServer, type JsonObject } from "../../../test/support/fake-openai-server.js";
import { ProviderError } from "../../spec/errors.js";
import { ChatModel, jsonCandidates, parseLenientJson, stripReasoning, type ChatModelConfig } from "./chat-model.js";

const API_KEY = "sk-test-chat-secret-456";

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

const factSchema = z.object({
  subject: z.string().min(1).describe("a short title"),
  facts: z.array(z.object({ text: z.string().min(1), time: z.string().nullable() })),
});

const GOOD = { subject: "Trip", facts: [{ text: "Alice flew to Lisbon", time: "2024-05-01" }] };

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function capturingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

function model(options: Partial<ChatModelConfig> = {}): ChatModel {
  return new ChatModel({
    baseURL: server.baseURL,
    apiKey: API_KEY,
    model: "fake-chat",
    retryBaseDelayMs: 1,
    logger: pino({ level: "silent" }),
    ...options,
  });
}

function ask(instance: ChatModel, prompt = "Alice said she flew to Lisbon on 1 May 2024.") {
  return instance.generateJson({
    schema: factSchema,
    schemaName: "fact_extraction",
    schemaDescription: "facts from a conversation",
    system: "Extract facts.",
    prompt,
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

function messagesOf(body: ChatRequestBody | undefined): { role: string; content: string }[] {
  return (body?.messages ?? []).map((message) => {
    const { role, content } = message as JsonObject;
    return { role: String(role), content: typeof content === "string" ? content : JSON.stringify(content) };
  });
}

function allText(body: ChatRequestBody | undefined): string {
  return messagesOf(body)
    .map((message) => message.content)
    .join("\n");
}

describe("ChatModel.generateJson", () => {
  it("does no I/O in the constructor", () => {
    const instance = model();
    expect(instance.modelName).toBe("fake-chat");
    expect(instance.currentJsonMode).toBe("json_schema");
    expect(server.requests).toHaveLength(0);
  });

  it("sends a json_schema response_format built from the zod schema, with system and user messages", async () => {
    server.chat.enqueue({ json: GOOD, usage: { promptTokens: 120, completionTokens: 30 } });
    const result = await ask(model());
    expect(result).toEqual({ value: GOOD, usage: { inputTokens: 120, outputTokens: 30 }, mode: "json_schema", attempts: 1 });

    const [request] = server.requestsTo("/chat/completions");
    expect(request?.headers["authorization"]).toBe(`Bearer ${API_KEY}`);
    const body = request?.body as ChatRequestBody;
    expect(body.model).toBe("fake-chat");
    expect(body.temperature).toBe(0);
    expect(body.response_format?.type).toBe("json_schema");
    expect(body.response_format?.json_schema?.name).toBe("fact_extraction");
    expect(body.response_format?.json_schema?.description).toBe("facts from a conversation");
    // Every property required and no extra ones: the schema qualifies for strict mode.
    expect(body.response_format?.json_schema?.strict).toBe(true);
    const schema = body.response_format?.json_schema?.schema as JsonObject;
    expect(schema["type"]).toBe("object");
    expect(Object.keys(schema["properties"] as JsonObject)).toEqual(["subject", "facts"]);
    expect(schema["additionalProperties"]).toBe(false);
    expect(schema).not.toHaveProperty("$schema");

    const messages = messagesOf(body);
    expect(messages.map((message) => message.role)).toEqual(["system", "user"]);
    expect(messages[0]?.content).toContain("Extract facts.");
    expect(messages[1]?.content).toBe("Alice said she flew to Lisbon on 1 May 2024.");
    expect(server.usage.chatCalls).toBe(1);
  });

  it("sends strict: false for a schema with optional properties", async () => {
    server.chat.enqueue({ json: { a: "x" } });
    const instance = model();
    const { value } = await instance.generateJson({
      schema: z.object({ a: z.string(), b: z.number().optional() }),
      schemaName: "loose",
      system: "s",
      prompt: "p",
    });
    expect(value).toEqual({ a: "x" });
    expect(server.chatRequests()[0]?.response_format?.json_schema?.strict).toBe(false);
  });

  it("ignores <think> reasoning before the JSON, braces inside it included", async () => {
    server.chat.enqueue(`<think>The user wants {facts}. Let me write {"subject": 1}.</think>\n${JSON.stringify(GOOD)}`);
    const result = await ask(model());
    expect(result.value).toEqual(GOOD);
    expect(result.attempts).toBe(1);
    expect(server.requestsTo("/chat/completions")).toHaveLength(1);
  });

  it("reads fenced JSON with prose around it", async () => {
    server.chat.enqueue(`Sure! Here is the result:\n\n\`\`\`json\n${JSON.stringify(GOOD, null, 2)}\n\`\`\`\n\nLet me know if you need more {help}.`);
    expect((await ask(model())).value).toEqual(GOOD);
    expect(server.requestsTo("/chat/completions")).toHaveLength(1);
  });

  it("repairs near-JSON: single quotes, unquoted keys, trailing commas, comments, Python constants", async () => {
    server.chat.enqueue(
      "{'subject': 'Trip', // the title\n facts: [{'text': 'Alice flew to Lisbon', 'time': None},],}",
    );
    const result = await ask(model());
    expect(result.value).toEqual({ subject: "Trip", facts: [{ text: "Alice flew to Lisbon", time: null }] });
    expect(result.attempts).toBe(1);
  });

  it("completes an answer cut off before its closing brackets", async () => {
    server.chat.enqueue('{"subject": "Trip", "facts": [{"text": "Alice flew to Lisbon", "time": null}');
    expect((await ask(model())).value).toEqual({ subject: "Trip", facts: [{ text: "Alice flew to Lisbon", time: null }] });
  });

  it("asks once more with the validation error after an invalid answer", async () => {
    server.chat.enqueue(
      { json: { subject: "", facts: "none" }, usage: { promptTokens: 100, completionTokens: 10 } },
      { json: GOOD, usage: { promptTokens: 150, completionTokens: 20 } },
    );
    const result = await ask(model());
    expect(result.value).toEqual(GOOD);
    expect(result.attempts).toBe(2);
    expect(result.usage).toEqual({ inputTokens: 250, outputTokens: 30 });

    const requests = server.chatRequests();
    expect(requests).toHaveLength(2);
    const second = messagesOf(requests[1]);
    expect(second.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(second[2]?.content).toContain('"facts":"none"');
    expect(second[3]?.content).toContain("does not match the schema");
    expect(second[3]?.content).toMatch(/facts: .*expected array/i);
    expect(second[3]?.content).toMatch(/subject: /);
    expect(requests[1]?.response_format?.type).toBe("json_schema");
  });

  it("asks once more when the answer holds no JSON at all", async () => {
    server.chat.enqueue("I cannot help with that.", { json: GOOD });
    const result = await ask(model());
    expect(result.attempts).toBe(2);
    expect(allText(server.chatRequests()[1])).toContain("contains no JSON object");
  });

  it("fails with a ProviderError after two invalid answers, quoting the output but not the key", async () => {
    server.chat.enqueue({ json: { subject: 42 } }, `<think>hmm</think>{"subject": 43, "note": "${API_KEY}"}`);
    const error = await rejection(ask(model()));
    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.isRetryable).toBe(false);
    expect(providerError.message).toContain("did not match the schema");
    expect(providerError.message).toContain("fact_extraction");
    expect(providerError.message).toContain('{\\"subject\\": 43');
    expect(providerError.message).not.toContain("<think>");
    expect(providerError.message).not.toContain(API_KEY);
    expect(server.requestsTo("/chat/completions")).toHaveLength(2);
  });

  it("retries a 429 and then succeeds", async () => {
    server.failNext("chat", { status: 429 });
    server.chat.enqueue({ json: GOOD });
    const result = await ask(model());
    expect(result.value).toEqual(GOOD);
    expect(result.attempts).toBe(1);
    expect(server.requestsTo("/chat/completions")).toHaveLength(2);
  });

  it("gives up on repeated 500s with a retryable ProviderError", async () => {
    server.failNext("chat", { status: 500, message: "upstream exploded" }, 10);
    const error = await rejection(ask(model({ maxRetries: 2 })));
    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.isRetryable).toBe(true);
    expect(providerError.cause).toBeDefined();
    expect(providerError.message).toContain(`${server.baseURL}/chat/completions`);
    expect(providerError.message).toContain("fake-chat");
    expect(providerError.message).toContain("HTTP 500");
    expect(providerError.message).toContain("after 3 attempts");
    expect(providerError.message).toContain("upstream exploded");
    expect(server.requestsTo("/chat/completions")).toHaveLength(3);
  });

  it("does not retry a 400 that is not about response_format, and keeps the key out", async () => {
    server.failNext("chat", { status: 400, message: `context too long for key ${API_KEY}` }, 5);
    const error = await rejection(ask(model()));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).isRetryable).toBe(false);
    expect((error as ProviderError).message).toContain("HTTP 400");
    expect((error as ProviderError).message).not.toContain(API_KEY);
    expect(server.requestsTo("/chat/completions")).toHaveLength(1);
    expect(server.pendingFailures).toBe(4);
  });

  it("retries a timeout", async () => {
    server.failNext("chat", { hang: true });
    server.chat.enqueue({ json: GOOD });
    expect((await ask(model({ timeoutMs: 200 }))).value).toEqual(GOOD);
    expect(server.requestsTo("/chat/completions")).toHaveLength(2);
  });

  it("retries a malformed JSON HTTP body", async () => {
    server.failNext("chat", { malformedJson: true });
    server.chat.enqueue({ json: GOOD });
    expect((await ask(model())).value).toEqual(GOOD);
    expect(server.requestsTo("/chat/completions")).toHaveLength(2);
  });

  it("stops on the caller's abort signal", async () => {
    server.failNext("chat", { hang: true });
    const controller = new AbortController();
    const pending = model().generateJson({
      schema: factSchema,
      schemaName: "fact_extraction",
      system: "s",
      prompt: "p",
      abortSignal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(pending);
    expect((error as Error).name).toBe("AbortError");
    expect(server.requestsTo("/chat/completions")).toHaveLength(1);
  });

  it("falls back to json_object when json_schema is rejected, and starts there afterwards", async () => {
    server.chat.rejectResponseFormat(["json_schema"]);
    server.chat.enqueue({ json: GOOD }, { json: GOOD });
    const { logger, lines } = capturingLogger();
    const instance = model({ logger });

    const first = await ask(instance, "first secret memory");
    expect(first.value).toEqual(GOOD);
    expect(first.mode).toBe("json_object");
    expect(instance.currentJsonMode).toBe("json_object");
    let requests = server.chatRequests();
    expect(requests).toHaveLength(2);
    expect(requests[0]?.response_format?.type).toBe("json_schema");
    expect(requests[1]?.response_format).toEqual({ type: "json_object" });
    // The schema travels in the system prompt instead.
    const system = messagesOf(requests[1])[0]?.content ?? "";
    expect(system).toContain("Extract facts.");
    expect(system).toContain('"fact_extraction"');
    expect(system).toContain('"subject"');
    expect(system).toContain("JSON");

    const second = await ask(instance, "second secret memory");
    expect(second.mode).toBe("json_object");
    requests = server.chatRequests();
    expect(requests).toHaveLength(3);
    expect(requests[2]?.response_format).toEqual({ type: "json_object" });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ from: "json_schema", to: "json_object", model: "fake-chat" });
    expect(JSON.stringify(lines)).not.toContain("secret memory");
  });

  it("falls back to plain prompting when both formats are rejected", async () => {
    server.chat.rejectResponseFormat(["json_schema", "json_object"]);
    server.chat.enqueue(`Here you go: ${JSON.stringify(GOOD)}`, { json: GOOD });
    const instance = model();
    const result = await ask(instance);
    expect(result.value).toEqual(GOOD);
    expect(result.mode).toBe("prompt");
    const requests = server.chatRequests();
    expect(requests.map((request) => request.response_format?.type)).toEqual(["json_schema", "json_object", undefined]);
    expect(requests[2]).not.toHaveProperty("response_format");
    const messages = messagesOf(requests[2]);
    expect(messages[0]?.content).toContain('"facts"');
    expect(messages[1]?.content).toContain("Reply with only the JSON object");

    await ask(instance);
    expect(server.chatRequests()[3]).not.toHaveProperty("response_format");
    expect(server.chatRequests()).toHaveLength(4);
  });

  it("can start lower on the ladder when configured to", async () => {
    server.chat.enqueue({ json: GOOD });
    await ask(model({ jsonMode: "json_object" }));
    expect(server.chatRequests()[0]?.response_format).toEqual({ type: "json_object" });
  });

  it("accepts an AI SDK model instance and describes the schema in the prompt for it", async () => {
    const provider = createOpenAICompatible({ name: "custom", baseURL: server.baseURL, supportsStructuredOutputs: true });
    const instance = new ChatModel({ model: provider.chatModel("their-model"), retryBaseDelayMs: 1 });
    expect(instance.modelName).toBe("their-model");
    server.chat.enqueue({ json: GOOD });
    expect((await ask(instance)).value).toEqual(GOOD);
    const [body] = server.chatRequests();
    expect(body?.model).toBe("their-model");
    expect(body?.response_format?.type).toBe("json_schema");
    expect(messagesOf(body)[0]?.content).toContain('"subject"');
  });
});

describe("ChatModel.generateText", () => {
  it("returns the answer without reasoning, with usage, and sends no response_format", async () => {
    server.chat.enqueue({ content: "<think>let me see</think>\nParis.", usage: { promptTokens: 7, completionTokens: 3 } });
    const result = await model().generateText({ system: "Be brief.", prompt: "Capital of France?" });
    expect(result).toEqual({ text: "Paris.", usage: { inputTokens: 7, outputTokens: 3 } });
    const [body] = server.chatRequests();
    expect(body).not.toHaveProperty("response_format");
    expect(messagesOf(body)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Capital of France?" },
    ]);
  });
});

describe("parsing helpers", () => {
  it("strips closed, orphan-closed and unclosed leading reasoning", () => {
    expect(stripReasoning('<thinking>a</thinking> <reasoning x="1">b</reasoning>{"a":1}').trim()).toBe('{"a":1}');
    expect(stripReasoning('the template opened it</think>\n{"a":1}').trim()).toBe('{"a":1}');
    expect(stripReasoning('<think>\nstill thinking... {"a":1}')).toBe('{"a":1}');
  });

  it("finds JSON candidates in fences and prose", () => {
    expect(jsonCandidates('x ```json\n{"a": "}"}\n``` y')[0]).toBe('{"a": "}"}');
    expect(jsonCandidates("note [1] then {'a': 'it}'}")).toEqual(["[1]", "{'a': 'it}'}"]);
  });

  it("repairs smart quotes, True/False and double-encoded JSON, and says when it cannot", () => {
    expect(parseLenientJson("{\u201ca\u201d: True, \u201cb\u201d: False}")).toEqual({ ok: true, value: { a: true, b: false } });
    expect(parseLenientJson(JSON.stringify(JSON.stringify({ a: 1 })))).toEqual({ ok: true, value: { a: 1 } });
    const broken = parseLenientJson("{,,,");
    expect(broken.ok).toBe(false);
    expect(broken.ok ? "" : broken.error).toContain("not valid JSON");
  });
});
