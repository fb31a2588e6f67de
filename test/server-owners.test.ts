/**
 * `omnimem serve` as a child process: by-id routes check the owner and the API key's scope
 * (another owner's memory is 404 exactly as an unknown id, and stays unchanged), unknown request
 * fields are refused by name, /get pages in the store, and a repeated sync add says it was one.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, OmnimemClient } from "../src/client/index.js";
import { postJson, startServe, type ServeProcess } from "./support/serve-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const FULL_KEY = "full-access-key-0123456789";
const TEAM_KEY = "team-a-only-key-0123456789";
const UNKNOWN = "8c6f1f59-7c3e-4c1e-9d7e-4b8e6e1c2a10";

let root: string;
let serve: ServeProcess;
let t0 = Date.UTC(2026, 4, 28, 11, 30);

const full = { authorization: `Bearer ${FULL_KEY}` };
const team = { authorization: `Bearer ${TEAM_KEY}` };
const post = (route: string, body: unknown, headers: Record<string, string> = full) => postJson(`${serve.url}/api/v1/memory/${route}`, body, headers);
const turn = (content: string, sender = "bob") => ({ sender_id: sender, role: "user", timestamp: (t0 += 1000), content });

/** A 404's error with the parts that differ per request (id, time, request id) taken out. */
function notFound(response: { status: number; body: any }, id: string): unknown {
  expect(response.status, JSON.stringify(response.body)).toBe(404);
  const { code, message, details, path } = response.body.error;
  return JSON.parse(JSON.stringify({ code, message, details, path }).replaceAll(id, "<id>"));
}

beforeAll(async () => {
  root = await makeTempRoot("omnimem-owners-");
  serve = await startServe(join(root, "data"), {
    OMNIMEM_SERVER__API_KEYS: JSON.stringify([{ key: FULL_KEY }, { key: TEAM_KEY, app_id: "team-a" }]),
  });
}, 60_000);

afterAll(async () => {
  const exit = await serve?.stop();
  await removeTempRoot(root);
  expect(exit?.code).toBe(0);
});

async function addBobsMemory(text: string): Promise<string> {
  const added = await post("add", { session_id: `s-${t0}`, user_id: "bob", messages: [turn(text)], sync: true });
  expect(added.status, JSON.stringify(added.body)).toBe(200);
  return added.body.data.memories[0].id as string;
}

