/** The speed benchmark's markdown report. */
import type { InferResult, ScaleResult, SearchResultRow, SystemName } from "./protocol.js";

export interface ScaleEntry {
  system: SystemName;
  n: number;
  status: "ok" | "timeout" | "error";
  wallSeconds: number;
  /** Embedding requests per asked dimension while this run went (texts, not requests). */
  embeddingDims: Record<string, number>;
  result?: ScaleResult;
  message?: string;
}

export interface InferEntry {
  system: SystemName;
  status: "ok" | "timeout" | "error";
  wallSeconds: number;
  chatKinds: Record<string, number>;
  result?: InferResult;
  message?: string;
}

export interface SpeedRun {
  date: string;
  command: string;
  machine: {
    cores: number;
    cpu: string;
    memoryGiB: number;
    node: string;
    os: string;
    loadAtStart: number[];
    /** Share of CPU time not idle in the second before the first measurement (absent in older runs). */
    cpuBusyAtStart?: number;
  };
  options: {
    sizes: number[];
    systems: SystemName[];
    queries: number;
    singleAdds: number;
    users: number;
    days: number;
    dimensions: number;
    inferAdds: number;
    searchBudgetSeconds: number;
    timeoutMinutes: number;
    /** MALLOC_ARENA_MAX given to every child (both systems); unset: glibc's default. */
    mallocArenaMax?: number;
  };
  mem0Version?: string;
  /** Mem0's optional peer packages found installed (name -> version). */
  mem0Peers?: Record<string, string>;
  loadAtEnd?: number[];
  scale: ScaleEntry[];
  infer: InferEntry[];
}

const LABEL: Record<SystemName, string> = {
  mem0: "Mem0 (mem0ai OSS)",
  omnimem: "omnimem (fake endpoint)",
  "omnimem-local": "omnimem (local embedder)",
};

function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "—";
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

function num(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "—";
  const r = a / b;
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toFixed(3);
}

