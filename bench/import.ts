/**
 * Bulk import at scale (issue 15): `omnimem import`'s own code path (runImport over a JSONL file)
 * into one fresh embedded root with the default local embedder, no LLM (infer: false, each
 * session flushed as it is imported, as `omnimem import` does).
 *
 *   npx tsx bench/import.ts [--turns 200000] [--owners 400] [--turns-per-session 12]
 *                           [--queries 300] [--report bench/reports/import.md]
 *
 * The data is generated (bench/synthetic-text.ts): owners one after another, as LongMemEval
 * haystacks arrive, each owner's turns in sessions that alternate user and assistant. Measures
 * turns/s over the first and the last 10% of the turns, how long the index takes to catch up
 * after the last add returned (Memory.idle(): the write-behind index queue and LanceDB's
 * maintenance), and search latency at the end. Not a test: prints and writes a report.
 */
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { runImport } from "../src/cli/import/run-import.js";
import type { ProgressReporter } from "../src/cli/progress.js";
import { Memory, type SearchMethod } from "../src/index.js";
import { makeCorpus, makeQueries, seededRandom } from "./synthetic-text.js";
import { summarize, type LatencySummary } from "./stats.js";

const { values } = parseArgs({
  options: {
    turns: { type: "string", default: "200000" },
    owners: { type: "string", default: "400" },
    "turns-per-session": { type: "string", default: "12" },
    queries: { type: "string", default: "300" },
    report: { type: "string", default: join(import.meta.dirname, "reports", "import.md") },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log("npx tsx bench/import.ts [--turns 200000] [--owners 400] [--turns-per-session 12] [--queries 300] [--report FILE]");
  process.exit(0);
}
const TURNS = Number(values.turns);
const OWNERS = Number(values.owners);
const PER_SESSION = Number(values["turns-per-session"]);
const QUERIES = Number(values.queries);
const METHODS: SearchMethod[] = ["keyword", "vector", "hybrid"];
const DAY_MS = 86_400_000;

const ownerOf = (turn: number) => Math.min(OWNERS - 1, Math.floor((turn * OWNERS) / TURNS));

/** One JSONL line per session: `{messages, session_id, user_id}` (the conversation form). */
async function writeDataset(path: string, corpus: readonly string[]): Promise<number> {
  const out = createWriteStream(path);
  const random = seededRandom(7);
  let sessions = 0;
  let turn = 0;
  while (turn < TURNS) {
    const owner = ownerOf(turn);
    const start = turn;
    // A session stays within one owner: it ends at PER_SESSION turns or where the owner changes.
    while (turn < TURNS && turn - start < PER_SESSION && ownerOf(turn) === owner) turn++;
    const day = Date.UTC(2025, 0, 1) + Math.floor(random() * 365) * DAY_MS;
    const messages = corpus.slice(start, turn).map((content, i) => ({
      sender_id: i % 2 === 0 ? `user${owner}` : "assistant",
      role: i % 2 === 0 ? "user" : "assistant",
      content,
      timestamp: new Date(day + i * 60_000).toISOString(),
    }));
    const line = JSON.stringify({ session_id: `o${owner}-s${sessions}`, user_id: `user${owner}`, messages });
    if (!out.write(`${line}\n`)) await once(out, "drain");
    sessions++;
  }
  out.end();
  await once(out, "finish");
  return sessions;
}

/** Records when each session finished, to read turns/s over any stretch of the import. */
class TimedProgress implements ProgressReporter {
  readonly finishedAt: number[] = [];
  start(): void {}
  constructor(private readonly total: number) {}
  tick(n = 1): void {
    for (let i = 0; i < n; i++) this.finishedAt.push(performance.now());
    const done = this.finishedAt.length;
    if (Math.floor((done * 10) / this.total) > Math.floor(((done - n) * 10) / this.total)) {
      console.error(`  ${Math.round((done * 100) / this.total)}% of the sessions imported (${new Date().toISOString().slice(11, 19)})`);
    }
  }
  stop(): void {}
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "omnimem-import-bench-"));
  const loadAtStart = loadavg();
  try {
    const corpus = makeCorpus(TURNS, 42);
    const dataset = join(root, "dataset.jsonl");
    const sessions = await writeDataset(dataset, corpus);
    const memory = await Memory.open({ root: join(root, "data"), logLevel: "error" });
    const progress = new TimedProgress(sessions);
    const started = performance.now();
    const summary = await runImport(memory, { paths: [dataset], format: "jsonl", infer: false, progress });
    const lastAdd = performance.now();
    await memory.idle();
    const caughtUp = performance.now();
    const indexed = await memory.searchIndex.count();

    // Session i holds the turns up to sessionEnds[i]; turns/s over the sessions within a share of the turns.
    const sessionEnds: number[] = [];
    {
      let turn = 0;
      while (turn < TURNS) {
        const owner = ownerOf(turn);
        const start = turn;
        while (turn < TURNS && turn - start < PER_SESSION && ownerOf(turn) === owner) turn++;
        sessionEnds.push(turn);
      }
    }
    const rateBetween = (fromShare: number, toShare: number) => {
      const first = sessionEnds.findIndex((end) => end > TURNS * fromShare);
      const last = sessionEnds.findIndex((end) => end >= TURNS * toShare);
      const fromTurn = first === 0 ? 0 : sessionEnds[first - 1]!;
      const fromTime = first === 0 ? started : progress.finishedAt[first - 1]!;
      return ((sessionEnds[last]! - fromTurn) / (progress.finishedAt[last]! - fromTime)) * 1000;
    };
    const firstTenth = rateBetween(0, 0.1);
    const lastTenth = rateBetween(0.9, 1);
    const overall = (summary.messages / (lastAdd - started)) * 1000;
    const deciles = Array.from({ length: 10 }, (_, i) => rateBetween(i / 10, (i + 1) / 10));

    const queries = makeQueries(corpus as string[], QUERIES, 11);
    const searches = new Map<SearchMethod, LatencySummary>();
    for (const method of METHODS) {
      const times: number[] = [];
      const wall = performance.now();
      for (const query of queries) {
        const t = performance.now();
        await memory.search(query.text, { userId: `user${ownerOf(query.source)}`, method, limit: 10 });
        times.push(performance.now() - t);
      }
      searches.set(method, summarize(times, performance.now() - wall));
    }
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    await memory.close();

    const command = `npx tsx bench/import.ts --turns ${TURNS} --owners ${OWNERS} --turns-per-session ${PER_SESSION}`;
    const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
    const lines = [
      "# Bulk import: 200k turns into one root",
      "",
      `Command (${new Date().toISOString().slice(0, 10)}): \`${command}\``,
      "",
      `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average at start ${loadAtStart.map((n) => n.toFixed(2)).join(" / ")}, at end ${loadavg().map((n) => n.toFixed(2)).join(" / ")}.`,
      "",
      `What runs: \`omnimem import\`'s code (runImport) over a generated JSONL file of ${fmt(sessions)} sessions (${fmt(summary.messages)} turns, ${OWNERS} owners one after another, up to ${PER_SESSION} turns per session, user and assistant alternating; bench/synthetic-text.ts statements) into a fresh embedded root: Memory.open with the defaults (word-vector embedder, no LLM), \`infer: false\`, each session flushed as it is imported with its idempotency key.`,
      "",
      "| measure | value | target |",
      "|---|---:|---|",
      `| turns/s, first 10% of the turns | ${fmt(firstTenth)} | |`,
      `| turns/s, last 10% of the turns | ${fmt(lastTenth)} (${((lastTenth / firstTenth) * 100).toFixed(1)}% of the first) | ≥ 80% of the first |`,
      `| turns/s, whole import (${fmt((lastAdd - started) / 1000, 1)} s) | ${fmt(overall)} | ≥ 2,000 |`,
      `| index catch-up after the last add (Memory.idle()) | ${fmt((caughtUp - lastAdd) / 1000, 1)} s | < 30 s |`,
      `| memories stored / in the index after catch-up | ${fmt(summary.stored)} / ${fmt(indexed)} | equal |`,
      ...METHODS.map((method) => {
        const s = searches.get(method)!;
        return `| ${method} search p50 / p99 at the end (${s.count} queries, one owner's ${fmt(TURNS / OWNERS)} memories each) | ${fmt(s.p50, 1)} / ${fmt(s.p99, 1)} ms | |`;
      }),
      `| peak RSS | ${fmt(maxRssMiB)} MiB | |`,
      "",
      "Turns/s by tenth of the turns (first to last):",
      "",
      `| ${deciles.map((_, i) => `${i * 10}-${(i + 1) * 10}%`).join(" | ")} |`,
      `|${deciles.map(() => "---:").join("|")}|`,
      `| ${deciles.map((rate) => fmt(rate)).join(" | ")} |`,
      "",
    ];
    const report = lines.join("\n");
    console.log(report);
    await mkdir(dirname(values.report), { recursive: true });
    await writeFile(values.report, report);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
