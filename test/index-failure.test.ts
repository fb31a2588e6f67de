/**
 * A search-index write that fails after the markdown and SQLite commit (issue 12, defect 4).
 *
 * The rule: an add succeeds once it is durable (markdown + catalog + outbox). The index work it
 * still owes stays in the outbox and is retried in the background with backoff until the index
 * takes it; meanwhile search answers pending memories from the store, scored like the index
 * would. A repeated add with the same idempotency key (or the same turns) stores nothing twice.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Memory, type MemoryOptions } from "../src/index.js";
import type { IndexDocument } from "../src/spec/search-index.js";
import { LanceIndex } from "../src/store/embedded/lance-index.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

/** A real LanceDB index whose writes throw while `failing` says so (a full disk, a broken table). */
class FlakyIndex extends LanceIndex {
  /** Writes still to fail: a number counts down, "always" until changed. */
  failing: number | "always" = 0;
  failedWrites = 0;

  private maybeFail(): void {
    if (this.failing === "always" || this.failing > 0) {
      if (this.failing !== "always") this.failing--;
      this.failedWrites++;
      throw new Error("injected index write failure");
    }
  }

  override async insert(documents: readonly IndexDocument[]): Promise<void> {
    if (documents.length > 0) this.maybeFail();
    return super.insert(documents);
  }

  override async upsert(documents: readonly IndexDocument[]): Promise<void> {
    if (documents.length > 0) this.maybeFail();
    return super.upsert(documents);
  }
}

const methods = ["keyword", "vector", "hybrid"] as const;

