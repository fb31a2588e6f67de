/** Per-call appId/projectId (one Memory serves many apps from one root) and the session-buffer reads the server uses. */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

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

describe("appId and projectId per call", () => {
  it("confine writes, searches, lists and deletes to that app and project", async () => {
    await memory.add("The blue whiteboard is in room 4", { userId: "alice", appId: "team-a", projectId: "p1", infer: false });
    await memory.add("The green whiteboard is in room 9", { userId: "alice", infer: false });
    expect(await readdir(join(root, "team-a", "p1", "users", "alice"))).toContain("episodes");

    const inTeam = await memory.search("whiteboard room", { userId: "alice", appId: "team-a", projectId: "p1" });
    expect(inTeam.results.map((hit) => [hit.memory, hit.appId, hit.projectId])).toEqual([["The blue whiteboard is in room 4", "team-a", "p1"]]);
    const inDefault = await memory.search("whiteboard room", { userId: "alice" });
    expect(inDefault.results.map((hit) => hit.memory)).toEqual(["The green whiteboard is in room 9"]);
    expect((await memory.getAll({ userId: "alice", appId: "team-a" })).results).toEqual([]);

    expect((await memory.deleteAll({ userId: "alice", appId: "team-a", projectId: "p1" })).deleted).toBe(1);
    expect((await memory.getAll({ userId: "alice" })).results).toHaveLength(1);
  });

  it("refuses ids that are not path segments", async () => {
    await expect(memory.add("x", { userId: "alice", appId: "../etc", infer: false })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "appId" } });
    await expect(memory.search("x", { userId: "alice", projectId: "a/b" })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "projectId" } });
  });
});

describe("pending turns of a session", () => {
  it("lists them per owner and scope, names the owners of a session, and empties on flush", async () => {
    const t = Date.UTC(2026, 0, 5, 10);
    await memory.add([{ role: "user", content: "first", timestamp: t }, { role: "assistant", content: "second", timestamp: t + 1 }], {
      userId: "alice",
      appId: "team-a",
      sessionId: "s1",
      flush: false,
    });
    await memory.add("bob's turn", { userId: "bob", appId: "team-a", sessionId: "s1", flush: false });
    await memory.add("other app", { userId: "carol", sessionId: "s1", flush: false });

    const pending = await memory.pendingTurns({ userId: "alice", appId: "team-a", sessionId: "s1" });
    expect(pending.map((turn) => [turn.role, turn.text, turn.senderId])).toEqual([
      ["user", "first", "alice"],
      ["assistant", "second", undefined],
    ]);
    expect(await memory.pendingTurns({ userId: "alice", sessionId: "s1" })).toEqual([]);
    const owners = await memory.sessionOwners({ appId: "team-a", sessionId: "s1" });
    expect(owners).toHaveLength(2);
    expect(owners).toEqual(expect.arrayContaining([{ userId: "alice" }, { userId: "bob" }]));

    const flushed = await memory.flush({ userId: "alice", appId: "team-a", sessionId: "s1" });
    expect(flushed.episodes).toHaveLength(1);
    expect(await memory.pendingTurns({ userId: "alice", appId: "team-a", sessionId: "s1" })).toEqual([]);
    expect(await memory.sessionOwners({ appId: "team-a", sessionId: "s1" })).toEqual([{ userId: "bob" }]);
  });
});

describe("turn ids", () => {
  it("keep two different turns that share a session, a millisecond and a position; a resent turn is kept once", async () => {
    const t = Date.UTC(2026, 0, 5, 10);
    const add = (content: string) => memory.add([{ role: "user", content, timestamp: t }], { userId: "alice", sessionId: "quick", flush: false });
    await add("first distinct turn");
    await add("second distinct turn");
    await add("first distinct turn");
    expect((await memory.pendingTurns({ userId: "alice", sessionId: "quick" })).map((turn) => turn.text)).toEqual([
      "first distinct turn",
      "second distinct turn",
    ]);
  });
});
