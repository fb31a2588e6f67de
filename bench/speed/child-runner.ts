/**
 * One system, one measurement, in a process of its own so that its peak memory is its own.
 * Started by bench/speed.ts (which runs the fake OpenAI server) with an IPC channel:
 *
 *   node --import tsx bench/speed/child-runner.ts --system mem0|omnimem|omnimem-local \
 *     --mode scale --n 10000 --base-url http://127.0.0.1:PORT/v1 [--dims 256 --users 1 ...]
 *   ... --mode infer --adds 20
 *
 * It asks the parent for the fake server's counters between phases, and sends one result.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FakeServerUsage } from "../../test/support/fake-openai-server.js";
import { makeCorpus, makeQueries } from "../synthetic-text.js";
import { blockedConnections, installNetGuard } from "./net-guard.js";
import {
  callsPer,
  isSystemName,
  type ChildMessage,
  type InferResult,
  type MemoryUse,
  type ParentMessage,
  type ScaleResult,
  type SearchResultRow,
  type SystemName,
} from "./protocol.js";
import { summarize } from "../stats.js";
import type { BenchSystem, ChatMessage, TimedText } from "./system.js";

installNetGuard();

const { values } = parseArgs({
  options: {
    system: { type: "string" },
    mode: { type: "string", default: "scale" },
    n: { type: "string", default: "1000" },
    "base-url": { type: "string" },
    dims: { type: "string", default: "256" },
    users: { type: "string", default: "1" },
    days: { type: "string", default: "365" },
    "single-adds": { type: "string", default: "500" },
    queries: { type: "string", default: "200" },
    "search-budget-s": { type: "string", default: "180" },
    adds: { type: "string", default: "20" },
    /** An empty folder for the system's data (the parent makes it and removes it afterwards). */
    dir: { type: "string" },
  },
});

const system = values.system ?? "";
if (!isSystemName(system)) throw new Error(`--system must be mem0, omnimem or omnimem-local, not ${system}`);
const baseURL = values["base-url"];
if (baseURL === undefined && system !== "omnimem-local") throw new Error("--base-url is required");
const dimensions = Number(values.dims);
const CORPUS_SEED = 42;
const QUERY_SEED = 7;
const WARMUP_QUERIES = 20;
const MIN_QUERIES = 20;
const START = Date.UTC(2025, 0, 1);

// ---- talking to the parent ---------------------------------------------------------------

const pending = new Map<number, (usage: FakeServerUsage) => void>();
let nextId = 0;
process.on("message", (message: ParentMessage) => {
  if (message.type === "usage") {
    pending.get(message.id)?.(message.usage);
    pending.delete(message.id);
  }
});

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      if (message.type === "result") console.log(JSON.stringify(message.result, null, 2));
      else if (message.type === "progress") console.error(message.text);
      resolve();
      return;
    }
    process.send(message, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

/** The fake server's counters now (zeros when run without a parent). */
function usage(): Promise<FakeServerUsage> {
  if (process.send === undefined) {
    return Promise.resolve({ chatCalls: 0, embeddingCalls: 0, transcriptionCalls: 0, promptTokens: 0, completionTokens: 0, embeddingTokens: 0 });
  }
  const id = ++nextId;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    void send({ type: "usage-request", id });
  });
}

const progress = (text: string) => send({ type: "progress", text: `[${system}] ${text}` });

// ---- the systems ---------------------------------------------------------------------------

async function makeSystem(name: SystemName, dir: string, withLlm: boolean): Promise<BenchSystem> {
  if (name === "mem0") {
    const { Mem0System } = await import("./mem0-runner.js");
    return new Mem0System({ dir, baseURL: baseURL!, dimensions });
  }
  const { OmnimemSystem } = await import("./omnimem-runner.js");
  return new OmnimemSystem({ root: dir, baseURL: name === "omnimem" ? baseURL : undefined, dimensions, withLlm });
}