describe("by-id routes check the owner", () => {
  it("alice cannot read, change or delete bob's memory by id: 404 as for an unknown id, and bob's memory and history stay", async () => {
    const id = await addBobsMemory("Bob's locker code is 4711");
    const historyBefore = (await post("history", { memory_id: id, user_id: "bob" })).body.data;
    expect(historyBefore.history.map((row: { action: string }) => row.action)).toEqual(["ADD"]);

    for (const [route, extra] of [
      ["get", {}],
      ["update", { text: "Alice was here" }],
      ["history", {}],
      ["delete", {}],
    ] as const) {
      const asAlice = await post(route, { memory_id: id, user_id: "alice", ...extra });
      const unknown = await post(route, { memory_id: UNKNOWN, user_id: "alice", ...extra });
      expect(notFound(asAlice, id), route).toEqual(notFound(unknown, UNKNOWN));
      expect(asAlice.body.error.code).toBe("NOT_FOUND");
    }
    // The client passes the owner through and raises NotFoundError.
    const client = new OmnimemClient({ baseUrl: serve.url, apiKey: FULL_KEY });
    await expect(client.update({ memory_id: id, user_id: "alice", text: "Alice was here" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.history({ memory_id: id, user_id: "alice" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.delete({ memory_id: id, user_id: "alice" })).rejects.toBeInstanceOf(NotFoundError);
    expect((await client.history({ memory_id: id, user_id: "bob" })).history).toHaveLength(1);
    expect((await client.owners()).owners).toContainEqual(expect.objectContaining({ user_id: "bob" }));
    // A server that cannot be reached is CAPABILITY_UNAVAILABLE, as an unreachable database is to the server, not INTERNAL.
    await expect(new OmnimemClient({ baseUrl: "http://127.0.0.1:1" }).health()).rejects.toMatchObject({ code: "CAPABILITY_UNAVAILABLE" });
    // An agent id is not bob either.
    expect((await post("update", { memory_id: id, agent_id: "bob", text: "x" })).status).toBe(404);

    const listed = await post("get", { user_id: "bob" });
    expect(listed.body.data.episodes.find((episode: { id: string }) => episode.id === id)?.episode).toContain("Bob's locker code is 4711");
    expect((await post("history", { memory_id: id, user_id: "bob" })).body.data).toEqual(historyBefore);

    // Bob himself reaches it, by owner-checked get, update, history and delete.
    const read = await post("get", { memory_id: id, user_id: "bob" });
    expect(read.body.data).toMatchObject({ total_count: 1, count: 1, facts: [], episodes: [{ id, user_id: "bob" }] });
    expect((await post("get", { memory_id: id, user_id: "bob", memory_type: "fact" })).status).toBe(404);
    expect((await post("get", { memory_id: id, page: 2 })).status).toBe(422);
    const updated = await post("update", { memory_id: id, user_id: "bob", text: "Bob's locker code is 1234" });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ id, episode: "Bob's locker code is 1234", user_id: "bob" });
    expect((await post("delete", { memory_id: id, user_id: "bob" })).body.data).toEqual({ deleted: 1 });
    const history = await post("history", { memory_id: id, user_id: "bob" });
    expect(history.body.data.history.map((row: { action: string }) => row.action)).toEqual(["ADD", "UPDATE", "DELETE"]);
    expect(notFound(await post("history", { memory_id: id, user_id: "alice" }), id)).toEqual(notFound(await post("history", { memory_id: UNKNOWN, user_id: "alice" }), UNKNOWN));
  });

  it("a key confined to one app gets 404, not 403, for a memory of another app, and reaches its own without naming the app", async () => {
    const outside = await addBobsMemory("Bob's default-app memory");
    for (const [route, extra] of [
      ["get", {}],
      ["update", { text: "changed by team a" }],
      ["history", {}],
      ["delete", {}],
    ] as const) {
      const response = await post(route, { memory_id: outside, ...extra }, team);
      expect(notFound(response, outside), route).toEqual(notFound(await post(route, { memory_id: UNKNOWN, ...extra }, team), UNKNOWN));
    }
    expect((await post("history", { memory_id: outside })).body.data.history).toHaveLength(1);

    const own = await post("add", { session_id: "team", user_id: "bob", messages: [turn("Team A's whiteboard is in room 4")], sync: true }, team);
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const ownId = own.body.data.memories[0].id as string;
    expect((await post("update", { memory_id: ownId, text: "Team A's whiteboard is in room 5" }, team)).body.data).toMatchObject({ app_id: "team-a" });
    expect((await post("get", { memory_id: ownId }, team)).body.data.episodes[0]).toMatchObject({ id: ownId, app_id: "team-a" });
    expect((await post("history", { memory_id: ownId, user_id: "bob" }, team)).body.data.history).toHaveLength(2);
    // The full key names the app; without it the default app is meant.
    expect((await post("history", { memory_id: ownId })).status).toBe(404);
    expect((await post("history", { memory_id: ownId, app_id: "team-a" })).status).toBe(200);
    // Naming another app with a confined key is refused for the app, whatever the id.
    expect((await post("history", { memory_id: outside, app_id: "default" }, team)).status).toBe(403);
  });
});

describe("unknown request fields", () => {
  it("answer 422 INVALID_INPUT naming the field, on every route and inside messages and content items, writing nothing", async () => {
    const id = await addBobsMemory("Bob likes tea");
    const cases: [string, Record<string, unknown>, string][] = [
      ["add", { session_id: "u", user_id: "bob", messages: [turn("x")], bogus_field: 1 }, "bogus_field"],
      ["add", { session_id: "u", user_id: "bob", messages: [{ ...turn("x"), mood: "happy" }] }, "messages.0.mood"],
      ["add", { session_id: "u", user_id: "bob", messages: [{ ...turn("x"), content: [{ type: "text", text: "x", colour: "red" }] }] }, "messages.0.content.0.colour"],
      ["flush", { session_id: "u", user_id: "bob", force: true }, "force"],
      ["search", { user_id: "bob", query: "tea", limit: 3 }, "limit"],
      ["get", { user_id: "bob", page_sise: 3 }, "page_sise"],
      ["update", { memory_id: id, text: "Bob likes coffee", user_id: "bob", bogus_field: 1 }, "bogus_field"],
      ["delete", { memory_id: id, bogus_field: 1 }, "bogus_field"],
      ["history", { memory_id: id, bogus_field: 1 }, "bogus_field"],
    ];
    for (const [route, body, path] of cases) {
      const response = await post(route, body);
      expect(response.status, `${route} ${path}`).toBe(422);
      expect(response.body.error.code).toBe("INVALID_INPUT");
      expect(response.body.error.details).toEqual({ path });
      expect(response.body.error.message).toContain(path.split(".").at(-1));
    }
    const listed = await post("get", { user_id: "bob" });
    expect(listed.body.data.episodes.find((episode: { id: string }) => episode.id === id)?.episode).toBe("bob (user): Bob likes tea");
    expect(listed.body.data.total_count).toBe((await post("get", { user_id: "bob", page_size: 100 })).body.data.episodes.length);
  });
});

describe("a sync add of turns already seen", () => {
  it("answers duplicate with the reason instead of accumulated, and stores nothing twice", async () => {
    const request = { session_id: "dup", user_id: "dana", messages: [turn("Dana moved to Lisbon", "dana")], sync: true };
    const first = await post("add", request);
    expect(first.body.data).toMatchObject({ status: "extracted", message_count: 1 });
    const again = await post("add", request);
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ status: "duplicate", message_count: 1, duplicate_count: 1 });
    expect(again.body.data.reason).toMatch(/already/);
    expect(again.body.data.memories).toBeUndefined();
    expect((await post("get", { user_id: "dana" })).body.data.total_count).toBe(1);

    // One new turn beside the seen one: extracted, and the seen one counted.
    const mixed = await post("add", { ...request, messages: [...request.messages, turn("Dana works at a bakery", "dana")] });
    expect(mixed.body.data).toMatchObject({ status: "extracted", duplicate_count: 1 });
    // Without sync, turns already seen are not "accumulated" either.
    const buffered = await post("add", { ...request, sync: false });
    expect(buffered.body.data).toMatchObject({ status: "duplicate", duplicate_count: 1 });
    // A sync add whose turns carry no text has nothing to extract, and says so.
    const empty = await post("add", { session_id: "dup", user_id: "dana", messages: [{ ...turn("   ", "dana") }], sync: true });
    expect(empty.body.data).toMatchObject({ status: "no_extraction", reason: expect.stringMatching(/text/) });
  });
});

