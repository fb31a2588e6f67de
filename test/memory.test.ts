import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IndexMismatchError, LocalEmbedder, Memory, ValidationError, type SearchFilter, type SearchMethod } from "../src/index.js";
import { parseLog } from "../src/store/embedded/markdown-log.js";
import { rebuildIndex } from "../src/ingest/reindex.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const METHODS: SearchMethod[] = ["keyword", "vector", "hybrid"];
const silent = { logLevel: "silent" as const };

describe("Memory", () => {
  let root: string;
  let memory: Memory;

  beforeEach(async () => {
    root = await makeTempRoot();
    memory = await Memory.open({ root, ...silent });
  });

  afterEach(async () => {
    await memory.close();
    await removeTempRoot(root);
  });

  const logOf = async (userId: string, date: string) =>
    parseLog(await readFile(join(root, "default/default/users", userId, "episodes", `${date}.md`), "utf8")).entries;

  it("finds a memory right after add, with every method", async () => {
    await memory.add("I adopted a corgi named Biscuit", { infer: false, userId: "alice" });
    const { results } = await memory.add([{ role: "user", content: "The whiteboard from the planning session listed three launch risks" }], {
      infer: false, userId: "alice",
      sessionId: "planning",
    });
    for (const method of METHODS) {
      const found = await memory.search("whiteboard from the planning session", { userId: "alice", method });
      expect(found.results[0]?.id, method).toBe(results[0]!.id);
      expect(found.results[0]).toMatchObject({ memory: results[0]!.memory, kind: "episode", userId: "alice", sessionId: "planning" });
    }
  });

  it("writes exactly the right markdown entries on add, update and delete", async () => {
    const day = Date.UTC(2026, 4, 3, 10, 0, 0);
    const added = await memory.add(
      [
        { role: "user", content: "I live in Paris", timestamp: day },
        { role: "assistant", content: "Noted: Paris", timestamp: day + 1000 },
        { role: "system", content: "system prompts are not memories", timestamp: day + 2000 },
      ],
      { infer: false, userId: "alice", sessionId: "s1", metadata: { source: "chat" } },
    );
    expect(added.results.map((r) => r.event)).toEqual(["ADD", "ADD"]);
    const [paris, noted] = added.results.map((r) => r.id);
    let entries = await logOf("alice", "2026-05-03");
    expect(entries.map((e) => [e.id, e.text, e.role, e.sessionId, e.metadata])).toEqual([
      [paris, "I live in Paris", "user", "s1", { source: "chat" }],
      [noted, "Noted: Paris", "assistant", "s1", { source: "chat" }],
    ]);

    await memory.update(paris!, "I live in Berlin");
    entries = await logOf("alice", "2026-05-03");
    expect(entries.map((e) => e.text)).toEqual(["I live in Berlin", "Noted: Paris"]);
    expect(entries[0]!.hash).not.toBe(entries[1]!.hash);

    await memory.delete(noted!);
    entries = await logOf("alice", "2026-05-03");
    expect(entries.map((e) => [e.id, e.text])).toEqual([[paris, "I live in Berlin"]]);

    expect((await memory.history(paris!)).map((h) => [h.action, h.previous_value, h.new_value])).toEqual([
      ["ADD", null, "I live in Paris"],
      ["UPDATE", "I live in Paris", "I live in Berlin"],
    ]);
    expect((await memory.history(noted!)).map((h) => h.action)).toEqual(["ADD", "DELETE"]);
    expect(await memory.get(noted!)).toBeNull();
    const searched = await memory.search("Paris", { userId: "alice", method: "keyword" });
    expect(searched.results.map((r) => r.id)).toEqual([]);
    const berlin = await memory.search("Berlin", { userId: "alice", method: "keyword" });
    expect(berlin.results.map((r) => r.memory)).toEqual(["I live in Berlin"]);
  });

  it("never returns bob's memories to alice, whatever the filters say", async () => {
    await memory.add("alice keeps her passport in the blue drawer", { infer: false, userId: "alice", metadata: { room: "study" } });
    await memory.add("bob keeps his passport in the safe", { infer: false, userId: "bob", metadata: { room: "study" } });
    await memory.add("the agent's own passport note", { infer: false, agentId: "bob" });
    const crafted = [
      undefined,
      { user_id: "bob" },
      { OR: [{ user_id: "bob" }, { user_id: "alice" }] },
      { OR: [{ room: "study" }, { owner_id: "bob" }] },
      { room: "study' OR owner_id = 'bob' OR 'a' = 'a" },
      { session_id: "x' OR '1'='1" },
      { metadata: { room: "study\\' OR 1=1 --" } },
      { agent_id: "bob" },
    ];
    for (const method of METHODS) {
      for (const filters of crafted) {
        const { results } = await memory.search("passport", { userId: "alice", method, filters, limit: 50 });
        for (const hit of results) expect(hit.userId, `${method} ${JSON.stringify(filters)}`).toBe("alice");
      }
    }
    const page = await memory.getAll({ userId: "alice", filters: { OR: [{ user_id: "bob" }, { room: "study" }] } });
    expect(page.results.map((r) => r.userId)).toEqual(["alice"]);
    // A filter key that is not a field or a safe metadata key is refused, not spliced into SQL.
    await expect(memory.search("passport", { userId: "alice", filters: { "x') OR (1=1": "y" } })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    // Without an owner nothing is searched at all.
    await expect(memory.search("passport", {})).rejects.toBeInstanceOf(ValidationError);
  });

  it("rejects ids that could escape the data root with INVALID_INPUT", async () => {
    for (const bad of ["../bob", "a/b", "..", "/etc", "a\\b", ""]) {
      await expect(memory.add("x", { infer: false, userId: bad }), bad).rejects.toMatchObject({ code: "INVALID_INPUT" });
      await expect(memory.add("x", { infer: false, agentId: bad }), bad).rejects.toMatchObject({ code: "INVALID_INPUT" });
      await expect(memory.add("x", { infer: false, userId: "alice", sessionId: bad || "/" }), bad).rejects.toMatchObject({ code: "INVALID_INPUT" });
      await expect(memory.search("x", { userId: bad }), bad).rejects.toMatchObject({ code: "INVALID_INPUT" });
      await expect(memory.get(bad), bad).rejects.toMatchObject({ code: "INVALID_INPUT" });
      await expect(memory.update(bad, "y"), bad).rejects.toMatchObject({ code: "INVALID_INPUT" });
      await expect(memory.delete(bad), bad).rejects.toMatchObject({ code: "INVALID_INPUT" });
    }
    await expect(Memory.open({ root, appId: "../other", ...silent })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
  });

  it("pages getAll newest first and deletes all of one owner", async () => {
    const texts = Array.from({ length: 12 }, (_, i) => `note number ${i}`);
    await memory.add(texts.map((content) => ({ role: "user", content })), { infer: false, userId: "alice" });
    await memory.add("bob's note", { infer: false, userId: "bob" });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await memory.getAll({ userId: "alice", limit: 5, cursor });
      seen.push(...page.results.map((r) => r.memory));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...texts].reverse());
    expect(await memory.deleteAll({ userId: "alice" })).toMatchObject({ deleted: 12 });
    expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
    expect((await memory.search("note", { userId: "alice" })).results).toEqual([]);
    expect((await memory.getAll({ userId: "bob" })).results).toHaveLength(1);
  });

  it("keeps both of two changes made to one memory at once (text and metadata)", async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => memory.add(`original ${i}`, { userId: "alice", infer: false }).then((r) => r.results[0]!.id)));
    await Promise.all(ids.flatMap((id, i) => [memory.update(id, `new text ${i}`), memory.update(id, { metadata: { v: i } })]));
    for (const [i, id] of ids.entries()) expect(await memory.get(id)).toMatchObject({ memory: `new text ${i}`, metadata: { v: i } });
  });

  it("deleteAll also drops the owner's buffered turns: a later flush makes no memory of them", async () => {
    await memory.add("my card number is 4111 1111 1111 1111", { userId: "alice", sessionId: "pay", flush: false });
    await memory.add("bob's buffered turn", { userId: "bob", sessionId: "pay", flush: false });
    await memory.deleteAll({ userId: "alice" });
    await memory.flush({ userId: "alice", sessionId: "pay" });
    expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
    await memory.flush({ userId: "bob", sessionId: "pay" });
    expect((await memory.getAll({ userId: "bob" })).results.map((item) => item.memory)).toEqual([expect.stringContaining("bob's buffered turn")]);
  });

  it("lists memories made in the same millisecond newest first in the order they were made", async () => {
    // Every add in the same millisecond, as a fast loop on a fast machine makes them.
    const clock = vi.spyOn(Date, "now").mockReturnValue(Date.now());
    try {
      for (let i = 0; i < 8; i++) await memory.add(`page item ${i}`, { userId: "lea", infer: false });
    } finally {
      clock.mockRestore();
    }
    const listed = (await memory.getAll({ userId: "lea" })).results.map((item) => item.memory);
    expect(listed).toEqual(Array.from({ length: 8 }, (_, i) => `page item ${7 - i}`));
  });

  it("loses nothing when many adds for one owner run at once", async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `concurrent note ${i} about subject${i}`);
    const day = Date.UTC(2026, 6, 1, 8);
    await Promise.all(texts.map((content, i) => memory.add([{ role: "user", content, timestamp: day + i }], { infer: false, userId: "alice" })));
    const entries = await logOf("alice", "2026-07-01");
    expect(entries.map((e) => e.text).sort()).toEqual([...texts].sort());
    expect((await memory.getAll({ userId: "alice" })).results).toHaveLength(20);
    for (const i of [0, 7, 19]) {
      const { results } = await memory.search(`subject${i}`, { userId: "alice", method: "keyword" });
      expect(results[0]?.memory).toBe(texts[i]);
    }
  });

  it("reset forgets every memory, its history and its markdown", async () => {
    const { results } = await memory.add("something to forget", { infer: false, userId: "alice" });
    await memory.add("bob's too", { infer: false, userId: "bob" });
    await memory.reset();
    expect(await memory.get(results[0]!.id)).toBeNull();
    expect(await memory.history(results[0]!.id)).toEqual([]);
    expect((await memory.search("forget", { userId: "alice" })).results).toEqual([]);
    expect(await memory.backend.markdown!.logFiles()).toEqual([]);
    await memory.add("a fresh start", { infer: false, userId: "alice" });
    expect((await memory.search("fresh start", { userId: "alice" })).results).toHaveLength(1);
  });

  it("applies threshold and limit", async () => {
    await memory.add(["alpha beta", "alpha gamma", "alpha delta", "unrelated words"].map((content) => ({ role: "user", content })), {
      infer: false, userId: "alice",
    });
    expect((await memory.search("alpha", { userId: "alice", limit: 2 })).results).toHaveLength(2);
    const all = await memory.search("alpha beta", { userId: "alice", method: "vector", limit: 10 });
    const cut = all.results[1]!.score;
    const thresholded = await memory.search("alpha beta", { userId: "alice", method: "vector", threshold: cut });
    expect(thresholded.results.every((r) => r.score >= cut)).toBe(true);
    expect(thresholded.results.length).toBeLessThan(all.results.length);
  });

  it("rebuilds the same search results after .index/ is deleted and reindexed", async () => {
    const topics = ["hiking in the alps", "sourdough baking", "tax return deadline", "the planning whiteboard", "a corgi named Biscuit"];
    for (const [i, topic] of topics.entries()) {
      await memory.add([{ role: "user", content: `Note ${i}: ${topic}` }, { role: "assistant", content: `Reply about ${topic}` }], {
        infer: false, userId: i % 2 ? "alice" : "bob",
        sessionId: `s${i}`,
      });
    }
    const queries = ["planning whiteboard", "corgi", "baking bread", "deadline"];
    const snapshot = async () => {
      const out: unknown[] = [];
      for (const userId of ["alice", "bob"]) {
        for (const method of METHODS) {
          for (const query of queries) {
            const { results } = await memory.search(query, { userId, method });
            // BM25 statistics depend on how LanceDB segmented its full-text index, so keyword and
            // hybrid compare by rank; vector scores are exact.
            out.push(results.map((r) => (method === "vector" ? [r.id, r.score.toFixed(5)] : r.id)));
          }
        }
      }
      return out;
    };
    // The index is written behind the adds: compare what the index holds once it has them all
    // (owed memories are scored from the store meanwhile, without the previous turn's context).
    await memory.idle();
    const before = await snapshot();
    await memory.close();
    await rm(join(root, ".index"), { recursive: true, force: true });
    memory = await Memory.open({ root, ...silent });
    expect((await memory.search("corgi", { userId: "alice" })).results).toEqual([]);
    const { records } = await memory.reindex();
    expect(records).toBe(10);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses an index built with another embedding dimension and names reindex, until reindexed", async () => {
    await memory.add("I collect vintage fountain pens", { infer: false, userId: "alice" });
    await memory.close();
    memory = await Memory.open({ root, embedder: new LocalEmbedder({ dimensions: 128 }), ...silent });
    const search = memory.search("fountain pens", { userId: "alice" });
    await expect(search).rejects.toBeInstanceOf(IndexMismatchError);
    await expect(memory.search("fountain pens", { userId: "alice" })).rejects.toThrow(/reindex/);
    await expect(memory.add("more", { infer: false, userId: "alice" })).rejects.toMatchObject({ code: "INDEX_MISMATCH" });
    await memory.reindex();
    expect((await memory.search("fountain pens", { userId: "alice" })).results[0]?.memory).toBe("I collect vintage fountain pens");
  });

  it("refuses an index a reindex left half-built (killed, failed) and names reindex, until reindexed", async () => {
    await memory.close();
    const embedder = new LocalEmbedder({ dimensions: 64 });
    const half = join(root, "half");
    memory = await Memory.open({ root: half, embedder, ...silent });
    await memory.add("I collect vintage fountain pens", { infer: false, userId: "alice" });
    // A rebuild that dies after the index was reset: its embedder fails, as a killed process stops.
    const dying = { model: embedder.model, dimensions: embedder.dimensions, ready: async () => {}, embed: async (): Promise<Float32Array[]> => { throw new Error("killed"); } };
    await expect(rebuildIndex(memory.backend, dying)).rejects.toThrow("killed");
    await memory.close();
    memory = await Memory.open({ root: half, embedder, ...silent });
    await expect(memory.search("fountain pens", { userId: "alice" })).rejects.toMatchObject({ code: "INDEX_MISMATCH", message: expect.stringMatching(/reindex not finished/) });
    await memory.reindex();
    expect((await memory.search("fountain pens", { userId: "alice" })).results[0]?.memory).toBe("I collect vintage fountain pens");
    await memory.close();
    memory = await Memory.open({ root: half, embedder, ...silent });
    expect((await memory.search("fountain pens", { userId: "alice" })).results).toHaveLength(1);
  });

  it("validates inputs with INVALID_INPUT", async () => {
    await expect(memory.add([], { infer: false, userId: "alice" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(memory.add([{ role: "wizard", content: "x" }], { infer: false, userId: "alice" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(memory.add("x", { infer: false, userId: "alice", metadata: { nested: { a: 1 } } as never })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(memory.add([{ role: "user", content: [{ type: "hologram", data: "x" }] }], { infer: false, userId: "alice" })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    await expect(memory.search("  ", { userId: "alice" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(memory.search("x", { userId: "alice", limit: 0 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(memory.search("x", { userId: "alice", method: "magic" as never })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "method" } });
    await expect(memory.deleteAll()).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(memory.add([{ role: "user", content: "far future", timestamp: 253_402_300_800_000 }], { infer: false, userId: "alice" })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    await expect(memory.add("x", { infer: false, userId: "alice", metadata: JSON.parse('{"__proto__": {"a": 1}}') })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    let nested: SearchFilter = { session_id: "s" };
    for (let i = 0; i < 5000; i++) nested = { AND: [nested] };
    for (const method of ["keyword", "vector", "hybrid"] as const) {
      await expect(memory.search("x", { userId: "alice", method, filters: nested })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    }
    await expect(memory.getAll({ userId: "alice", filters: nested })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(memory.update("8c6f1f59-7c3e-4c1e-9d7e-4b8e6e1c2a10", "x")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
  });

  it("stores text content arrays and keeps their order within one add", async () => {
    const { results } = await memory.add(
      [
        { role: "user", content: [{ type: "text", text: "first part" }, { type: "text", text: "second part" }] },
        { role: "assistant", content: "reply" },
      ],
      { infer: false, userId: "alice" },
    );
    expect(results.map((r) => r.memory)).toEqual(["first part\n\nsecond part", "reply"]);
    const all = await memory.getAll({ userId: "alice" });
    expect(all.results.map((r) => r.memory)).toEqual(["reply", "first part\n\nsecond part"]);
  });
});
