/**
 * `omnimem/ai` with the AI SDK's own mock language model (`ai/test`): the middleware puts the
 * owner's memories in front of the model and stores the exchange when asked; the tools add and
 * then find a memory for real when a model calls them; both work in-process and over HTTP.
 */
import { generateText, stepCountIs, streamText, wrapLanguageModel } from "ai";
import { convertArrayToReadableStream, MockLanguageModelV3 } from "ai/test";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { memoryMiddleware, memoryTools } from "../src/ai/index.js";
import { OmnimemClient } from "../src/client/index.js";
import { Memory } from "../src/index.js";
import { startServer, type RunningServer } from "../src/server/start.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};
const warnings: never[] = [];

function answer(text: string) {
  return { content: [{ type: "text" as const, text }], finishReason: { unified: "stop" as const, raw: "stop" }, usage, warnings };
}

function toolCall(toolName: string, input: unknown, id: string) {
  return {
    content: [{ type: "tool-call" as const, toolCallId: id, toolName, input: JSON.stringify(input) }],
    finishReason: { unified: "tool-calls" as const, raw: "tool_calls" },
    usage,
    warnings,
  };
}

/** The system messages of a model call's prompt, as text. */
function systemTexts(prompt: { role: string; content: unknown }[]): string[] {
  return prompt.filter((message) => message.role === "system").map((message) => String(message.content));
}

let root: string;
let memory: Memory;

beforeEach(async () => {
  root = await makeTempRoot();
  memory = await Memory.open({ root, logLevel: "silent" });
});
afterEach(async () => {
  await memory.close();
  await removeTempRoot(root);
});