describe("an index write that fails after the commit", () => {
  let root: string;
  let memory: Memory | undefined;
  let index: FlakyIndex;

  /** Opens with a fresh FlakyIndex whose first `failing` writes fail (the replay at open included). */
  const open = async (failing: FlakyIndex["failing"] = 0, extra: Partial<MemoryOptions> = {}) => {
    index = new FlakyIndex({ directory: join(root, ".index", "lance") });
    index.failing = failing;
    memory = await Memory.open({ root, logLevel: "silent", index, indexRetry: { minDelayMs: 5, maxDelayMs: 20 }, ...extra });
    return memory;
  };

  afterEach(async () => {
    await memory?.close();
    memory = undefined;
    await removeTempRoot(root);
  });

  const ids = async (m: Memory, query: string, method: (typeof methods)[number]) =>
    (await m.search(query, { userId: "alice", method })).results.map((hit) => hit.id);

  it("add succeeds once durable, search finds the pending memory, and the background retry indexes it once", async () => {
    root = await makeTempRoot();
    const m = await open();
    index.failing = "always";
    const added = await m.add("The spare key is taped under the third flowerpot", { userId: "alice", infer: false });
    expect(added.results.map((event) => event.event)).toEqual(["ADD"]);
    const id = added.results[0]!.id;
    // The index is written behind the add (group commit): its first attempt fails in the background.
    await vi.waitFor(() => expect(index.failedWrites).toBeGreaterThan(0));
    expect(await m.get(id)).toMatchObject({ id, memory: "The spare key is taped under the third flowerpot" });
    expect((await m.backend.store.pendingIndexJobs(10)).map((job) => job.memoryId)).toEqual([id]);
    expect(await index.count()).toBe(0);

    // Not in the index yet, found all the same.
    for (const method of methods) expect(await ids(m, "where is the spare key", method), method).toEqual([id]);
    expect(await ids(m, "bicycle repair", "keyword")).toEqual([]);

    // The index recovers: the background retry lands the write without any new call.
    index.failing = 0;
    await m.idle();
    expect(await m.backend.store.pendingIndexJobs(10)).toEqual([]);
    expect(await index.count()).toBe(1);
    for (const method of methods) expect(await ids(m, "where is the spare key", method), method).toEqual([id]);
    expect((await m.getAll({ userId: "alice" })).results).toHaveLength(1);
  });

  it("keeps retrying with backoff while the index keeps failing", async () => {
    root = await makeTempRoot();
    const m = await open();
    index.failing = 4;
    const added = await m.add("Dentist appointment moved to Thursday", { userId: "alice", infer: false });
    await m.idle();
    // The add's own write and three background attempts failed; the fifth write went through.
    expect(index.failing).toBe(0);
    expect(index.failedWrites).toBe(4);
    expect(await m.backend.store.pendingIndexJobs(10)).toEqual([]);
    expect(await index.count()).toBe(1);
    expect(await ids(m, "dentist", "keyword")).toEqual([added.results[0]!.id]);
  });

  it("a retried add with the same idempotency key stores it once", async () => {
    root = await makeTempRoot();
    const m = await open();
    index.failing = "always";
    const options = { userId: "alice", infer: false, idempotencyKey: "notes.jsonl#L7" };
    const first = await m.add("My passport expires in March 2027", options);
    const again = await m.add("My passport expires in March 2027", options);
    expect(first.results.map((event) => event.event)).toEqual(["ADD"]);
    expect(again.results.map((event) => [event.event, event.id])).toEqual([["NONE", first.results[0]!.id]]);
    expect(await ids(m, "passport", "hybrid")).toEqual([first.results[0]!.id]);
    index.failing = 0;
    await m.idle();
    expect(await index.count()).toBe(1);
    expect(await ids(m, "passport", "hybrid")).toEqual([first.results[0]!.id]);
  });

  it("a flushed episode is stored once and its turns leave the buffer, though its index write failed", async () => {
    root = await makeTempRoot();
    const m = await open();
    index.failing = "always";
    const turns = [
      { role: "user" as const, content: "We adopted a grey cat called Miso", timestamp: Date.UTC(2026, 4, 4, 9) },
      { role: "assistant" as const, content: "Congratulations on Miso!", timestamp: Date.UTC(2026, 4, 4, 9, 1) },
    ];
    const first = await m.add(turns, { userId: "alice", sessionId: "pets" });
    expect(first.episodes).toHaveLength(1);
    expect(await m.pendingTurns({ userId: "alice", sessionId: "pets" })).toEqual([]);
    // The client saw an error before and sends the same turns again: nothing new is stored.
    const again = await m.add(turns, { userId: "alice", sessionId: "pets" });
    expect(again.episodes).toEqual([]);
    expect(await ids(m, "grey cat Miso", "hybrid")).toEqual(first.episodes);
    index.failing = 0;
    await m.idle();
    expect(await index.count()).toBe(1);
    expect((await m.getAll({ userId: "alice" })).results).toHaveLength(1);
  });

  it("search shows an update whose index write failed, not the text the index still holds", async () => {
    root = await makeTempRoot();
    const m = await open();
    const added = await m.add("Bob's favourite colour is green", { userId: "alice", infer: false });
    const id = added.results[0]!.id;
    index.failing = "always";
    await m.update(id, "Bob's favourite colour is purple");
    expect(await ids(m, "purple", "keyword")).toEqual([id]);
    expect(await ids(m, "green", "keyword")).toEqual([]);
    const [hit] = (await m.search("favourite colour", { userId: "alice", method: "hybrid" })).results;
    expect(hit).toMatchObject({ id, memory: "Bob's favourite colour is purple" });
    index.failing = 0;
    await m.idle();
    expect(await ids(m, "green", "keyword")).toEqual([]);
    expect(await ids(m, "purple", "keyword")).toEqual([id]);
  });

  it("opens although the replay of a crash's outbox fails, and retries it in the background", async () => {
    root = await makeTempRoot();
    let m = await open();
    index.failing = "always";
    const added = await m.add("The router password is on the fridge", { userId: "alice", infer: false });
    await m.close();
    // Reopened with an index that fails again at first: the open replay fails, the open does not.
    m = await open(2);
    expect(await ids(m, "router password", "keyword")).toEqual([added.results[0]!.id]);
    await m.idle();
    expect(await m.backend.store.pendingIndexJobs(10)).toEqual([]);
    expect(await index.count()).toBe(1);
  });
});
