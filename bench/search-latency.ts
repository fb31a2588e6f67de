/**
 * Search latency of the embedded default (LanceDB + local embedder) at N memories.
 *
 *   npx tsx bench/search-latency.ts [--sizes 10000,100000] [--users 10] [--queries 300] [--batch 500]
 *                                   [--embedder word-vectors|hashed]
 *
 * Fills a fresh root through the public Memory API (markdown + SQLite + index, as a user's adds
 * would), lets index maintenance finish, then times searches end to end: query embedding,
 * index query, and hydration from the catalog. Then closes the root and times `Memory.open` on
 * it (an existing root: catalog, index and embedder). Peak RSS is the process's (run one size per
 * process to read it per size). Prints a markdown table; not a test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Memory, type SearchMethod } from "../src/index.js";
import { defaultEmbedder } from "../src/memory.js";
import type { LocalEmbedderName } from "../src/providers/embedding/local-choice.js";
import { makeCorpus, makeQueries } from "./synthetic-text.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000" },
    users: { type: "string", default: "10" },
    queries: { type: "string", default: "300" },
    batch: { type: "string", default: "500" },
    embedder: { type: "string" },
  },
});
const embedderName = values.embedder as LocalEmbedderName | undefined;
const localEmbedding = embedderName === undefined ? {} : { localEmbedding: { embedder: embedderName, dimensions: 256 } };
const sizes = values.sizes.split(",").map(Number);
const users = Number(values.users);
const queryCount = Number(values.queries);
const batchSize = Number(values.batch);
const METHODS: SearchMethod[] = ["keyword", "vector", "hybrid"];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function measure(n: number) {
  const root = await mkdtemp(join(tmpdir(), "omnimem-bench-"));
  let memory = await Memory.open({ root, logLevel: "error", ...localEmbedding });
  const embedder = memory.embedderInfo;
  try {
    const corpus = makeCorpus(n, 42);
    const perDay = Math.max(1, Math.ceil(n / 365));
    const start = Date.UTC(2025, 0, 1);
    const fillStarted = performance.now();
    for (let offset = 0; offset < n; offset += batchSize) {
      // Memories arrive in time order, a day's worth at a time, spread over the users.
      const byUser = new Map<string, { role: "user"; content: string; timestamp: number }[]>();
      for (let i = offset; i < Math.min(n, offset + batchSize); i++) {
        const userId = `user${i % users}`;
        const list = byUser.get(userId) ?? [];
        list.push({ role: "user", content: corpus[i]!, timestamp: start + Math.floor(i / perDay) * 86_400_000 + i });
        byUser.set(userId, list);
      }
      for (const [userId, messages] of byUser) await memory.add(messages, { userId, infer: false });
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const maintainStarted = performance.now();
    await memory.idle();
    await memory.searchIndex.maintain();
    const maintainSeconds = (performance.now() - maintainStarted) / 1000;

    const queries = makeQueries(corpus, queryCount, 7);
    const rows: { method: SearchMethod; p50: number; p95: number; p99: number; hitRate: number }[] = [];
    for (const method of METHODS) {
      // Warm-up: first queries open index files and fill caches.
      for (const query of queries.slice(0, 20)) await memory.search(query.text, { userId: `user${query.source % users}`, method });
      const times: number[] = [];
      let found = 0;
      for (const query of queries) {
        const userId = `user${query.source % users}`;
        const t0 = performance.now();
        const { results } = await memory.search(query.text, { userId, method, limit: 10 });
        times.push(performance.now() - t0);
        if (results.some((hit) => hit.memory === corpus[query.source])) found++;
      }
      times.sort((a, b) => a - b);
      rows.push({ method, p50: percentile(times, 0.5), p95: percentile(times, 0.95), p99: percentile(times, 0.99), hitRate: found / queries.length });
    }
    // Embedding alone, per text, on the memories and on the queries (the same embedder as the root's).
    const alone = defaultEmbedder(memory.config);
    await alone.ready();
    const embedMicros = async (texts: string[]) => {
      const t0 = performance.now();
      for (const text of texts) await alone.embed([text]);
      return ((performance.now() - t0) * 1000) / texts.length;
    };
    const memoryEmbedUs = await embedMicros(corpus.slice(0, 10_000));
    const queryEmbedUs = await embedMicros(queries.map((query) => query.text));

    await memory.close();
    const openStarted = performance.now();
    memory = await Memory.open({ root, logLevel: "error", ...localEmbedding });
    const openMs = performance.now() - openStarted;
    const openedWith = memory.embedderInfo;
    if (openedWith.model !== embedder.model) throw new Error(`reopened with ${openedWith.model}, built with ${embedder.model}`);
    return {
      n, embedder, fillSeconds, fillRate: n / fillSeconds, maintainSeconds, rows, openMs, memoryEmbedUs, queryEmbedUs,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await memory.close();
    await rm(root, { recursive: true, force: true });
  }
}

console.log(`# search latency (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version})`);
console.log(`${users} users, batches of ${batchSize} messages, ${queryCount} queries per method, limit 10, local embedder: ${embedderName ?? "the default"}\n`);
const summaries: string[] = [];
console.log("| N | embedder | fill (memories/s) | maintenance (s) | method | p50 ms | p95 ms | p99 ms | source in top 10 |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const n of sizes) {
  const result = await measure(n);
  for (const row of result.rows) {
    console.log(
      `| ${n} | ${result.embedder.name} | ${result.fillRate.toFixed(0)} | ${result.maintainSeconds.toFixed(1)} | ${row.method} | ${row.p50.toFixed(2)} | ${row.p95.toFixed(2)} | ${row.p99.toFixed(2)} | ${(row.hitRate * 100).toFixed(1)}% |`,
    );
  }
  summaries.push(
    `N ${n}, ${result.embedder.name} (${result.embedder.model}, ${result.embedder.dimensions} dims): Memory.open on the filled root ${result.openMs.toFixed(0)} ms; ` +
      `embedding ${result.memoryEmbedUs.toFixed(1)} µs per memory, ${result.queryEmbedUs.toFixed(1)} µs per query; peak RSS so far ${result.peakRssMiB.toFixed(0)} MiB`,
  );
}
console.log(`\n${summaries.join("\n")}`);