describe("memoryMiddleware", () => {
  it("puts the owner's memories about the latest user message in front of the model, and no one else's", async () => {
    await memory.add("My daughter Mira is allergic to peanuts", { userId: "alice", infer: false });
    await memory.add("I am training for the Berlin marathon in September", { userId: "alice", infer: false });
    await memory.add("My son is allergic to peanuts too, says Bob", { userId: "bob", infer: false });
    const mock = new MockLanguageModelV3({ doGenerate: answer("Skip the satay sauce.") });
    const model = wrapLanguageModel({ model: mock, middleware: memoryMiddleware(memory, { userId: "alice", limit: 1 }) });

    const result = await generateText({
      model,
      system: "You are a cooking assistant.",
      messages: [
        { role: "user", content: "Hi!" },
        { role: "assistant", content: "Hello, what are we cooking?" },
        { role: "user", content: "Which sauce should I avoid for Mira? She has an allergy." },
      ],
    });

    expect(result.text).toBe("Skip the satay sauce.");
    const prompt = mock.doGenerateCalls[0]!.prompt;
    expect(prompt.map((message) => message.role)).toEqual(["system", "system", "user", "assistant", "user"]);
    const [appSystem, remembered] = systemTexts(prompt);
    expect(appSystem).toBe("You are a cooking assistant.");
    expect(remembered).toContain("Mira is allergic to peanuts");
    // limit 1: the marathon is not the best match; Bob's memory is not alice's.
    expect(remembered).not.toContain("marathon");
    expect(remembered).not.toContain("Bob");
    // Nothing was stored: addExchange is off by default.
    expect((await memory.getAll({ userId: "alice" })).results).toHaveLength(2);
  });

  it("searches afresh for each new user message, also when it repeats an earlier one", async () => {
    const middleware = memoryMiddleware(memory, { userId: "alice" });
    const mock = new MockLanguageModelV3({ doGenerate: answer("ok") });
    const model = wrapLanguageModel({ model: mock, middleware });
    await generateText({ model, prompt: "Where do I park my bike?" });
    expect(systemTexts(mock.doGenerateCalls[0]!.prompt)).toEqual([]);
    await memory.add("I park my bike in the courtyard behind the bakery", { userId: "alice", infer: false });
    await generateText({ model, prompt: "Where do I park my bike?" });
    expect(systemTexts(mock.doGenerateCalls[1]!.prompt)[0]).toContain("courtyard behind the bakery");
  });

  it("leaves the prompt alone when nothing matches", async () => {
    const mock = new MockLanguageModelV3({ doGenerate: answer("Hello.") });
    await generateText({ model: wrapLanguageModel({ model: mock, middleware: memoryMiddleware(memory, { userId: "alice" }) }), prompt: "Good morning" });
    expect(systemTexts(mock.doGenerateCalls[0]!.prompt)).toEqual([]);
  });

  it("does not show the model its own conversation again: an exchange stored with addExchange is left out while its message is in the prompt", async () => {
    await memory.add("alice keeps her bike in the shed", { userId: "alice", infer: false });
    const middleware = memoryMiddleware(memory, { userId: "alice", addExchange: true, sessionId: "chat-9" });
    const first = new MockLanguageModelV3({ doGenerate: answer("Noted: you live in Lisbon, and your bike stays in the shed.") });
    await generateText({ model: wrapLanguageModel({ model: first, middleware }), prompt: "I live in Lisbon; where is my bike?" });
    const second = new MockLanguageModelV3({ doGenerate: answer("Lisbon, and the bike is in the shed.") });
    await generateText({
      model: wrapLanguageModel({ model: second, middleware }),
      messages: [
        { role: "user", content: "I live in Lisbon; where is my bike?" },
        { role: "assistant", content: "Noted: you live in Lisbon, and your bike stays in the shed." },
        { role: "user", content: "Remind me: where do I live, and my bike?" },
      ],
    });
    const shown = systemTexts(second.doGenerateCalls[0]!.prompt).join("\n");
    expect(shown).toContain("bike in the shed");
    expect(shown).not.toContain("Noted: you live in Lisbon");
  });

  it("shows an episode and not also the facts extracted from it", async () => {
    const at = "2026-05-01T10:00:00.000Z";
    const base = { createdAt: at, updatedAt: at, timestamp: at, metadata: {}, userId: "alice" };
    const port = {
      search: async () => ({
        results: [
          { ...base, id: "e1", kind: "episode" as const, memory: "Alice works at Siemens in Berlin, she said." },
          { ...base, id: "f1", kind: "fact" as const, memory: "Alice works at Siemens in Berlin", sources: ["e1"] },
          { ...base, id: "f2", kind: "fact" as const, memory: "Alice likes sailing", sources: ["e7"] },
        ],
      }),
    } as unknown as Parameters<typeof memoryMiddleware>[0];
    const mock = new MockLanguageModelV3({ doGenerate: answer("ok") });
    await generateText({ model: wrapLanguageModel({ model: mock, middleware: memoryMiddleware(port, { userId: "alice" }) }), prompt: "Where does Alice work?" });
    const shown = systemTexts(mock.doGenerateCalls[0]!.prompt)[0]!;
    expect(shown.split("\n").filter((line) => line.startsWith("- "))).toEqual(["- [2026-05-01] Alice works at Siemens in Berlin, she said.", "- [2026-05-01] Alice likes sailing"]);
  });

  it("with addExchange, stores the user's message and the answer, for generateText and streamText", async () => {
    const middleware = memoryMiddleware(memory, { userId: "alice", addExchange: true, sessionId: "chat-1" });
    await generateText({
      model: wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: answer("Noted: teal is your favourite colour.") }), middleware }),
      prompt: "My favourite colour is teal",
    });
    const streamed = streamText({
      model: wrapLanguageModel({
        model: new MockLanguageModelV3({
          doStream: {
            stream: convertArrayToReadableStream([
              { type: "stream-start", warnings },
              { type: "text-start", id: "t" },
              { type: "text-delta", id: "t", delta: "Lisbon in May " },
              { type: "text-delta", id: "t", delta: "sounds lovely." },
              { type: "text-end", id: "t" },
              { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage },
            ]),
          },
        }),
        middleware,
      }),
      prompt: "We are flying to Lisbon in May",
    });
    expect(await streamed.text).toBe("Lisbon in May sounds lovely.");

    const colour = await memory.search("favourite colour", { userId: "alice" });
    expect(colour.results[0]?.memory).toMatch(/favourite colour is teal[\s\S]*Noted: teal/);
    expect(colour.results[0]?.sessionId).toBe("chat-1");
    const trip = await memory.search("Lisbon", { userId: "alice" });
    expect(trip.results[0]?.memory).toMatch(/flying to Lisbon in May[\s\S]*sounds lovely/);
  });

  it("calls onError and goes on without memories when the memory fails; without onError the call fails", async () => {
    await memory.close();
    const errors: unknown[] = [];
    const mock = new MockLanguageModelV3({ doGenerate: answer("Fine.") });
    const tolerant = wrapLanguageModel({ model: mock, middleware: memoryMiddleware(memory, { userId: "alice", onError: (error) => errors.push(error) }) });
    expect((await generateText({ model: tolerant, prompt: "anything at all" })).text).toBe("Fine.");
    expect(errors).toHaveLength(1);
    const strict = wrapLanguageModel({ model: mock, middleware: memoryMiddleware(memory, { userId: "alice" }) });
    await expect(generateText({ model: strict, prompt: "anything at all" })).rejects.toThrow(/not open/);
    memory = await Memory.open({ root, logLevel: "silent" });
  });
});

