/**
 * /get pages and sorts in the store: a page reads that page's rows (and a count), not every
 * memory of the owner, and its contents are the same slice a full sort would give.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Memory } from "../src/index.js";
import { createApp } from "../src/server/app.js";
import type { MemoryRecord } from "../src/spec/types.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const MEMORIES = 60;

let root: string;
let memory: Memory;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  root = await makeTempRoot();
  memory = await Memory.open({ root, logLevel: "silent" });
  app = createApp(memory, { logger: undefined });
  // Timestamps out of creation order, so sorting by timestamp and by created_at differ.
  const base = Date.UTC(2026, 0, 1);
  for (let i = 0; i < MEMORIES; i++) {
    await memory.add([{ role: "user", content: `memory number ${i}`, timestamp: base + ((i * 37) % MEMORIES) * 60_000 }], {
      userId: "alice",
      infer: false,
      metadata: { parity: i % 2 === 0 ? "even" : "odd" },
    });
  }
  await memory.add("bob's", { userId: "bob", infer: false });
  // Some updates, so updated_at differs from created_at.
  const { results } = await memory.getAll({ userId: "alice", limit: 1000 });
  for (const item of results.filter((_, i) => i % 7 === 0)) await memory.update(item.id, `${item.memory} (edited)`);
}, 60_000);

afterAll(async () => {
  await memory.close();
  await removeTempRoot(root);
});

async function get(body: Record<string, unknown>): Promise<any> {
  const response = await app.request("/api/v1/memory/get", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: unknown }).data;
}

/** Every alice memory, sorted the way /get documents, for comparing pages against. */
async function allSorted(by: "timestamp" | "created_at" | "updated_at", order: "asc" | "desc"): Promise<string[]> {
  const { results } = await memory.getAll({ userId: "alice", limit: 1000 });
  const key = (item: (typeof results)[number]) => Date.parse(by === "timestamp" ? item.timestamp : by === "created_at" ? item.createdAt : item.updatedAt);
  const direction = order === "asc" ? 1 : -1;
  return results.sort((a, b) => direction * (key(a) - key(b) || (a.id < b.id ? -1 : 1))).map((item) => item.id);
}

describe("/get pages in the store", () => {
  it("reads only the requested page's rows from the store", async () => {
    const list = vi.spyOn(memory.backend.store, "list");
    const data = await get({ user_id: "alice", page: 3, page_size: 5, sort_by: "timestamp", sort_order: "asc" });
    const rowsRead = await Promise.all(list.mock.results.map(async (result) => ((await result.value) as { records: MemoryRecord[] }).records.length));
    list.mockRestore();
    expect(data).toMatchObject({ total_count: MEMORIES, count: 5 });
    expect(rowsRead.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it("gives the same slice a full sort gives, for every sort field and order, with filters and memory_type", async () => {
    for (const by of ["timestamp", "created_at", "updated_at"] as const) {
      for (const order of ["asc", "desc"] as const) {
        const expected = await allSorted(by, order);
        const seen: string[] = [];
        for (let page = 1; page <= 7; page++) {
          const data = await get({ user_id: "alice", page, page_size: 9, sort_by: by, sort_order: order });
          expect(data.total_count).toBe(MEMORIES);
          seen.push(...data.episodes.map((episode: { id: string }) => episode.id));
        }
        expect(seen, `${by} ${order}`).toEqual(expected);
      }
    }
    const even = await get({ user_id: "alice", filters: { parity: "even" }, page: 2, page_size: 10, memory_type: "episode" });
    expect(even).toMatchObject({ total_count: MEMORIES / 2, count: 10 });
    expect(new Set(even.episodes.map((episode: { metadata: { parity: string } }) => episode.metadata.parity))).toEqual(new Set(["even"]));
    expect(await get({ user_id: "alice", memory_type: "fact" })).toMatchObject({ total_count: 0, count: 0, facts: [] });
    expect(await get({ user_id: "alice", page: 100, page_size: 100 })).toMatchObject({ total_count: MEMORIES, count: 0 });
  });
});
