import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Memory, ValidationError } from "../src/index.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const conversation = [
  { role: "user", content: "My sister Ines moved to Porto last spring" },
  { role: "assistant", content: "Nice! Do you plan to visit her?" },
  { role: "user", content: "Yes, in October, for her birthday" },
];

describe("add with an idempotency key", () => {
  let root: string;
  let memory: Memory;

  beforeEach(async () => {
    root = await makeTempRoot();
    memory = await Memory.open({ root, logLevel: "error" });
  });

  afterEach(async () => {
    await memory.close();
    await removeTempRoot(root);
  });

  const texts = async (userId: string) => (await memory.getAll({ userId, limit: 1000 })).results.map((item) => item.memory).sort();

  it("infer: false stores each turn once and answers a repeat with NONE and the same ids", async () => {
    const options = { userId: "alice", sessionId: "chat-1", infer: false, idempotencyKey: "chats.jsonl#L1" };
    const first = await memory.add(conversation, options);
    expect(first.results.map((event) => event.event)).toEqual(["ADD", "ADD", "ADD"]);
    const again = await memory.add(conversation, options);
    expect(again.results.map((event) => event.event)).toEqual(["NONE", "NONE", "NONE"]);
    expect(again.results.map((event) => event.id)).toEqual(first.results.map((event) => event.id));
    expect(again.results.map((event) => event.memory)).toEqual(first.results.map((event) => event.memory));
    expect(again.episodes).toEqual([]);
    expect(await texts("alice")).toHaveLength(3);
  });

  it("a retry after the user deleted a memory does not bring it back (as infer: true does not)", async () => {
    const options = { userId: "alice", infer: false, idempotencyKey: "import#L7" };
    const first = await memory.add(conversation, options);
    await memory.delete(first.results[1]!.id);
    const retried = await memory.add(conversation, options);
    expect(retried.results.map((event) => event.event)).toEqual(["NONE", "NONE", "NONE"]);
    expect(await texts("alice")).toHaveLength(2);
    expect(await memory.get(first.results[1]!.id)).toBeNull();
  });

  it("stores a conversation that grew only for its new turns", async () => {
    const options = { userId: "alice", infer: false, idempotencyKey: "group@L5" };
    await memory.add(conversation.slice(0, 2), options);
    const grown = await memory.add(conversation, options);
    expect(grown.results.map((event) => event.event)).toEqual(["NONE", "NONE", "ADD"]);
    expect(await texts("alice")).toHaveLength(3);
  });

  it("keeps apart what different keys or owners name, even with the same text", async () => {
    await memory.add(conversation, { userId: "alice", infer: false, idempotencyKey: "a" });
    await memory.add(conversation, { userId: "alice", infer: false, idempotencyKey: "b" });
    await memory.add(conversation, { userId: "bob", infer: false, idempotencyKey: "a" });
    expect(await texts("alice")).toHaveLength(6);
    expect(await texts("bob")).toHaveLength(3);
  });

  it("local mode (infer) makes one episode however often the add is repeated", async () => {
    const options = { userId: "alice", sessionId: "chat-1", idempotencyKey: "chats.jsonl#L1" };
    const first = await memory.add(conversation, options);
    expect(first.results.map((event) => event.event)).toEqual(["ADD"]);
    const again = await memory.add(conversation, options);
    expect(again.results).toEqual([]);
    // Without a session the key names the conversation's session too.
    await memory.add(conversation, { userId: "bob", idempotencyKey: "no-session" });
    await memory.add(conversation, { userId: "bob", idempotencyKey: "no-session" });
    expect(await texts("alice")).toHaveLength(1);
    expect(await texts("bob")).toHaveLength(1);
  });

  it("stores once across a close and reopen (a crashed import run again)", async () => {
    await memory.add(conversation, { userId: "alice", infer: false, idempotencyKey: "verbatim" });
    // Buffered but not flushed: the state a kill between buffering and the episode leaves.
    await memory.add(conversation, { userId: "alice", sessionId: "s", idempotencyKey: "inferred", flush: false });
    await memory.close();
    memory = await Memory.open({ root, logLevel: "error" });
    const verbatim = await memory.add(conversation, { userId: "alice", infer: false, idempotencyKey: "verbatim" });
    expect(verbatim.results.map((event) => event.event)).toEqual(["NONE", "NONE", "NONE"]);
    await memory.add(conversation, { userId: "alice", sessionId: "s", idempotencyKey: "inferred" });
    await memory.add(conversation, { userId: "alice", sessionId: "s", idempotencyKey: "inferred" });
    const stored = await texts("alice");
    expect(stored).toHaveLength(4);
    expect(stored.filter((text) => text.includes("(user): My sister Ines"))).toHaveLength(1);
  });

  it("rejects an empty or overlong key", async () => {
    await expect(memory.add("hello", { userId: "alice", idempotencyKey: "" })).rejects.toBeInstanceOf(ValidationError);
    await expect(memory.add("hello", { userId: "alice", infer: false, idempotencyKey: "k".repeat(513) })).rejects.toBeInstanceOf(ValidationError);
    await expect(memory.add("hello", { userId: "alice", idempotencyKey: 42 as unknown as string })).rejects.toBeInstanceOf(ValidationError);
    expect(await texts("alice")).toEqual([]);
  });
});