describe("memoryTools", () => {
  it("a model that calls add_memory and then search_memory stores and finds the memory", async () => {
    const mock = new MockLanguageModelV3({
      doGenerate: [
        toolCall("add_memory", { text: "Alice's passport number ends in 4471", metadata: { topic: "travel" } }, "call-1"),
        toolCall("search_memory", { query: "passport number" }, "call-2"),
        answer("Your passport number ends in 4471."),
      ],
    });
    const result = await generateText({ model: mock, tools: memoryTools(memory, { userId: "alice" }), stopWhen: stepCountIs(5), prompt: "Remember my passport, then check" });

    expect(result.text).toBe("Your passport number ends in 4471.");
    const [added] = result.steps[0]!.toolResults;
    const [found] = result.steps[1]!.toolResults;
    const addedId = (added!.output as { memories: { id: string }[] }).memories[0]!.id;
    expect((found!.output as { results: { id: string; memory: string }[] }).results[0]).toMatchObject({ id: addedId, metadata: { topic: "travel" } });
    // Really stored, for alice only.
    expect((await memory.get(addedId, { userId: "alice" }))?.memory).toContain("passport number ends in 4471");
    expect(await memory.get(addedId, { userId: "bob" })).toBeNull();
    // The model saw the search result in its last call.
    expect(JSON.stringify(mock.doGenerateCalls[2]!.prompt)).toContain("4471");
  });

  it("a tool call with bad input reaches the model as INVALID_INPUT naming the field, not the SDK's schema dump", async () => {
    const mock = new MockLanguageModelV3({
      doGenerate: [toolCall("search_memory", { query: 42, colour: "red" }, "call-1"), answer("Let me fix that.")],
    });
    const result = await generateText({ model: mock, tools: memoryTools(memory, { userId: "alice", only: ["search_memory"] }), stopWhen: stepCountIs(3), prompt: "Find it" });
    const error = result.steps[0]!.content.find((part) => part.type === "tool-error");
    expect(error).toMatchObject({ toolName: "search_memory", error: expect.objectContaining({ code: "INVALID_INPUT" }) });
    const seen = JSON.stringify(mock.doGenerateCalls[1]!.prompt);
    expect(seen).toContain("INVALID_INPUT");
    expect(seen).not.toContain("Type validation failed");
  });

  it("a failing tool call reaches the model as a tool error with the code's message, and the run goes on", async () => {
    const mock = new MockLanguageModelV3({
      doGenerate: [toolCall("get_memory", { id: "8c6f1f59-7c3e-4c1e-9d7e-4b8e6e1c2a10" }, "call-1"), answer("I could not find it.")],
    });
    const result = await generateText({ model: mock, tools: memoryTools(memory, { userId: "alice", only: ["get_memory"] }), stopWhen: stepCountIs(3), prompt: "Read it" });
    const error = result.steps[0]!.content.find((part) => part.type === "tool-error");
    expect(error).toMatchObject({ toolName: "get_memory", error: expect.objectContaining({ code: "NOT_FOUND" }) });
    expect(result.text).toBe("I could not find it.");
    // The model reads the code too, as over MCP.
    expect(JSON.stringify(mock.doGenerateCalls[1]!.prompt)).toContain("NOT_FOUND");
  });
});

