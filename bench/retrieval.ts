/**
 * Retrieval quality on LongMemEval and LoCoMo, through the public Memory API
 * (`npx tsx bench/retrieval.ts --help` lists the options).
 *
 * Stores each LongMemEval haystack (user turns) and each LoCoMo conversation in a scope of
 * its own with `infer: false`, searches every question with each method and scores the
 * rankings against the data sets' gold turns. Writes PREFIX.md (tables), PREFIX.json (every
 * number, for --compare), PREFIX.svg and PREFIX-locomo.svg (charts). The data is not part of
 * the project: by default the dev samples in ../shared/data are used when present.
 * See bench/retrieval/ for the protocol, one module per job.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, platform, tmpdir, totalmem } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Memory, type SearchMethod } from "../src/index.js";
import { isAbstention, loadLongMemEval, pickQuestions } from "./retrieval/longmemeval.js";
import { loadLocomo } from "./retrieval/locomo.js";
import { comparisonTable, renderCharts, renderMarkdown } from "./retrieval/report.js";
import type { RetrievalRun } from "./retrieval/results.js";
import { runLongMemEval } from "./retrieval/run-longmemeval.js";
import { runLocomo } from "./retrieval/run-locomo.js";
import { commandLine } from "./command-line.js";
import { OpenAICompatibleEmbedder } from "../src/providers/embedding/openai-embedder.js";
import type { MemoryOptions } from "../src/index.js";
import { CachingEmbedder } from "./retrieval/embedding-cache.js";
import { defaultFusion, defaultVectorWeight } from "../src/search/fusion-weights.js";
import { leavesNamesOut } from "../src/search/vector-query.js";

const REPOSITORY = join(import.meta.dirname, "..");
const SHARED_DATA = join(REPOSITORY, "..", "shared", "data");
const REPORTS = join(import.meta.dirname, "reports");
const QUICK_QUESTIONS = 10;
const QUICK_CONVERSATIONS = 1;
const METHODS: SearchMethod[] = ["keyword", "vector", "hybrid"];
const EMBEDDING_CACHE = join(import.meta.dirname, ".data", "embeddings");

const HELP = `Retrieval quality on LongMemEval and LoCoMo through omnimem's Memory API.

  npx tsx bench/retrieval.ts [options]

Data (the dev samples in ../shared/data when present):
  --longmemeval FILE|none   LongMemEval file (S, M or oracle layout; .json or .json.gz)
  --locomo FILE|none        LoCoMo file (locomo10.json layout; .json or .json.gz)
  --questions N             LongMemEval questions, taken in turn from each question type
  --conversations N         LoCoMo conversations, the first N
  --quick                   10 questions and 1 conversation, into bench/reports/retrieval-quick.*

What is measured:
  --methods LIST            comma-separated: keyword,vector,hybrid (default all three)
  --config JSON             Memory.open options merged over the defaults, e.g.
                            '{"search":{"vectorWeight":0.5,"timeWeight":0}}'
  --embedding-url URL       an OpenAI-compatible embedding endpoint instead of the local embedder
  --embedding-model NAME    its model (required with --embedding-url)
  --embedding-dimensions N  its output dimension (default: what the model returns)
  --embedding-key-env VAR   environment variable holding its API key
  --embedding-cache DIR|none  where endpoint embeddings are kept across runs
                            (default bench/.data/embeddings, gitignored): a rerun embeds only new texts

Output:
  --out PREFIX              writes PREFIX.md, .json, .svg, -locomo.svg (default bench/reports/retrieval)
  --label TEXT              names this run in the report and in later comparisons
  --compare BEFORE.json     adds a before -> after table against an earlier run's JSON
  --root DIR                keep the memory roots in DIR (default: a temporary folder, removed)
  --help                    this text

Each question's own date is passed as the search's \`now\` (LongMemEval question_date; LoCoMo: the
last session's date), so "last week" means the week before the question was asked.
`;

const { values } = parseArgs({
  options: {
    longmemeval: { type: "string" },
    locomo: { type: "string" },
    questions: { type: "string" },
    conversations: { type: "string" },
    methods: { type: "string", default: METHODS.join(",") },
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    label: { type: "string" },
    compare: { type: "string" },
    root: { type: "string" },
    config: { type: "string" },
    "embedding-url": { type: "string" },
    "embedding-model": { type: "string" },
    "embedding-dimensions": { type: "string" },
    "embedding-key-env": { type: "string" },
    "embedding-cache": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

/** A data file as the report names it: relative to the repository, so no home folder is published. */
function shownPath(path: string): string {
  return relative(REPOSITORY, path);
}

