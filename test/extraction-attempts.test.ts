/**
 * A model whose extraction output stays unusable must not block a session forever (issue 12,
 * defect 10). Each failed extraction of a session's pending turns is counted in the session
 * buffer's SQLite state; flushes 1..N-1 answer the provider error as before, and at attempt N
 * (`llm.max_extraction_attempts`, default 3) the turns become a verbatim episode, as local mode
 * stores them, marked `extraction: "pending"` in its metadata. Nothing is lost, search finds
 * it, and the session's later turns are buffered and extracted normally.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Memory, ProviderError, type MemoryOptions } from "../src/index.js";
import { createApp } from "../src/server/app.js";
import { schemaNameOf, startFakeOpenAI, type ChatRequestBody, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const DAY = Date.UTC(2026, 4, 4, 9, 0, 0);
const GARBAGE = "Sure! Here is what I remember: the user talked about a trip, I think.";

const turns = [
  { role: "user" as const, content: "We are driving to the Dolomites in August", timestamp: DAY },
  { role: "assistant" as const, content: "Lovely! Which pass first?", timestamp: DAY + 60_000 },
  { role: "user" as const, content: "Passo Giau, then a hut near Cortina", timestamp: DAY + 120_000 },
];

function validExtraction(body: ChatRequestBody): string {
  if (schemaNameOf(body) !== "episode_extraction") return JSON.stringify({ operations: [] });
  return JSON.stringify({ subject: "Piano lessons", summary: "Alice takes piano lessons.", narrative: "Alice started piano lessons on Mondays.", facts: [] });
}

describe("an extraction model whose output stays unusable", () => {
  let server: FakeOpenAIServer;
  let root: string;
  let memory: Memory;
  const session = { userId: "alice", sessionId: "trip" };

  const open = (extra: Partial<MemoryOptions> = {}) =>
    Memory.open({
      root,
      logLevel: "silent",
      llm: { baseUrl: server.baseURL, model: "fake-extractor", apiKey: "sk-test", maxRetries: 0, retryBaseDelayMs: 1, ...extra.llm },
      ...extra,
    } as MemoryOptions);

  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => server.close());
  beforeEach(async () => {
    server.reset();
    server.chat.setDefault(GARBAGE);
    root = await makeTempRoot();
    memory = await open();
  });
  afterEach(async () => {
    await memory.close();
    await removeTempRoot(root);
  });

  const flushError = async () => {
    const error = await memory.flush(session).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  };

  it("answers the provider error twice, then stores the turns verbatim, marked for re-extraction, and search finds them", async () => {
    await memory.add(turns, { ...session, flush: false });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const error = await flushError();
      expect(error.code).toBe("PROVIDER_ERROR");
      expect(error.message).toMatch(/did not match the schema "episode_extraction" after a correction round/);
      expect(await memory.pendingTurns(session)).toHaveLength(3);
    }
    // Each attempt was the answer and its correction round.
    expect(server.chatRequests()).toHaveLength(4);

    const third = await memory.flush(session);
    expect(server.chatRequests()).toHaveLength(6);
    expect(third.episodes).toHaveLength(1);
    expect(third.results.map((event) => [event.kind, event.event])).toEqual([["episode", "ADD"]]);
    expect(await memory.pendingTurns(session)).toEqual([]);

    const episode = await memory.get(third.episodes[0]!);
    expect(episode).toMatchObject({ kind: "episode", sessionId: "trip", metadata: { extraction: "pending" } });
    expect(episode!.memory).toBe(
      [
        "alice (user): We are driving to the Dolomites in August",
        "assistant (assistant): Lovely! Which pass first?",
        "alice (user): Passo Giau, then a hut near Cortina",
      ].join("\n"),
    );
    for (const method of ["keyword", "vector", "hybrid"] as const) {
      const { results } = await memory.search("driving to the Dolomites", { userId: "alice", method });
      expect(results.map((hit) => hit.id), method).toContain(episode!.id);
    }
    // The mark is a metadata filter like any other.
    const marked = await memory.getAll({ userId: "alice", filters: { extraction: "pending" } });
    expect(marked.results.map((item) => item.id)).toEqual([episode!.id]);

    // Later turns of the session are buffered and extracted as usual once the model answers well.
    await memory.add("I started piano lessons on Mondays", { ...session, flush: false });
    expect((await memory.pendingTurns(session)).map((turn) => turn.text)).toEqual(["I started piano lessons on Mondays"]);
    server.chat.setDefault(validExtraction);
    const later = await memory.flush(session);
    const laterEpisode = await memory.get(later.episodes[0]!);
    expect(laterEpisode).toMatchObject({ memory: "Alice started piano lessons on Mondays.", subject: "Piano lessons" });
    expect(laterEpisode!.metadata).not.toHaveProperty("extraction");
  });

  it("counts afresh for the next turns, and keeps the count across a restart", async () => {
    await memory.add(turns, { ...session, flush: false });
    await flushError();
    await flushError();
    expect((await memory.flush(session)).episodes).toHaveLength(1);

    // The next pending turns start at attempt 1 again: one failure is an error, not an episode.
    await memory.add("Also booked a hut for two nights", { ...session, flush: false });
    await flushError();
    await memory.close();
    memory = await open();
    await flushError();
    expect(await memory.pendingTurns(session)).toHaveLength(1);
    const stored = await memory.flush(session);
    expect((await memory.get(stored.episodes[0]!))?.metadata).toEqual({ extraction: "pending" });
  });

  it("follows llm.max_extraction_attempts", async () => {
    await memory.close();
    memory = await open({ llm: { baseUrl: server.baseURL, model: "fake-extractor", maxExtractionAttempts: 1 } } as Partial<MemoryOptions>);
    await memory.add(turns, { ...session, flush: false });
    const first = await memory.flush(session);
    expect((await memory.get(first.episodes[0]!))?.metadata).toEqual({ extraction: "pending" });
  });

  it("does not count an endpoint that is down: the turns wait for it, however many flushes fail", async () => {
    await memory.add(turns, { ...session, flush: false });
    server.failNext("chat", { status: 503, message: "overloaded" }, 4);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const error = await flushError();
      expect(error.isRetryable).toBe(true);
    }
    expect(await memory.pendingTurns(session)).toHaveLength(3);
    // The endpoint is back but its output is unusable: these are attempts 1 and 2, not 5 and 6.
    await flushError();
    await flushError();
    expect(await memory.pendingTurns(session)).toHaveLength(3);
    expect((await memory.flush(session)).episodes).toHaveLength(1);
  });

  it("keeps the add's metadata on the verbatim episode, beside the mark", async () => {
    await memory.add(turns, { ...session, flush: false, metadata: { source: "car-chat" } });
    await flushError();
    await flushError();
    const stored = await memory.flush(session);
    expect((await memory.get(stored.episodes[0]!))?.metadata).toEqual({ source: "car-chat", extraction: "pending" });
    const ids = (await memory.search("Dolomites", { userId: "alice", filters: { extraction: "pending" } })).results.map((hit) => hit.id);
    expect(ids).toEqual(stored.episodes);
  });

  it("over HTTP: /flush answers 503 twice, then 200 with the verbatim episode, which /search finds", async () => {
    const app = createApp(memory, { logger: undefined });
    const post = async (route: string, body: object) => {
      const response = await app.request(`/api/v1/memory/${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as { data?: any; error?: { code: string } } };
    };
    const messages = turns.map((turn) => ({ sender_id: turn.role === "user" ? "alice" : "bot", role: turn.role, timestamp: turn.timestamp, content: turn.content }));
    expect((await post("add", { session_id: "trip", user_id: "alice", messages })).status).toBe(200);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const answer = await post("flush", { session_id: "trip", user_id: "alice" });
      expect([answer.status, answer.body.error?.code]).toEqual([503, "PROVIDER_ERROR"]);
    }
    const third = await post("flush", { session_id: "trip", user_id: "alice" });
    expect(third.status).toBe(200);
    expect(third.body.data.status).toBe("extracted");
    const found = await post("search", { user_id: "alice", query: "Passo Giau near Cortina", method: "keyword" });
    expect(found.status).toBe(200);
    const [episode] = found.body.data.episodes;
    expect(episode.metadata).toMatchObject({ extraction: "pending" });
    expect(found.body.data.unprocessed_messages ?? []).toEqual([]);
  });

  it("reextract() turns the marked episode into an extracted one with its facts, once the model answers well", async () => {
    await memory.add(turns, { ...session, flush: false, metadata: { source: "car-chat" } });
    await flushError();
    await flushError();
    const [id] = (await memory.flush(session)).episodes;

    // Still failing: the episode stays as it is, and is reported.
    const again = await memory.reextract({ userId: "alice" });
    expect(again.failed.map((failure) => failure.id)).toEqual([id]);
    expect((await memory.get(id!))?.metadata).toEqual({ source: "car-chat", extraction: "pending" });

    server.chat.setDefault((body: ChatRequestBody) =>
      schemaNameOf(body) === "episode_extraction"
        ? JSON.stringify({
            subject: "Dolomites road trip",
            summary: "Alice drives to the Dolomites in August.",
            narrative: "Alice is driving to the Dolomites in August: Passo Giau first, then a hut near Cortina.",
            facts: [{ text: "Alice drives to the Dolomites in August 2026", time: "2026-08-01" }],
          })
        : JSON.stringify({ operations: [] }),
    );
    const prompted = server.chatRequests().length;
    const done = await memory.reextract({ userId: "alice" });
    expect(done.failed).toEqual([]);
    expect(done.episodes).toEqual([id]);
    expect(done.results.map((event) => [event.kind, event.event])).toEqual([
      ["episode", "UPDATE"],
      ["fact", "ADD"],
    ]);
    // The model saw the turns as they were said.
    const userPrompt = JSON.stringify(server.chatRequests()[prompted]!.messages);
    expect(userPrompt).toContain("alice (user): We are driving to the Dolomites in August");
    expect(userPrompt).toContain("assistant (assistant): Lovely! Which pass first?");

    const episode = await memory.get(id!);
    expect(episode).toMatchObject({ memory: "Alice is driving to the Dolomites in August: Passo Giau first, then a hut near Cortina.", subject: "Dolomites road trip" });
    expect(episode!.metadata).toEqual({ source: "car-chat" });
    const facts = await memory.getAll({ userId: "alice", filters: { kind: "fact" } });
    expect(facts.results.map((fact) => [fact.memory, fact.sources])).toEqual([["Alice drives to the Dolomites in August 2026", [id]]]);
    expect((await memory.history(id!)).map((entry) => entry.action)).toEqual(["ADD", "UPDATE"]);
    // Nothing is marked any more: a second run does nothing.
    expect(await memory.reextract({ userId: "alice" })).toEqual({ results: [], episodes: [], failed: [] });
  });
});
