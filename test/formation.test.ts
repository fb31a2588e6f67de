import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Memory, type MemoryOptions } from "../src/index.js";
import { lastMessageText, schemaNameOf, startFakeOpenAI, type ChatRequestBody, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const DAY = Date.UTC(2026, 4, 4, 9, 0, 0);

function extraction(subject: string, facts: { text: string; time?: string | null }[], narrative = `${subject}: what happened.`) {
  return JSON.stringify({ subject, summary: `About ${subject}.`, narrative, facts: facts.map((f) => ({ time: null, ...f })) });
}

function reconciliation(operations: object[]) {
  return JSON.stringify({ operations });
}

const chatBodies = (server: FakeOpenAIServer) => server.chatRequests();
const systemOf = (body: ChatRequestBody) => lastMessageText(body, "system");
const userOf = (body: ChatRequestBody) => lastMessageText(body, "user");

describe("memory formation with an extraction LLM", () => {
  let server: FakeOpenAIServer;
  let root: string;
  let memory: Memory;

  const open = async (extra: Partial<MemoryOptions> = {}) =>
    Memory.open({
      root,
      logLevel: "silent",
      llm: { baseUrl: server.baseURL, model: "fake-extractor", apiKey: "sk-test", maxRetries: 2, retryBaseDelayMs: 5 },
      ...extra,
    });

  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => server.close());
  beforeEach(async () => {
    server.reset();
    root = await makeTempRoot();
    memory = await open();
  });
  afterEach(async () => {
    await memory.close();
    await removeTempRoot(root);
  });

  it("extracts an episode and atomic facts in one call, with the prompt and schema we expect", async () => {
    server.chat.enqueue(extraction("Moving to Berlin", [{ text: "Alice moved to Berlin in May 2026", time: "2026-05-01" }, { text: "Alice works at a bakery" }]));
    const result = await memory.add(
      [
        { role: "user", content: "I moved to Berlin last week!", timestamp: DAY },
        { role: "assistant", content: "Congratulations! How is it?", timestamp: DAY + 60_000 },
        { role: "user", content: "Great, I even found a job at a bakery.", timestamp: DAY + 120_000 },
      ],
      { userId: "alice", sessionId: "s1" },
    );
    expect(result.results.map((r) => [r.kind, r.event, r.memory])).toEqual([
      ["episode", "ADD", "Moving to Berlin: what happened."],
      ["fact", "ADD", "Alice moved to Berlin in May 2026"],
      ["fact", "ADD", "Alice works at a bakery"],
    ]);

    // One chat call: no reconciliation is needed when nothing similar exists yet.
    const [call] = chatBodies(server);
    expect(chatBodies(server)).toHaveLength(1);
    expect(call!.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "episode_extraction" } });
    const schema = call!.response_format?.json_schema?.schema as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(["facts", "narrative", "subject", "summary"]);
    expect(systemOf(call!)).toMatch(/absolute dates/);
    expect(systemOf(call!)).toMatch(/user alice/);
    expect(userOf(call!)).toContain(`[1] ${new Date(DAY).toISOString()} alice (user): I moved to Berlin last week!`);
    expect(userOf(call!)).toContain("[2]");

    const episode = await memory.get(result.episodes[0]!);
    expect(episode).toMatchObject({ kind: "episode", subject: "Moving to Berlin", summary: "About Moving to Berlin.", sessionId: "s1" });
    const fact = await memory.get(result.results[1]!.id);
    expect(fact).toMatchObject({ kind: "fact", sources: [result.episodes[0]], timestamp: "2026-05-01T00:00:00.000Z" });
    const found = await memory.search("moved to Berlin", { userId: "alice", filters: { kind: "fact" } });
    expect(found.results[0]?.memory).toBe("Alice moved to Berlin in May 2026");
  });

  it("passes customInstructions into the extraction prompt", async () => {
    await memory.close();
    memory = await open({ extraction: { customInstructions: "Only keep facts about food." } });
    server.chat.enqueue(extraction("Lunch", []));
    await memory.add("I had ramen", { userId: "alice" });
    expect(systemOf(chatBodies(server)[0]!)).toContain("Only keep facts about food.");
  });

  it("UPDATE: a contradiction leaves one current fact and the old value in history", async () => {
    server.chat.enqueue(extraction("Home", [{ text: "Alice lives in Paris" }]));
    const first = await memory.add("I live in Paris", { userId: "alice", sessionId: "a" });
    const parisId = first.results.find((r) => r.kind === "fact")!.id;

    server.chat.enqueue(extraction("Moving", [{ text: "Alice lives in Berlin" }]));
    server.chat.enqueue(reconciliation([{ event: "UPDATE", id: 0, fact: 0, text: "Alice lives in Berlin" }]));
    const second = await memory.add("I moved to Berlin", { userId: "alice", sessionId: "b" });
    expect(second.results.filter((r) => r.kind === "fact")).toEqual([
      { id: parisId, memory: "Alice lives in Berlin", event: "UPDATE", previousMemory: "Alice lives in Paris", kind: "fact" },
    ]);

    // The reconciliation call showed the existing fact as id 0 and the new fact as index 0.
    const reconcileCall = chatBodies(server)[2]!;
    expect(reconcileCall.response_format).toMatchObject({ json_schema: { name: "memory_reconciliation" } });
    expect(userOf(reconcileCall)).toContain("Existing memories:\n0: Alice lives in Paris");
    expect(userOf(reconcileCall)).toContain("New facts:\n0: Alice lives in Berlin");
    expect(userOf(reconcileCall)).not.toContain(parisId);

    const facts = await memory.getAll({ userId: "alice", filters: { kind: "fact" } });
    expect(facts.results.map((f) => f.memory)).toEqual(["Alice lives in Berlin"]);
    expect((await memory.history(parisId)).map((h) => [h.action, h.previous_value, h.new_value])).toEqual([
      ["ADD", null, "Alice lives in Paris"],
      ["UPDATE", "Alice lives in Paris", "Alice lives in Berlin"],
    ]);
  });

  it("DELETE and NONE, and ids the model invents are ignored", async () => {
    server.chat.enqueue(extraction("Pets", [{ text: "Alice has a cat named Tom" }, { text: "Alice is allergic to dogs" }]));
    const first = await memory.add("I have a cat, Tom, and I'm allergic to dogs", { userId: "alice" });
    const [tomId, allergyId] = first.results.filter((r) => r.kind === "fact").map((r) => r.id);

    server.chat.enqueue(extraction("Pets again", [{ text: "Alice's cat Tom died" }, { text: "Alice is allergic to dogs" }]));
    server.chat.enqueue(
      reconciliation([
        { event: "DELETE", id: 0, fact: 0, text: null },
        { event: "ADD", id: null, fact: 0, text: "Alice's cat Tom died in May 2026" },
        { event: "NONE", id: 1, fact: 1, text: null },
        { event: "UPDATE", id: 42, fact: 1, text: "invented id" },
      ]),
    );
    const second = await memory.add("Sadly Tom died. Still allergic to dogs.", { userId: "alice" });
    expect(second.results.filter((r) => r.kind === "fact").map((r) => [r.event, r.memory])).toEqual([
      ["DELETE", "Alice has a cat named Tom"],
      ["ADD", "Alice's cat Tom died in May 2026"],
    ]);
    expect(await memory.get(tomId!)).toBeNull();
    expect((await memory.history(tomId!)).map((h) => h.action)).toEqual(["ADD", "DELETE"]);
    expect((await memory.get(allergyId!))?.memory).toBe("Alice is allergic to dogs");
  });

  it("retries a 429 and a 500 from the extraction model", async () => {
    server.failNext("chat", { status: 429, retryAfterMs: 5 });
    server.failNext("chat", { status: 500 });
    server.chat.enqueue(extraction("Weekend", [{ text: "Alice went hiking" }]));
    const result = await memory.add("I went hiking", { userId: "alice" });
    expect(result.results.map((r) => r.kind)).toEqual(["episode", "fact"]);
    expect(server.requestsTo("/chat/completions")).toHaveLength(3);
  });

  it("repairs near-JSON and ignores a reasoning model's <think> text", async () => {
    server.chat.enqueue(
      `<think>The user talks about tea. {"subject": "wrong"} I should answer with JSON.</think>\n` +
        `Here you go: {"subject": "Tea", "summary": "About tea.", "narrative": "Alice drinks green tea.", "facts": [{"text": "Alice drinks green tea", "time": null},],}`,
    );
    const result = await memory.add("I drink green tea", { userId: "alice" });
    expect(result.results.map((r) => r.memory)).toEqual(["Alice drinks green tea.", "Alice drinks green tea"]);
    expect((await memory.get(result.episodes[0]!))?.subject).toBe("Tea");
  });

  it("reports unusable model output as PROVIDER_ERROR with nothing written, and keeps the turns buffered", async () => {
    server.chat.enqueue("I cannot help with that.", '{"subject": 42}');
    await expect(memory.add([{ role: "user", content: "I like jazz", timestamp: DAY }], { userId: "alice", sessionId: "jazz" })).rejects.toMatchObject({
      code: "PROVIDER_ERROR",
    });
    expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
    expect(await memory.backend.markdown!.logFiles()).toEqual([]);
    // The retry of the same turn is not buffered twice; a later flush extracts it once.
    server.chat.enqueue(extraction("Music", [{ text: "Alice likes jazz" }]));
    const retried = await memory.add([{ role: "user", content: "I like jazz", timestamp: DAY }], { userId: "alice", sessionId: "jazz" });
    expect(retried.results.map((r) => r.memory)).toEqual(["Music: what happened.", "Alice likes jazz"]);
    expect(userOf(chatBodies(server).at(-1)!).match(/I like jazz/g)).toHaveLength(1);
  });

  it("asks the LLM about boundaries only when the buffer is big enough, not once per add", async () => {
    server.chat.setDefault((body) =>
      schemaNameOf(body) === "episode_boundary"
        ? JSON.stringify({ boundary: false, firstMessageOfNewEpisode: null })
        : extraction("Chat", []),
    );
    for (let i = 0; i < 12; i++) {
      await memory.add([{ role: "user", content: `message ${i}`, timestamp: DAY + i * 60_000 }], { userId: "alice", sessionId: "long", flush: false });
    }
    const boundaryCalls = chatBodies(server).filter((b) => schemaNameOf(b) === "episode_boundary");
    // llmMinMessages 8, llmJudgeEvery 4: judged at 8 and 12 turns.
    expect(boundaryCalls).toHaveLength(2);
    expect(userOf(boundaryCalls[1]!)).toContain("[12]");
    expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
    const flushed = await memory.flush({ userId: "alice", sessionId: "long" });
    expect(flushed.episodes).toHaveLength(1);
  });

  it("cuts an episode where the LLM finds a topic shift, and at a new day without asking", async () => {
    server.chat.setDefault((body) => {
      if (schemaNameOf(body) === "episode_boundary") return JSON.stringify({ boundary: true, firstMessageOfNewEpisode: 6 });
      return extraction(userOf(body).includes("garden") ? "Garden" : "Taxes", []);
    });
    const turn = (i: number, text: string, at = DAY + i * 60_000) => ({ role: "user", content: text, timestamp: at });
    const turns = [0, 1, 2, 3, 4].map((i) => turn(i, `tax question ${i}`)).concat([5, 6, 7].map((i) => turn(i, `garden question ${i}`)));
    const first = await memory.add(turns, { userId: "alice", sessionId: "mixed", flush: false });
    expect(first.episodes).toHaveLength(1);
    expect((await memory.get(first.episodes[0]!))?.subject).toBe("Taxes");
    // The next day starts a new episode: the garden turns are finished by the rule alone.
    const calls = chatBodies(server).length;
    const next = await memory.add([turn(0, "tax follow-up", DAY + 86_400_000)], { userId: "alice", sessionId: "mixed", flush: false });
    expect(next.episodes).toHaveLength(1);
    expect((await memory.get(next.episodes[0]!))?.subject).toBe("Garden");
    expect(chatBodies(server).slice(calls).map(schemaNameOf)).toEqual([
      "episode_extraction",
    ]);
  });

  it("20 concurrent adds to one session leave every turn in exactly one episode", async () => {
    server.chat.setDefault((body) =>
      schemaNameOf(body) === "episode_boundary" ? JSON.stringify({ boundary: false, firstMessageOfNewEpisode: null }) : extraction("Chat", []),
    );
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        memory.add([{ role: "user", content: `turn-${i}`, timestamp: DAY + i * 1000 }], { userId: "alice", sessionId: "busy", flush: i % 5 === 4 }),
      ),
    );
    await memory.flush({ userId: "alice", sessionId: "busy" });
    const extractions = chatBodies(server).filter((b) => schemaNameOf(b) === "episode_extraction");
    const seen = extractions.flatMap((b) => userOf(b).match(/turn-\d+/g) ?? []);
    expect(seen.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `turn-${i}`).sort());
  });

  it("flushes an idle session in the background", async () => {
    await memory.close();
    memory = await open({ boundary: { idleFlushSeconds: 0.2 } });
    server.chat.enqueue(extraction("Idle", [{ text: "Alice plays chess" }]));
    await memory.add([{ role: "user", content: "I play chess" }], { userId: "alice", sessionId: "quiet", flush: false });
    expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
    await expect.poll(async () => (await memory.getAll({ userId: "alice" })).results.length, { timeout: 5000, interval: 50 }).toBe(2);
  });
});