function countFlag(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return count;
}

/** A path given on the command line ("none" skips the data set), or the dev sample when it exists. */
function dataPath(given: string | undefined, sample: string): string | undefined {
  if (given === "none") return undefined;
  if (given !== undefined) return resolve(given);
  const path = join(SHARED_DATA, sample);
  return existsSync(path) ? path : undefined;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const configOverrides = values.config === undefined ? {} : (JSON.parse(values.config) as Partial<MemoryOptions>);
if (values["embedding-url"] !== undefined && values["embedding-model"] === undefined) throw new Error("--embedding-url needs --embedding-model");

/** The endpoint embedder, wrapped in the on-disk cache unless --embedding-cache none. */
function endpointEmbedder(): CachingEmbedder | OpenAICompatibleEmbedder | undefined {
  const baseURL = values["embedding-url"];
  if (baseURL === undefined) return undefined;
  const keyVariable = values["embedding-key-env"];
  const inner = new OpenAICompatibleEmbedder({
    baseURL,
    model: values["embedding-model"]!,
    ...(values["embedding-dimensions"] === undefined ? {} : { dimensions: countFlag(values["embedding-dimensions"], 0, "embedding-dimensions") }),
    ...(keyVariable === undefined ? {} : { apiKey: process.env[keyVariable] }),
  });
  const cache = values["embedding-cache"] ?? EMBEDDING_CACHE;
  return cache === "none" ? inner : new CachingEmbedder(inner, resolve(cache));
}
const embedder = endpointEmbedder();
const openMemory = (path: string) => Memory.open({ ...configOverrides, root: path, logLevel: "error", ...(embedder === undefined ? {} : { embedder }) });
const methods = values.methods.split(",").map((method) => method.trim()) as SearchMethod[];
for (const method of methods) if (!METHODS.includes(method)) throw new Error(`--methods: unknown method ${method} (keyword, vector, hybrid)`);
const questionCount = countFlag(values.questions, values.quick ? QUICK_QUESTIONS : Number.POSITIVE_INFINITY, "questions");
const conversationCount = countFlag(values.conversations, values.quick ? QUICK_CONVERSATIONS : Number.POSITIVE_INFINITY, "conversations");
// The quick run never overwrites the full report.
const outPrefix = values.out === undefined ? join(REPORTS, values.quick ? "retrieval-quick" : "retrieval") : resolve(values.out);
const longMemEvalPath = dataPath(values.longmemeval, "longmemeval_s_dev60.json.gz");
const locomoPath = dataPath(values.locomo, "locomo_dev3.json.gz");
if (longMemEvalPath === undefined && locomoPath === undefined) {
  throw new Error(`no data: pass --longmemeval and/or --locomo (the dev samples in ${SHARED_DATA} were not found)`);
}
// Read the earlier run first: --out may name the same file.
const before = values.compare === undefined ? undefined : (JSON.parse(await readFile(values.compare, "utf8")) as RetrievalRun);

const started = performance.now();
const root = values.root === undefined ? await mkdtemp(join(tmpdir(), "omnimem-retrieval-")) : resolve(values.root);
const run: RetrievalRun = {
  label: values.label,
  date: new Date().toISOString().slice(0, 10),
  command: commandLine("bench/retrieval.ts", process.argv.slice(2)),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: platform(),
  },
  wallSeconds: 0,
  methods,
};

