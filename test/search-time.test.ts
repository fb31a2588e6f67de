/**
 * Time-aware search (issue 13): dates in the query are resolved against the caller's `now`
 * (library option and HTTP body field) and what happened then ranks first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { postJson, startServe, type ServeProcess } from "./support/serve-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const DAY = 86_400_000;
const MAY_1 = Date.UTC(2023, 4, 1, 18);
const MAY_24 = Date.UTC(2023, 4, 24, 18);
const turns = [
  { role: "user" as const, content: "I went hiking with Sam up Mount Tam, the trail was muddy.", timestamp: MAY_1 },
  { role: "user" as const, content: "Work was busy, I finished the quarterly report.", timestamp: MAY_1 + DAY },
  { role: "user" as const, content: "I went hiking with Sam at Point Reyes, we saw elk.", timestamp: MAY_24 },
  { role: "user" as const, content: "Cooked a big pasta dinner for friends.", timestamp: MAY_24 + DAY },
];
const QUERY = "Where did I go hiking last week?";

describe("time-aware search", () => {
  let root: string;
  let memory: Memory;
  beforeAll(async () => {
    root = await makeTempRoot();
    memory = await Memory.open({ root, logLevel: "silent" });
    for (const [i, turn] of turns.entries()) await memory.add([turn], { userId: "alice", sessionId: `s${i}`, infer: false });
    // A settled index, as a long-running store has: BM25 statistics of rows not yet folded into
    // the full-text index differ from those of indexed rows.
    await memory.idle();
    await memory.searchIndex.maintain();
  });
  afterAll(async () => {
    await memory.close();
    await removeTempRoot(root);
  });

  it("ranks what happened in the week the query names first, relative to the question's now", async () => {
    const late = await memory.search(QUERY, { userId: "alice", now: Date.UTC(2023, 4, 30, 12) });
    expect(late.results[0]!.memory).toContain("Point Reyes");
    const early = await memory.search(QUERY, { userId: "alice", now: new Date(Date.UTC(2023, 4, 8, 12)) });
    expect(early.results[0]!.memory).toContain("Mount Tam");
    const iso = await memory.search(QUERY, { userId: "alice", now: "2023-05-08T12:00:00Z" });
    expect(iso.results[0]!.memory).toContain("Mount Tam");
    // Other matches still rank (the dates rank, they do not filter), and scores stay in 0..1.
    expect(late.results.map((hit) => hit.memory).some((text) => text.includes("Mount Tam"))).toBe(true);
    for (const hit of late.results) expect(hit.score).toBeLessThanOrEqual(1);
  });

  it("turns off with search.timeWeight 0, and refuses a now that is no date", async () => {
    await expect(memory.search(QUERY, { userId: "alice", now: "not a date" })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "now" } });
    const plainRoot = await makeTempRoot();
    const plain = await Memory.open({ root: plainRoot, logLevel: "silent", search: { timeWeight: 0 } });
    try {
      for (const [i, turn] of turns.entries()) await plain.add([turn], { userId: "alice", sessionId: `s${i}`, infer: false });
      const early = await plain.search(QUERY, { userId: "alice", now: Date.UTC(2023, 4, 8, 12) });
      const late = await plain.search(QUERY, { userId: "alice", now: Date.UTC(2023, 4, 30, 12) });
      expect(early.results.map((hit) => hit.id)).toEqual(late.results.map((hit) => hit.id));
    } finally {
      await plain.close();
      await removeTempRoot(plainRoot);
    }
  });
});

describe("time-aware search over HTTP", () => {
  let root: string;
  let serve: ServeProcess;
  const api = (route: string) => `${serve.url}/api/v1/memory/${route}`;
  beforeAll(async () => {
    root = await makeTempRoot("omnimem-search-time-");
    serve = await startServe(root, {}, [], 90_000);
    const messages = turns.map((turn) => ({ sender_id: "alice", role: turn.role, timestamp: turn.timestamp, content: turn.content }));
    for (const [i, message] of messages.entries()) {
      expect((await postJson(api("add"), { session_id: `s${i}`, messages: [message], sync: true })).status).toBe(200);
    }
    // The index takes writes in group-commit windows; until it holds every memory, the owed ones
    // are scored from the store (close to the index's BM25, not equal). Both searches below must
    // see the same index, so wait until /metrics says it has caught up.
    const gauge = (metrics: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1] ?? Number.NaN);
    for (const deadline = Date.now() + 30_000; ; ) {
      const metrics = await (await fetch(`${serve.url}/metrics`)).text();
      if (gauge(metrics, "omnimem_index_documents") === gauge(metrics, "omnimem_memories")) break;
      if (Date.now() > deadline) throw new Error(`the index did not catch up:\n${metrics}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 120_000);
  afterAll(async () => {
    await serve?.stop();
    await removeTempRoot(root);
  });

  it("takes now in the search body (epoch ms or ISO 8601) and refuses another shape with 422", async () => {
    const search = (now: unknown) => postJson(api("search"), { user_id: "alice", query: QUERY, now });
    // Rows added one by one score a little differently in BM25 than a settled table would, so
    // compare each hike's score under the two nows rather than the order.
    const scoreOf = (response: Awaited<ReturnType<typeof search>>, place: string) =>
      (response.body.data.episodes as { episode: string; score: number }[]).find((episode) => episode.episode.includes(place))!.score;
    const late = await search(Date.UTC(2023, 4, 30, 12));
    expect(late.status).toBe(200);
    const early = await search("2023-05-08T12:00:00Z");
    expect(early.status).toBe(200);
    expect(scoreOf(early, "Mount Tam")).toBeGreaterThan(scoreOf(late, "Mount Tam"));
    expect(scoreOf(late, "Point Reyes")).toBeGreaterThan(scoreOf(early, "Point Reyes"));
    const bad = await search("last tuesday");
    expect(bad.status).toBe(422);
  });
});