describe("agentic search", () => {
  let server: FakeOpenAIServer;
  let root: string;
  let memory: Memory;

  beforeAll(async () => {
    server = await startFakeOpenAI();
    root = await makeTempRoot();
    memory = await Memory.open({ root, logLevel: "silent", llm: { baseUrl: server.baseURL, model: "fake-judge", retryBaseDelayMs: 5 } });
    await memory.add(["Alice's sister Carla lives in Lyon", "Alice flew to Lyon in March for a wedding", "Alice likes espresso"].map((content) => ({ role: "user", content })), {
      userId: "alice",
      infer: false,
    });
  });
  afterAll(async () => {
    await memory.close();
    await removeTempRoot(root);
    await server.close();
  });
  beforeEach(() => server.reset());

  it("stops after the judge says the hits are sufficient", async () => {
    server.chat.enqueue(JSON.stringify({ sufficient: true, queries: [] }));
    const { results } = await memory.search("espresso", { userId: "alice", method: "agentic" });
    expect(results[0]?.memory).toBe("Alice likes espresso");
    expect(chatBodies(server)).toHaveLength(1);
    expect(userOf(chatBodies(server)[0]!)).toContain("Query: espresso");
  });

  it("searches the judge's extra queries when the hits are insufficient, and fuses them in", async () => {
    server.chat.enqueue(JSON.stringify({ sufficient: false, queries: ["sister Carla", "wedding trip"] }), JSON.stringify({ sufficient: true, queries: [] }));
    const { results } = await memory.search("family", { userId: "alice", method: "agentic", limit: 3 });
    expect(results.map((r) => r.memory)).toEqual(expect.arrayContaining(["Alice's sister Carla lives in Lyon", "Alice flew to Lyon in March for a wedding"]));
    expect(chatBodies(server)).toHaveLength(2);
  });

  it("is hybrid without an LLM", async () => {
    const plainRoot = await makeTempRoot();
    const plain = await Memory.open({ root: plainRoot, logLevel: "silent" });
    await plain.add("Alice likes espresso", { userId: "alice", infer: false });
    expect((await plain.search("espresso", { userId: "alice", method: "agentic" })).results).toHaveLength(1);
    await plain.close();
    await removeTempRoot(plainRoot);
    expect(chatBodies(server)).toHaveLength(0);
  });
});

describe("local mode (no LLM)", () => {
  it("stores rule-cut episodes verbatim and makes no facts", async () => {
    const root = await makeTempRoot();
    const memory = await Memory.open({ root, logLevel: "silent" });
    expect(memory.mode).toBe("local");
    const result = await memory.add(
      [
        { role: "user", content: "Booked the dentist for Friday", timestamp: DAY },
        { role: "assistant", content: "Noted", timestamp: DAY + 1000 },
        { role: "user", content: "Next day: bought a bike", timestamp: DAY + 86_400_000 },
      ],
      { userId: "alice", sessionId: "s" },
    );
    expect(result.episodes).toHaveLength(2);
    expect(result.results.every((r) => r.kind === "episode")).toBe(true);
    expect((await memory.get(result.episodes[0]!))?.memory).toBe("alice (user): Booked the dentist for Friday\nassistant (assistant): Noted");
    await memory.close();
    await removeTempRoot(root);
  });
});
