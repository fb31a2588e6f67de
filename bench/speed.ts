/**
 * bench/speed: add and search latency, throughput, peak memory, and model calls per add, for
 * omnimem and for Mem0's TypeScript SDK (npm `mem0ai`, OSS `Memory`), both pointed at the same
 * fake OpenAI server (same embedding vectors), plus omnimem with its local embedder (no server).
 *
 *   npx tsx bench/speed.ts                       # full: N = 1k, 10k, 100k -> bench/reports/speed.md
 *   npx tsx bench/speed.ts --sizes 1000,10000    # smaller
 *   npx tsx bench/speed.ts --quick               # N = 1k, fewer queries -> bench/reports/speed-quick.md
 *   npx tsx bench/speed.ts --help                # this text
 *   options: --systems mem0,omnimem,omnimem-local --queries 200 --single-adds 500 --users 1
 *            --days 365 (the memories' timestamps span this many days; 1 = all on one day) --dims 256 --infer-adds 20 --search-budget-s 180 --timeout-min 60 --no-infer
 *            --report PATH (markdown; the JSON goes next to it)
 *            --malloc-arena-max N (MALLOC_ARENA_MAX for every child, both systems: glibc's malloc arenas)
 *
 * The fake server runs here, once; each (system, N) runs in a child process of its own
 * (bench/speed/child-runner.ts), one after another, so peak memory is per system.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { startFakeOpenAI } from "../test/support/fake-openai-server.js";
import { cpuBusyShare } from "./cpu-busy.js";
import { fakeModel, type ChatKinds } from "./speed/fake-model.js";
import { isSystemName, type ChildMessage, type ChildResult, type InferResult, type ScaleResult, type SystemName } from "./speed/protocol.js";
import { renderReport, type InferEntry, type ScaleEntry, type SpeedRun } from "./speed/report.js";
import { commandLine } from "./command-line.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string" },
    quick: { type: "boolean", default: false },
    systems: { type: "string", default: "mem0,omnimem,omnimem-local" },
    queries: { type: "string" },
    "single-adds": { type: "string" },
    users: { type: "string", default: "1" },
    days: { type: "string", default: "365" },
    dims: { type: "string", default: "256" },
    "infer-adds": { type: "string" },
    "search-budget-s": { type: "string" },
    "timeout-min": { type: "string" },
    "no-infer": { type: "boolean", default: false },
    report: { type: "string" },
    "malloc-arena-max": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  // The usage is this file's header comment, the one place it is kept.
  const source = await readFile(import.meta.filename, "utf8");
  const header = source.slice(source.indexOf("/**") + 3, source.indexOf("*/"));
  console.log(header.replace(/^ ?\* ?/gm, "").trim());
  process.exit(0);
}

const quick = values.quick;
const sizes = (values.sizes ?? (quick ? "1000" : "1000,10000,100000")).split(",").map((size) => Number(size.trim()));
const systems = values.systems.split(",").map((name) => name.trim());
for (const name of systems) if (!isSystemName(name)) throw new Error(`unknown system ${name} (mem0, omnimem, omnimem-local)`);
const options = {
  queries: Number(values.queries ?? (quick ? 50 : 200)),
  singleAdds: Number(values["single-adds"] ?? (quick ? 200 : 500)),
  users: Number(values.users),
  days: Number(values.days),
  dimensions: Number(values.dims),
  inferAdds: values["no-infer"] ? 0 : Number(values["infer-adds"] ?? (quick ? 5 : 20)),
  searchBudgetSeconds: Number(values["search-budget-s"] ?? (quick ? 20 : 180)),
  timeoutMinutes: Number(values["timeout-min"] ?? (quick ? 5 : 60)),
  ...(values["malloc-arena-max"] === undefined ? {} : { mallocArenaMax: Number(values["malloc-arena-max"]) }),
};
const reportPath = values.report ?? join(import.meta.dirname, "reports", quick ? "speed-quick.md" : "speed.md");
const jsonPath = reportPath.replace(/\.md$/, "") + ".json";
const CHILD = join(import.meta.dirname, "speed", "child-runner.ts");

// ---- the fake server -------------------------------------------------------------------------

const server = await startFakeOpenAI({ embeddingDimensions: options.dimensions, logRequests: false });
const chatKinds: ChatKinds = new Map();
server.chat.setDefault(fakeModel(chatKinds));
// Which dimensions each system asked for: the vector is a function of (text, dimensions) only.
const dimsAsked = new Map<number, number>();
const vectorFor = server.embeddings.vectorFor.bind(server.embeddings);
server.embeddings.vectorFor = (text: string, dimensions?: number) => {
  const dims = dimensions ?? server.embeddings.defaultDimensions;
  dimsAsked.set(dims, (dimsAsked.get(dims) ?? 0) + 1);
  return vectorFor(text, dims);
};

// Children get a HOME of their own (Mem0 writes ~/.mem0/config.json) and no OMNIMEM_* settings.
const home = await mkdtemp(join(tmpdir(), "omnimem-speed-home-"));
const childEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("OMNIMEM_") && !name.startsWith("MEM0_"))),
  HOME: home,
  MEM0_TELEMETRY: "false",
  OPENAI_BASE_URL: server.baseURL,
  OPENAI_API_KEY: "sk-fake",
  ...(options.mallocArenaMax === undefined ? {} : { MALLOC_ARENA_MAX: String(options.mallocArenaMax) }),
};