describe("over HTTP (OmnimemClient against a server)", () => {
  let server: RunningServer;
  let serverRoot: string;
  beforeAll(async () => {
    serverRoot = await makeTempRoot();
    server = await startServer({ root: serverRoot, logLevel: "silent", server: { port: 0 } });
  });
  afterAll(async () => {
    await server.close();
    await removeTempRoot(serverRoot);
  });

  it("a run narrows the tools over HTTP as in-process: stored with the run, found by it, out of another run's reach", async () => {
    const client = new OmnimemClient({ baseUrl: server.url });
    const inRun = memoryTools(client, { userId: "rhea", runId: "r1" });
    const added = (await inRun.add_memory!.execute!({ text: "The run-one deploy key is kept in vault B" }, { toolCallId: "a", messages: [] })) as { memories: { id: string }[] };
    const id = added.memories[0]!.id;
    const found = (await inRun.search_memory!.execute!({ query: "deploy key vault" }, { toolCallId: "b", messages: [] })) as { results: { id: string }[] };
    expect(found.results.map((hit) => hit.id)).toContain(id);
    expect((await client.get({ user_id: "rhea", memory_id: id })).episodes[0]!.run_id).toBe("r1");
    const otherRun = memoryTools(client, { userId: "rhea", runId: "r2" });
    await expect(otherRun.get_memory!.execute!({ id }, { toolCallId: "c", messages: [] })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(otherRun.update_memory!.execute!({ id, text: "changed by r2" }, { toolCallId: "d", messages: [] })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await client.get({ user_id: "rhea", memory_id: id })).episodes[0]!.episode).toContain("vault B");
  });

  it("the tools add and find a memory, and the middleware recalls it and stores the exchange", async () => {
    const client = new OmnimemClient({ baseUrl: server.url });
    const mock = new MockLanguageModelV3({
      doGenerate: [toolCall("add_memory", { text: "The office wifi password is hunter22" }, "c1"), toolCall("search_memory", { query: "wifi password" }, "c2"), answer("Done.")],
    });
    const run = await generateText({ model: mock, tools: memoryTools(client, { userId: "carol" }), stopWhen: stepCountIs(5), prompt: "Remember the wifi" });
    const addedId = (run.steps[0]!.toolResults[0]!.output as { memories: { id: string }[] }).memories[0]!.id;
    expect((run.steps[1]!.toolResults[0]!.output as { results: { id: string }[] }).results[0]?.id).toBe(addedId);

    const listed = await generateText({
      model: new MockLanguageModelV3({ doGenerate: [toolCall("get_memory", { id: addedId }, "c3"), answer("ok")] }),
      tools: memoryTools(client, { userId: "carol" }),
      stopWhen: stepCountIs(3),
      prompt: "read it",
    });
    expect((listed.steps[0]!.toolResults[0]!.output as { memory: { memory: string } }).memory.memory).toContain("hunter22");

    const chat = new MockLanguageModelV3({ doGenerate: answer("It is hunter22.") });
    await generateText({
      model: wrapLanguageModel({ model: chat, middleware: memoryMiddleware(client, { userId: "carol", addExchange: true }) }),
      prompt: "What is the wifi password again?",
    });
    expect(systemTexts(chat.doGenerateCalls[0]!.prompt)[0]).toContain("hunter22");
    const stored = await client.search({ user_id: "carol", query: "wifi password again" });
    expect(stored.episodes.map((episode) => episode.episode).join("\n")).toContain("It is hunter22.");
  });
});