function sizeLabel(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

function notFinished(entry: ScaleEntry | InferEntry, run: SpeedRun): string {
  return entry.status === "timeout"
    ? `did not finish in ${run.options.timeoutMinutes} min`
    : `failed: ${(entry.message ?? "").split("\n")[0]!.slice(0, 200)}`;
}

const searchRow = (result: ScaleResult | undefined, method: string): SearchResultRow | undefined =>
  result?.search.find((row) => row.method === method);

interface RatioMetric {
  label: string;
  better: string;
  value: (result: ScaleResult, isMem0: boolean) => number | undefined;
}

const ratioMetrics = (method: "vector" | "hybrid"): RatioMetric[] => [
  { label: `search p50, omnimem ${method} / Mem0 search`, better: "lower (< 1: omnimem faster)", value: (r, m) => searchRow(r, m ? "mem0" : method)?.latency.p50 },
  { label: `search p95, ${method}`, better: "lower", value: (r, m) => searchRow(r, m ? "mem0" : method)?.latency.p95 },
  { label: `search p99, ${method}`, better: "lower", value: (r, m) => searchRow(r, m ? "mem0" : method)?.latency.p99 },
  { label: `searches/s, ${method}`, better: "higher (> 1: omnimem faster)", value: (r, m) => searchRow(r, m ? "mem0" : method)?.latency.perSecond },
];

const RATIOS: RatioMetric[] = [
  { label: "single add p50", better: "lower (< 1: omnimem faster)", value: (r) => r.singleAdd.latency.p50 },
  { label: "single add p95", better: "lower", value: (r) => r.singleAdd.latency.p95 },
  { label: "single add p99", better: "lower", value: (r) => r.singleAdd.latency.p99 },
  { label: "adds/s (single adds, sequential)", better: "higher (> 1: omnimem faster)", value: (r) => r.singleAdd.latency.perSecond },
  { label: "bulk fill memories/s (batched adds)", better: "higher", value: (r) => r.bulk.perSecond },
  ...ratioMetrics("vector"),
  ...ratioMetrics("hybrid"),
  { label: "peak RSS", better: "lower", value: (r) => r.memory.peakRssMiB },
  { label: "disk used", better: "lower", value: (r) => r.diskMiB },
];

function ratioTable(run: SpeedRun, system: SystemName): string[] {
  const sizes = run.options.sizes;
  const lines = [
    `| metric | better when | ${sizes.map((n) => `N = ${sizeLabel(n)}`).join(" | ")} |`,
    `|---|---|${sizes.map(() => "---|").join("")}`,
  ];
  for (const metric of RATIOS) {
    const cells = sizes.map((n) => {
      const ours = run.scale.find((e) => e.system === system && e.n === n);
      const mem0 = run.scale.find((e) => e.system === "mem0" && e.n === n);
      if (ours?.result === undefined || mem0?.result === undefined) {
        const missing = ours?.result === undefined ? ours : mem0;
        return missing === undefined ? "—" : missing.status === "timeout" ? "(timeout)" : "(failed)";
      }
      return ratio(metric.value(ours.result, false), metric.value(mem0.result, true));
    });
    lines.push(`| ${metric.label} | ${metric.better} | ${cells.join(" | ")} |`);
  }
  return lines;
}

function scaleSection(run: SpeedRun, n: number): string[] {
  const entries = run.scale.filter((entry) => entry.n === n);
  const lines = [`## N = ${num(n)}`, ""];
  const some = entries.find((entry) => entry.result !== undefined)?.result;
  if (some !== undefined) {
    lines.push(
      `Bulk fill of the first ${num(some.bulk.count)} memories in each system's batches, then ${num(some.singleAdd.latency.count)} single adds ` +
        `(one memory per add call, sequential) timed one by one, then the searches.`,
      "",
    );
  }
  lines.push(
    "### Adds (infer: false)",
    "",
    "| system | add p50 ms | add p95 ms | add p99 ms | adds/s | embedding calls per add | bulk fill memories/s (batch) | open ms | settle / maintenance s | peak RSS MiB | heap at end MiB | disk MiB | child wall s |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const entry of entries) {
    const r = entry.result;
    if (r === undefined) {
      lines.push(`| ${LABEL[entry.system]} | ${notFinished(entry, run)} |||||||||||| `);
      continue;
    }
    const a = r.singleAdd.latency;
    lines.push(
      `| ${LABEL[entry.system]} | ${ms(a.p50)} | ${ms(a.p95)} | ${ms(a.p99)} | ${num(a.perSecond)} | ${num(r.singleAdd.perAdd.embeddingCalls, 2)} | ` +
        `${num(r.bulk.perSecond)} (${r.bulk.batch}) | ${ms(r.openMs)} | ${num(r.settleMs / 1000, 1)} / ${num(r.maintenanceMs / 1000, 1)} | ` +
        `${num(r.memory.peakRssMiB)} | ${num(r.memory.heapUsedMiB)} | ${num(r.diskMiB, 1)} | ${num(entry.wallSeconds)} |`,
    );
  }
  lines.push(
    "",
    "Where a single add's time goes (mean ms per add, timed by wrapping each library's inner objects; \"other\" is the rest: validation, " +
      "payload building, awaits):",
    "",
    "| system | mean add ms | steps |",
    "|---|---|---|",
  );
  for (const entry of entries) {
    const r = entry.result;
    if (r === undefined) continue;
    const steps = Object.entries(r.singleAdd.breakdownMs ?? {});
    const inSteps = steps.reduce((sum, [, value]) => sum + value, 0);
    const text = [...steps.map(([step, value]) => `${step} ${ms(value)}`), `other ${ms(r.singleAdd.latency.mean - inSteps)}`].join(" · ");
    lines.push(`| ${LABEL[entry.system]} | ${ms(r.singleAdd.latency.mean)} | ${text} |`);
  }
  lines.push(
    "",
    "### Searches (limit 10)",
    "",
    "| system | method | queries timed | p50 ms | p95 ms | p99 ms | searches/s | source in top 10 | embedding calls per search |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const entry of entries) {
    const r = entry.result;
    if (r === undefined) {
      lines.push(`| ${LABEL[entry.system]} | ${notFinished(entry, run)} ||||||||`);
      continue;
    }
    for (const row of r.search) {
      const l = row.latency;
      lines.push(
        `| ${LABEL[entry.system]} | ${row.method === "mem0" ? "Mem0 search" : row.method} | ${l.count}${row.budgetHit ? " (time budget)" : ""} | ` +
          `${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)} | ${num(l.perSecond, 1)} | ${(row.recallAt10 * 100).toFixed(1)}% | ${num(row.perSearch.embeddingCalls, 2)} |`,
      );
    }
  }
  lines.push("");
  return lines;
}

function inferSection(run: SpeedRun): string[] {
  if (run.infer.length === 0) return [];
  const lines = [
    "## Infer path: model calls and tokens per add",
    "",
    `${run.options.inferAdds} adds with extraction (Mem0 \`infer\` default true; omnimem \`infer: true\`, which flushes the add's own session), ` +
      "each a two-message conversation (user + assistant), into a fresh store, owner `alice`. The fake model extracts one memory per " +
      "message for both systems. Tokens are the fake server's count (characters / 4) of what each library sent.",
    "",
    "| system | chat calls per add (by kind, in all) | embedding calls per add | prompt tokens per add | completion tokens per add | embedding tokens per add | memories created | add p50 ms | add p95 ms |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const entry of run.infer) {
    const r = entry.result;
    if (r === undefined) {
      lines.push(`| ${LABEL[entry.system]} | ${notFinished(entry, run)} ||||||||`);
      continue;
    }
    const kinds = Object.entries(entry.chatKinds).map(([kind, count]) => `${count} ${kind}`).join(", ");
    lines.push(
      `| ${LABEL[entry.system]} | ${num(r.perAdd.chatCalls, 2)}${kinds === "" ? "" : ` (${kinds})`} | ${num(r.perAdd.embeddingCalls, 2)} | ` +
        `${num(r.perAdd.promptTokens)} | ${num(r.perAdd.completionTokens)} | ${num(r.perAdd.embeddingTokens)} | ${r.memoriesCreated} | ${ms(r.latency.p50)} | ${ms(r.latency.p95)} |`,
    );
  }
  const ours = run.infer.find((entry) => entry.system === "omnimem")?.result;
  const mem0 = run.infer.find((entry) => entry.system === "mem0")?.result;
  if (ours !== undefined && mem0 !== undefined) {
    lines.push(
      "",
      `omnimem / Mem0 per add: chat calls ${ratio(ours.perAdd.chatCalls, mem0.perAdd.chatCalls)}, embedding calls ${ratio(ours.perAdd.embeddingCalls, mem0.perAdd.embeddingCalls)}, ` +
        `prompt tokens ${ratio(ours.perAdd.promptTokens, mem0.perAdd.promptTokens)}, completion tokens ${ratio(ours.perAdd.completionTokens, mem0.perAdd.completionTokens)}, ` +
        `add p50 ${ratio(ours.latency.p50, mem0.latency.p50)} (lower is better for all). omnimem's "memories created" counts the episode as well as the facts.`,
    );
  }
  lines.push("");
  return lines;
}

function checks(run: SpeedRun): string[] {
  const dims = new Set<string>();
  for (const entry of run.scale) for (const key of Object.keys(entry.embeddingDims)) dims.add(key);
  const blocked = new Set<string>();
  for (const entry of [...run.scale, ...run.infer]) for (const host of entry.result?.blockedConnections ?? []) blocked.add(host);
  return [
    `- Same vectors: the fake server's embedding is a function of (text, dimension) only; every embedding the systems asked for was of dimension ${[...dims].join(", ") || "—"}` +
      `${dims.size > 1 ? " (MORE THAN ONE: the systems did not get the same vectors)" : ""}.`,
    blocked.size === 0
      ? "- Network: no connection left loopback (every child refuses non-loopback TCP connections and reports attempts; none were made)."
      : `- Network: connection attempts refused: ${[...blocked].join(", ")}.`,
  ];
}

export function renderReport(run: SpeedRun): string {
  const m = run.machine;
  const o = run.options;
  const lines: string[] = [
    "# Speed: omnimem and Mem0's TypeScript SDK",
    "",
    `Command (${run.date.slice(0, 10)}): \`${run.command}\``,
    "",
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB.toFixed(0)} GiB, Node ${m.node}, ${m.os}; load average at start ` +
      `${m.loadAtStart.map((v) => v.toFixed(2)).join(" / ")}${run.loadAtEnd === undefined ? "" : `, at end ${run.loadAtEnd.map((v) => v.toFixed(2)).join(" / ")}`}. ` +
      `mem0ai ${run.mem0Version ?? "?"}.`,
    "",
    ...busyNote(m),
    "## Setup",
    "",
    "- One fake OpenAI-compatible server (test/support/fake-openai-server.ts) on 127.0.0.1, started once in the parent process. It answers " +
      "embeddings and chat in microseconds, so a latency here is each library's own work plus one loopback HTTP round trip per model call. " +
      `Embeddings: the server's deterministic bag-of-words vectors (one pseudo-random direction per word, summed, normalised), ${o.dimensions} dimensions, ` +
      "asked for explicitly by both systems (Mem0 `embeddingDims` and vector store `dimension`; omnimem `embedding.dimensions`).",
    "- Each system at each N runs in a child process of its own (bench/speed/child-runner.ts), one after another, so peak RSS " +
      "(`process.resourceUsage().maxRSS`) is that system's alone; the fake server's counters are read between phases over IPC." +
      (o.mallocArenaMax === undefined
        ? " Children run with glibc's default malloc arenas (`MALLOC_ARENA_MAX` unset)."
        : ` Every child, both systems, runs with \`MALLOC_ARENA_MAX=${o.mallocArenaMax}\` (glibc keeps freed memory in fewer per-thread arenas; README, "Memory use").`),
    `- Texts: bench/synthetic-text.ts \`makeCorpus(N, 42)\` (8–19 word statements, Zipf vocabulary); ${o.users} owner${o.users === 1 ? "" : "s"} ` +
      `(${o.users === 1 ? "every memory in one user's scope, so a search covers all N" : "memories spread round-robin"}). ` +
      `The memories arrive in time order over ${o.days} day${o.days === 1 ? "" : "s"} (omnimem gets each message's timestamp and keeps one markdown log ` +
      "per owner and day; Mem0's OSS `add` takes no timestamp on this path and stores the time of the call).",
    `- Adds: \`infer: false\`, one memory per add. Bulk fill first (Mem0: \`add\` with 100 messages, which embeds and writes them one by one; ` +
      `omnimem: \`add\` with 500 messages, one batched embedding request per 128), then the last ${o.singleAdds} memories as single adds, each timed.`,
    `- Searches: ${o.queries} queries of 3–5 words cut from stored memories (\`makeQueries(corpus, ${o.queries}, 7)\`), limit 10, after 20 warm-up ` +
      `queries, as the memory's owner; at most ${o.searchBudgetSeconds} s per method (then at least 20 queries). "source in top 10" checks that ` +
      "each setup returns sensible results.",
    "- Mem0: `new Memory({ embedder: openai (baseURL = fake server, embeddingDims), vectorStore: memory (dbPath in the run's temp folder, dimension), " +
      "llm: openai (baseURL = fake server), historyStore: sqlite (historyDbPath in the temp folder) })`; `MEM0_TELEMETRY=false` and HOME pointed at a temp folder " +
      "(Mem0 writes ~/.mem0/config.json). Its \"memory\" vector store is a better-sqlite3 table scanned in full by every search.",
    "- omnimem: `Memory.open({ root: temp, embedding: { baseUrl: fake server, model, dimensions }, logLevel: \"error\" })`; omnimem (local embedder) is the same without " +
      `\`embedding\` (the built-in hashed embedder, ${o.dimensions} dims, no server; its vectors differ, so its recall is its own). ` +
      "After the bulk fill omnimem waits for background index work (`idle()`, \"settle\"), and before searching runs `maintain()`.",
    `- mem0ai ${run.mem0Version ?? "?"} runs on Node ${m.node} as installed, with no workaround. Optional peers it uses here: ` +
      `${Object.entries(run.mem0Peers ?? {}).map(([name, version]) => `${name} ${version}`).join(", ") || "none found"}` +
      `${run.mem0Peers?.["natural"] === undefined ? " (no `natural`: its BM25 uses its built-in simple stemmer)" : ""}.`,
    `- A run that exceeds ${o.timeoutMinutes} min is killed and reported as not finished.`,
    ...checks(run),
    "",
    "## Ratios: omnimem (same fake endpoint) / Mem0",
    "",
    "A ratio below 1 for latency, peak RSS and disk, or above 1 for throughput, means omnimem does better. Mem0 has one search path " +
      "(vector + BM25 + entity boost, always), so both omnimem methods are compared with it.",
    "",
    ...ratioTable(run, "omnimem"),
    "",
  ];
  if (o.systems.includes("omnimem-local")) {
    lines.push("## Ratios: omnimem (local embedder, no server) / Mem0 (fake endpoint)", "", ...ratioTable(run, "omnimem-local"), "");
  }
  for (const n of o.sizes) lines.push(...scaleSection(run, n));
  lines.push(...inferSection(run));
  lines.push(
    "## What each system does per call",
    "",
    "- Mem0 `add(…, { infer: false })`, per message: one embedding request; lemmatise the text for BM25; one INSERT into the vector store's SQLite " +
      "table (its own transaction); one INSERT into the history SQLite database. No batching across messages.",
    "- Mem0 `search`: one embedding request for the query; entity extraction from the query and, when it finds any, a second (batched) embedding " +
      "request and a scan of the entity store; `SELECT *` of the whole vector table, JSON-parse of every payload and cosine in JavaScript; a second full " +
      "`SELECT *` for BM25 over every row; then scoring. Time and memory grow linearly with N.",
    "- Mem0 `add` with infer: one embedding of the conversation and a vector search for related memories, one LLM call (additive extraction, " +
      "JSON mode), one batched embedding of the extracted memories, inserts into the vector and history stores, entity extraction with an embedding " +
      "request for the entities and entity-store updates, and the conversation saved to the history database.",
    "- omnimem `add(…, { infer: false })`: one embedding request per 128 texts; the entries appended to the owner's markdown log of that day " +
      "(the truth; a new day's file is created, an edited one rewritten); the SQLite catalog, history and index outbox in one transaction (WAL, " +
      "synchronous=NORMAL: a commit survives the process being killed; markdown and WAL are fsynced once a second; WAL checkpoints run on a worker " +
      "thread). The call returns then: the LanceDB write (vector + BM25) follows in the background, one write for everything owed at most every 3 s " +
      "(group commit), and a search meanwhile finds the owed memories from the store.",
    "- omnimem `search`: vector = one query embedding, a LanceDB vector query under the owner's prefilter (exact below 50k rows in scope, HNSW above), " +
      "catalog hydration; hybrid = the same plus a BM25 query, fused by weighted RRF (score fusion with the local word-vector embedder). HNSW is approximate: at 100k memories in one owner's scope " +
      "vector search's \"source in top 10\" falls well below the exact scan's (hybrid gets it back through the keyword list); bench/reports/search-latency.md " +
      "measures the graph and `search.ann_ef` settings that trade latency for that recall.",
    "- omnimem `add` with infer (flush): one extraction call (episode + facts), one reconciliation call when the owner already has facts, " +
      "one embedding request per new fact to find related ones, one batched embedding request for the write.",
    "",
  );
  return lines.join("\n");
}

/**
 * Whether other work ran beside the benchmark: the CPUs measured more than a quarter busy just
 * before it started. Older runs have only the load average, which lags and over-reads (see
 * bench/cpu-busy.ts).
 */
function busyNote(m: SpeedRun["machine"]): string[] {
  if (m.cpuBusyAtStart === undefined) {
    const load = m.loadAtStart[0]!;
    return load > m.cores / 2 ? [`**The machine may have been busy** (load average ${load.toFixed(1)} on ${m.cores} cores at the start; this run did not sample CPU use).`, ""] : [];
  }
  const busy = (m.cpuBusyAtStart * 100).toFixed(0);
  if (m.cpuBusyAtStart > 0.25) {
    return [`**The machine was busy**: the CPUs were ${busy}% busy in the second before the start, so other work shared them and these latencies are noisy. Rerun on a quiet machine for numbers to quote.`, ""];
  }
  return [`The CPUs were ${busy}% busy in the second before the start (the load average lags and reads high on this kind of machine).`, ""];
}