try {
  if (longMemEvalPath !== undefined) {
    const all = await loadLongMemEval(longMemEvalPath);
    const kept = all.filter((question) => !isAbstention(question));
    const questions = pickQuestions(kept, questionCount);
    log(`longmemeval: ${questions.length} of ${kept.length} non-abstention questions from ${longMemEvalPath}`);
    // Each data set in a store of its own, so one's BM25 statistics do not leak into the other's.
    const memory = await openMemory(join(root, "longmemeval"));
    run.setup ??= setupOf(memory);
    try {
      run.longmemeval = await runLongMemEval(memory, { path: shownPath(longMemEvalPath), questions, abstentionExcluded: all.length - kept.length, methods, log });
    } finally {
      await memory.close();
    }
  }
  if (locomoPath !== undefined) {
    const samples = (await loadLocomo(locomoPath)).slice(0, conversationCount);
    log(`locomo: ${samples.length} conversations from ${locomoPath}`);
    const memory = await openMemory(join(root, "locomo"));
    run.setup ??= setupOf(memory);
    try {
      run.locomo = await runLocomo(memory, { path: shownPath(locomoPath), samples, methods, log });
    } finally {
      await memory.close();
    }
  }
} finally {
  if (values.root === undefined) await rm(root, { recursive: true, force: true });
}
run.wallSeconds = (performance.now() - started) / 1000;
if (embedder instanceof CachingEmbedder) log(`embedding cache: ${embedder.hits} texts from the cache, ${embedder.misses} embedded`);

/** What the report says was measured: the embedder and the search settings in effect. */
function setupOf(memory: Memory): NonNullable<RetrievalRun["setup"]> {
  const { rrfK, vectorWeight, timeWeight, fusion } = memory.config.search;
  const { name, model, dimensions } = memory.embedderInfo;
  return {
    embedder: { name, model, dimensions },
    search: { fusion: fusion ?? defaultFusion(name), rrfK, vectorWeight: vectorWeight ?? defaultVectorWeight(name), timeWeight, vectorQuery: leavesNamesOut(name) ? "without names" : "as is" },
  };
}

await mkdir(dirname(outPrefix), { recursive: true });
const charts = renderCharts(run);
const chartFiles: { longmemeval?: string; locomo?: string } = {};
if (charts.longmemeval !== undefined) {
  await writeFile(`${outPrefix}.svg`, charts.longmemeval);
  chartFiles.longmemeval = basename(`${outPrefix}.svg`);
}
if (charts.locomo !== undefined) {
  await writeFile(`${outPrefix}-locomo.svg`, charts.locomo);
  chartFiles.locomo = basename(`${outPrefix}-locomo.svg`);
}
await writeFile(`${outPrefix}.json`, `${JSON.stringify(run, null, 1)}\n`);
await writeFile(`${outPrefix}.md`, renderMarkdown(run, chartFiles, before));

const summary: string[] = [`retrieval: ${run.wallSeconds.toFixed(1)} s`];
for (const [method, result] of Object.entries(run.longmemeval?.methods ?? {})) {
  summary.push(
    `  longmemeval ${method}: session recall_any@5 ${result.session["recall_any@5"]!.toFixed(3)}, recall_all@5 ${result.session["recall_all@5"]!.toFixed(3)}, ndcg_any@10 ${result.session["ndcg_any@10"]!.toFixed(3)}; turn recall_any@10 ${result.turn["recall_any@10"]!.toFixed(3)}`,
  );
}
for (const [method, result] of Object.entries(run.locomo?.methods ?? {})) {
  summary.push(`  locomo ${method}: recall@5 ${result.overall["recall@5"]!.toFixed(3)}, @10 ${result.overall["recall@10"]!.toFixed(3)}, @25 ${result.overall["recall@25"]!.toFixed(3)}`);
}
summary.push(`  wrote ${outPrefix}.md, .json${chartFiles.longmemeval === undefined ? "" : ", .svg"}${chartFiles.locomo === undefined ? "" : ", -locomo.svg"}`);
console.log(summary.join("\n"));
if (before !== undefined) console.log(`\n${comparisonTable(before, run)}`);