let running: ChildProcess | undefined;
const stop = () => {
  if (running?.pid !== undefined) {
    try {
      process.kill(-running.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  process.exit(130);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

type Outcome = { status: "ok"; result: ChildResult } | { status: "timeout" } | { status: "error"; message: string };

async function runChild(system: SystemName, args: string[]): Promise<Outcome & { wallSeconds: number }> {
  // The child's data folder is made and removed here, so a killed child leaves nothing behind.
  const dir = await mkdtemp(join(tmpdir(), `omnimem-speed-${system}-`));
  try {
    return await runChildIn(["--system", system, "--dir", dir, ...args]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runChildIn(args: string[]): Promise<Outcome & { wallSeconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: childEnv,
    detached: true, // its own process group, so a timeout can end everything it started
  });
  running = child;
  return new Promise((resolve) => {
    let outcome: Outcome | undefined;
    const timer = setTimeout(() => {
      outcome = { status: "timeout" };
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, options.timeoutMinutes * 60_000);
    child.on("message", (message: ChildMessage) => {
      if (message.type === "usage-request") child.send({ type: "usage", id: message.id, usage: { ...server.usage } });
      else if (message.type === "progress") console.log(`  ${message.text}`);
      else if (message.type === "result") outcome ??= { status: "ok", result: message.result };
      else if (message.type === "error") outcome ??= { status: "error", message: message.message };
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      const wallSeconds = (performance.now() - started) / 1000;
      resolve({ ...(outcome ?? { status: "error", message: `the child exited (${signal ?? code}) without a result` }), wallSeconds });
    });
  });
}

// ---- the runs --------------------------------------------------------------------------------

const command = commandLine("bench/speed.ts", process.argv.slice(2));
const run: SpeedRun = {
  date: new Date().toISOString(),
  command,
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "?",
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    os: `${process.platform} ${release()}`,
    loadAtStart: loadavg(),
    cpuBusyAtStart: await cpuBusyShare(),
  },
  options: { ...options, sizes, systems: systems as SystemName[] },
  scale: [],
  infer: [],
};
run.mem0Peers = {};
for (const name of ["better-sqlite3", "compromise", "natural"]) {
  const version = await readFile(join(import.meta.dirname, "..", "node_modules", name, "package.json"), "utf8")
    .then((text) => (JSON.parse(text) as { version: string }).version)
    .catch(() => undefined);
  if (version !== undefined) run.mem0Peers[name] = version;
}
run.mem0Version = await readFile(join(import.meta.dirname, "..", "node_modules", "mem0ai", "package.json"), "utf8")
  .then((text) => (JSON.parse(text) as { version: string }).version)
  .catch(() => "?");

async function save(): Promise<void> {
  run.loadAtEnd = loadavg();
  await mkdir(dirname(reportPath), { recursive: true });
  await writeFile(reportPath, renderReport(run));
  await writeFile(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
}

console.log(`speed benchmark: sizes ${sizes.join(", ")}; systems ${systems.join(", ")}; fake server ${server.baseURL}`);
for (const n of sizes) {
  for (const system of systems as SystemName[]) {
    console.log(`- ${system}, N = ${n}`);
    dimsAsked.clear();
    const args = [
      "--mode", "scale", "--n", String(n), "--base-url", server.baseURL,
      "--dims", String(options.dimensions), "--users", String(options.users), "--days", String(options.days), "--single-adds", String(options.singleAdds),
      "--queries", String(options.queries), "--search-budget-s", String(options.searchBudgetSeconds),
    ];
    const outcome = await runChild(system, args);
    const entry: ScaleEntry = { system, n, status: outcome.status, wallSeconds: outcome.wallSeconds, embeddingDims: Object.fromEntries(dimsAsked) };
    if (outcome.status === "ok") entry.result = outcome.result as ScaleResult;
    if (outcome.status === "error") entry.message = outcome.message;
    if (outcome.status !== "ok") console.log(`  ${outcome.status}${outcome.status === "error" ? `: ${outcome.message.split("\n")[0]}` : ` after ${options.timeoutMinutes} min`}`);
    else {
      const r = entry.result!;
      console.log(
        `  single add p50 ${r.singleAdd.latency.p50.toFixed(2)} ms, ${r.singleAdd.latency.perSecond.toFixed(0)} adds/s; ` +
          r.search.map((s) => `${s.method} p50 ${s.latency.p50.toFixed(2)} ms recall ${(s.recallAt10 * 100).toFixed(0)}%`).join("; ") +
          `; peak RSS ${r.memory.peakRssMiB.toFixed(0)} MiB (${outcome.wallSeconds.toFixed(0)} s)`,
      );
    }
    run.scale.push(entry);
    await save();
  }
}

if (options.inferAdds > 0) {
  for (const system of systems as SystemName[]) {
    console.log(`- ${system}, infer: ${options.inferAdds} adds with extraction`);
    chatKinds.clear();
    const outcome = await runChild(system, [
      "--mode", "infer", "--adds", String(options.inferAdds), "--base-url", server.baseURL, "--dims", String(options.dimensions),
    ]);
    const entry: InferEntry = { system, status: outcome.status, wallSeconds: outcome.wallSeconds, chatKinds: Object.fromEntries(chatKinds) };
    if (outcome.status === "ok") {
      entry.result = outcome.result as InferResult;
      const r = entry.result;
      console.log(`  per add: ${r.perAdd.chatCalls} chat, ${r.perAdd.embeddingCalls} embedding calls, ${r.perAdd.promptTokens.toFixed(0)} prompt tokens`);
    } else {
      if (outcome.status === "error") entry.message = outcome.message;
      console.log(`  ${outcome.status}${outcome.status === "error" ? `: ${outcome.message.split("\n")[0]}` : ""}`);
    }
    run.infer.push(entry);
    await save();
  }
}

await save();
await server.close();
await rm(home, { recursive: true, force: true });
console.log(`report: ${relative(process.cwd(), reportPath)} (+ ${relative(process.cwd(), jsonPath)})`);