describe("/health", () => {
  it("is open, but names the data folder and the tools' paths only to a caller with a valid key", async () => {
    const anonymous = await (await fetch(`${serve.url}/health`)).text();
    const wrongKey = await (await fetch(`${serve.url}/health`, { headers: { authorization: "Bearer not-a-key-0123456789" } })).text();
    const keyed = await (await fetch(`${serve.url}/health`, { headers: full })).text();
    expect(JSON.parse(anonymous).status).toBe("ok");
    for (const report of [anonymous, wrongKey]) {
      expect(report).not.toContain(root);
      expect(report).not.toMatch(/ at \//);
    }
    expect(keyed).toContain(join(root, "data"));
  });
});

describe("hostile input", () => {
  const refused = (response: { status: number; body: any }) => {
    expect(response.status, JSON.stringify(response.body)).toBe(422);
    expect(response.body.error.code).toBe("INVALID_INPUT");
  };

  it("a filter nested thousands deep, or with a deep value, is a 422 and the server stays up", async () => {
    const depth = 10_000;
    const nestedLists = `{"user_id":"bob","query":"tea","method":"keyword","filters":{"AND":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
    let nestedAnds: Record<string, unknown> = { session_id: "x" };
    for (let i = 0; i < 20; i++) nestedAnds = { AND: [nestedAnds] };
    // Written as text: JSON.stringify itself would overflow on it.
    const deepValue = `{"user_id":"bob","query":"tea","method":"keyword","filters":{"metadata":{"topic":${'{"eq":'.repeat(depth)}"x"${"}".repeat(depth)}}}}`;
    for (const method of ["keyword", "vector", "hybrid"]) {
      refused(await post("search", nestedLists.replace('"keyword"', `"${method}"`)));
      refused(await post("search", { user_id: "bob", query: "tea", method, filters: nestedAnds }));
      refused(await post("search", deepValue.replace('"keyword"', `"${method}"`)));
    }
    refused(await post("get", { user_id: "bob", filters: nestedAnds }));
    expect((await fetch(`${serve.url}/health`)).status).toBe(200);
  });

  it('"__proto__" as a key in filters or metadata is a 422, not silently dropped', async () => {
    refused(await post("search", '{"user_id":"bob","query":"tea","filters":{"__proto__":{"session_id":"x"}}}'));
    refused(await post("add", `{"session_id":"proto","user_id":"pia","messages":[${JSON.stringify(turn("Pia likes pears", "pia"))}],"metadata":{"__proto__":{"a":1}},"sync":true}`));
    expect((await post("get", { user_id: "pia" })).body.data.total_count).toBe(0);
  });

  it("metadata keys named like Object.prototype members are stored and filtered like any other", async () => {
    const added = await post("add", { session_id: "ctor", user_id: "cora", messages: [turn("Cora collects stamps", "cora")], metadata: { constructor: "y" }, sync: true });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    for (const filters of [{ constructor: "y" }, { metadata: { constructor: "y" } }]) {
      const found = await post("search", { user_id: "cora", query: "stamps", filters });
      expect(found.status, JSON.stringify(found.body)).toBe(200);
      expect(found.body.data.episodes).toHaveLength(1);
    }
    expect((await post("search", { user_id: "cora", query: "stamps", filters: { toString: "y" } })).body.data.episodes).toHaveLength(0);
  });

  it("a timestamp past the year 9999 is a 422 that stores nothing and leaves the session usable", async () => {
    for (const timestamp of [253_402_300_800_001, 8_640_000_000_000_001]) {
      refused(await post("add", { session_id: "far", user_id: "fay", messages: [{ ...turn("from the far future", "fay"), timestamp }], sync: true }));
    }
    const normal = await post("add", { session_id: "far", user_id: "fay", messages: [turn("Fay plants tulips", "fay")], sync: true });
    expect(normal.status, JSON.stringify(normal.body)).toBe(200);
    expect((await post("flush", { session_id: "far", user_id: "fay" })).status).toBe(200);
    const listed = (await post("get", { user_id: "fay" })).body.data;
    expect(listed.episodes.map((episode: { episode: string }) => episode.episode)).toEqual(["fay (user): Fay plants tulips"]);
  });
});
