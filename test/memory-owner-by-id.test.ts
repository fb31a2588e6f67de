/**
 * By-id calls (get, update, delete, history) act only on the owner's memories: another owner's
 * id (or one in another app/project) is NOT_FOUND exactly as an id that does not exist.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { NotFoundError } from "../src/spec/errors.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const UNKNOWN = "8c6f1f59-7c3e-4c1e-9d7e-4b8e6e1c2a10";

let root: string;
let memory: Memory;
let bobsId: string;

beforeEach(async () => {
  root = await makeTempRoot();
  memory = await Memory.open({ root, logLevel: "silent" });
  const added = await memory.add("Bob's locker code is 4711", { userId: "bob", agentId: "helper", runId: "r1", infer: false });
  bobsId = added.results[0]!.id;
});
afterEach(async () => {
  await memory.close();
  await removeTempRoot(root);
});

/** The error a by-id call raised, with its id replaced: another owner's id must look exactly like an unknown one. */
async function notFoundShape(call: Promise<unknown>, id: string): Promise<{ code: string; message: string; details: unknown }> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NotFoundError);
  const { code, message, details } = error as NotFoundError;
  return JSON.parse(JSON.stringify({ code, message, details }).replaceAll(id, "<id>")) as { code: string; message: string; details: unknown };
}

describe("by-id calls with an owner", () => {
  it("alice cannot read, change or delete bob's memory, and it stays as it was", async () => {
    const alice = { userId: "alice" };
    const before = await memory.get(bobsId);
    const historyBefore = await memory.history(bobsId);

    expect(await memory.get(bobsId, alice)).toBeNull();
    expect(await memory.history(bobsId, alice)).toEqual([]);
    const update = await notFoundShape(memory.update(bobsId, "hacked", alice), bobsId);
    const remove = await notFoundShape(memory.delete(bobsId, alice), bobsId);
    // The same as for an id that exists nowhere: nothing tells alice the memory exists.
    expect(update).toEqual(await notFoundShape(memory.update(UNKNOWN, "hacked", alice), UNKNOWN));
    expect(remove).toEqual(await notFoundShape(memory.delete(UNKNOWN, alice), UNKNOWN));

    expect(await memory.get(bobsId)).toEqual(before);
    expect(await memory.history(bobsId)).toEqual(historyBefore);
  });

  it("the owner reaches the memory, narrowed by agent and run when given", async () => {
    expect((await memory.get(bobsId, { userId: "bob" }))?.memory).toBe("Bob's locker code is 4711");
    expect((await memory.get(bobsId, { userId: "bob", agentId: "helper", runId: "r1" }))?.id).toBe(bobsId);
    expect(await memory.get(bobsId, { userId: "bob", agentId: "other" })).toBeNull();
    expect(await memory.get(bobsId, { userId: "bob", runId: "r2" })).toBeNull();
    // The agent it was made with does not own a user's memory.
    expect(await memory.get(bobsId, { agentId: "helper" })).toBeNull();

    await memory.update(bobsId, "Bob's locker code is 1234", { userId: "bob" });
    expect((await memory.history(bobsId, { userId: "bob" })).map((row) => row.action)).toEqual(["ADD", "UPDATE"]);
    await memory.delete(bobsId, { userId: "bob" });
    expect(await memory.get(bobsId)).toBeNull();
    // A deleted memory's history stays its owner's only.
    expect((await memory.history(bobsId, { userId: "bob" })).map((row) => row.action)).toEqual(["ADD", "UPDATE", "DELETE"]);
    expect(await memory.history(bobsId, { userId: "alice" })).toEqual([]);
  });

  it("without an owner, an id in another app or project is not found", async () => {
    const added = await memory.add("Team A meets on Mondays", { userId: "bob", appId: "team-a", projectId: "p1", infer: false });
    const teamId = added.results[0]!.id;
    expect(await memory.get(teamId)).toBeNull();
    expect(await memory.history(teamId)).toEqual([]);
    expect(await memory.get(teamId, { appId: "team-a" })).toBeNull();
    expect((await memory.get(teamId, { appId: "team-a", projectId: "p1" }))?.memory).toBe("Team A meets on Mondays");
    expect((await memory.get(teamId, { userId: "bob", appId: "team-a", projectId: "p1" }))?.id).toBe(teamId);
    await expect(memory.update(teamId, "changed")).rejects.toBeInstanceOf(NotFoundError);
    await expect(memory.delete(teamId, { userId: "bob" })).rejects.toBeInstanceOf(NotFoundError);
    expect((await memory.get(teamId, { appId: "team-a", projectId: "p1" }))?.memory).toBe("Team A meets on Mondays");
    expect((await memory.history(teamId, { appId: "team-a", projectId: "p1" })).map((row) => row.action)).toEqual(["ADD"]);
    // In the default app, without an owner, the library still reaches every owner's memory (Mem0's behaviour).
    expect((await memory.get(bobsId))?.id).toBe(bobsId);
  });
});