function memoryUse(): MemoryUse {
  return {
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

async function diskBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += await diskBytes(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

// ---- scale: fill to N, time single adds, time searches --------------------------------------

async function runScale(sut: BenchSystem, dir: string): Promise<ScaleResult> {
  const n = Number(values.n);
  const users = Number(values.users);
  const singleAdds = Math.min(Number(values["single-adds"]), Math.floor(n / 2));
  const queryCount = Number(values.queries);
  const budgetMs = Number(values["search-budget-s"]) * 1000;
  const days = Number(values.days);
  const userOf = (i: number) => `user${i % users}`;
  const corpus = makeCorpus(n, CORPUS_SEED);
  // The N memories arrive in time order over `days` days (a day's share each day, a second apart).
  const perDay = Math.ceil(n / days);
  const itemOf = (i: number) => ({ text: corpus[i]!, timestamp: START + Math.floor(i / perDay) * 86_400_000 + (i % perDay) * 1000 });

  const openStarted = performance.now();
  await sut.open();
  const openMs = performance.now() - openStarted;

  // Bulk fill: everything but the last `singleAdds` memories, in each system's batches.
  const bulkCount = n - singleAdds;
  const bulkBefore = await usage();
  const bulkStarted = performance.now();
  let lastReport = bulkStarted;
  for (let offset = 0; offset < bulkCount; offset += sut.bulkBatch) {
    const byUser = new Map<string, TimedText[]>();
    for (let i = offset; i < Math.min(bulkCount, offset + sut.bulkBatch); i++) {
      const list = byUser.get(userOf(i)) ?? [];
      list.push(itemOf(i));
      byUser.set(userOf(i), list);
    }
    for (const [userId, items] of byUser) await sut.addMany(items, userId);
    if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      const done = Math.min(bulkCount, offset + sut.bulkBatch);
      await progress(`n=${n}: filled ${done}/${bulkCount} (${((done / (lastReport - bulkStarted)) * 1000).toFixed(0)}/s)`);
    }
  }
  const bulkSeconds = (performance.now() - bulkStarted) / 1000;
  const bulkAfter = await usage();

  const settleStarted = performance.now();
  await sut.settle();
  const settleMs = performance.now() - settleStarted;

  // Single adds: the last memories, one add call each, one after another.
  const addTimes: number[] = [];
  const singleBefore = await usage();
  const singleStarted = performance.now();
  sut.startBreakdown();
  for (let i = bulkCount; i < n; i++) {
    const t0 = performance.now();
    await sut.addOne(itemOf(i), userOf(i));
    addTimes.push(performance.now() - t0);
  }
  const singleWall = performance.now() - singleStarted;
  const breakdownMs = Object.fromEntries(Object.entries(sut.stopBreakdown()).map(([step, total]) => [step, total / addTimes.length]));
  const singleAfter = await usage();

  const maintainStarted = performance.now();
  await sut.maintain();
  const maintenanceMs = performance.now() - maintainStarted;
  await progress(`n=${n}: filled (bulk ${bulkSeconds.toFixed(1)} s, ${singleAdds} single adds); searching`);

  const queries = makeQueries(corpus, queryCount, QUERY_SEED);
  const search: SearchResultRow[] = [];
  for (const method of sut.searchMethods) {
    for (const query of queries.slice(0, WARMUP_QUERIES)) await sut.search(query.text, userOf(query.source), method, 10);
    const times: number[] = [];
    let found = 0;
    let budgetHit = false;
    const before = await usage();
    const started = performance.now();
    for (const query of queries) {
      if (times.length >= MIN_QUERIES && performance.now() - started > budgetMs) {
        budgetHit = true;
        break;
      }
      const t0 = performance.now();
      const texts = await sut.search(query.text, userOf(query.source), method, 10);
      times.push(performance.now() - t0);
      if (texts.includes(corpus[query.source]!)) found++;
    }
    const wall = performance.now() - started;
    const after = await usage();
    search.push({
      method,
      latency: summarize(times, wall),
      recallAt10: found / times.length,
      budgetHit,
      perSearch: callsPer(before, after, times.length),
    });
  }

  const memory = memoryUse();
  await sut.close();
  return {
    kind: "scale",
    system: system as SystemName,
    n,
    users,
    days,
    dimensions,
    openMs,
    bulk: {
      count: bulkCount,
      batch: sut.bulkBatch,
      seconds: bulkSeconds,
      perSecond: bulkCount / bulkSeconds,
      perAdd: callsPer(bulkBefore, bulkAfter, bulkCount),
    },
    settleMs,
    singleAdd: { latency: summarize(addTimes, singleWall), perAdd: callsPer(singleBefore, singleAfter, addTimes.length), breakdownMs },
    maintenanceMs,
    search,
    memory,
    diskMiB: (await diskBytes(dir)) / 2 ** 20,
    blockedConnections: blockedConnections(),
    notes: sut.notes,
  };
}

// ---- infer: a few adds with extraction, counting model calls and tokens -----------------------

/** Two-message conversations, the same for every system. */
function inferConversations(count: number): ChatMessage[][] {
  const texts = makeCorpus(count * 2, 99);
  return Array.from({ length: count }, (_, i) => [
    { role: "user", content: texts[2 * i]! },
    { role: "assistant", content: `Noted. ${texts[2 * i + 1]!}` },
  ]);
}

async function runInfer(sut: BenchSystem): Promise<InferResult> {
  const adds = Number(values.adds);
  await sut.open();
  const conversations = inferConversations(adds);
  const before = await usage();
  const times: number[] = [];
  let created = 0;
  const started = performance.now();
  for (const conversation of conversations) {
    const t0 = performance.now();
    created += await sut.addConversation(conversation, "alice");
    times.push(performance.now() - t0);
  }
  const wall = performance.now() - started;
  const after = await usage();
  const memory = memoryUse();
  await sut.close();
  return {
    kind: "infer",
    system: system as SystemName,
    adds,
    latency: summarize(times, wall),
    perAdd: callsPer(before, after, adds),
    memoriesCreated: created,
    memory,
    blockedConnections: blockedConnections(),
    notes: sut.notes,
  };
}

// ---- main ----------------------------------------------------------------------------------

const ownDir = values.dir === undefined;
const dir = values.dir ?? (await mkdtemp(join(tmpdir(), `omnimem-speed-${system}-`)));
try {
  const sut = await makeSystem(system, dir, values.mode === "infer");
  const result = values.mode === "infer" ? await runInfer(sut) : await runScale(sut, dir);
  await send({ type: "result", result });
} catch (error) {
  await send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
} finally {
  if (ownDir) await rm(dir, { recursive: true, force: true });
  process.disconnect?.();
}
