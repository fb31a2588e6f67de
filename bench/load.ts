/**
 * Load test of `omnimem serve` on loopback (not a unit test).
 *
 *   npx tsx bench/load.ts [--clients 50] [--seconds 30] [--report bench/reports/load.md]
 *
 * Starts the server as a child process on a fresh root (local mode: no model), then runs N
 * concurrent clients for a fixed time. Each client is one user with its own sessions; it mixes
 * adds (mostly buffered, one in ten with sync: true), searches (keyword, vector, hybrid) and a
 * /flush when it moves to its next session. Every add carries unique marker words. Afterwards
 * every session is flushed and every acknowledged turn must be found again: by /get (all of
 * each user's memories) and, for a sample, by a keyword search. Prints and writes a report.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { OmnimemClient } from "../src/client/index.js";
import type { SearchMethod } from "../src/spec/types.js";
import { CLI_NODE_ARGS } from "../test/support/cli-process.js";
import { seededRandom } from "./synthetic-text.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "50" },
    seconds: { type: "string", default: "30" },
    report: { type: "string", default: join(import.meta.dirname, "reports", "load.md") },
    "turns-per-session": { type: "string", default: "12" },
    "search-sample": { type: "string", default: "300" },
    /** A folder: the server writes a V8 CPU profile there when it stops (open it in Chrome's DevTools). */
    "cpu-prof": { type: "string" },
  },
});
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const TURNS_PER_SESSION = Number(values["turns-per-session"]);
const SEARCH_SAMPLE = Number(values["search-sample"]);
const TOPICS = ["planning", "budget", "whiteboard", "roadmap", "hiring", "travel", "garden", "recipes", "music", "fitness"];
const METHODS: SearchMethod[] = ["keyword", "vector", "hybrid"];

type Operation = "add" | "add-sync" | "search" | "flush";

interface Acknowledged {
  user: string;
  session: string;
  marker: string;
}

const latencies = new Map<Operation, number[]>();
const errors: { operation: Operation; message: string }[] = [];
const acknowledged: Acknowledged[] = [];
const sessions = new Set<string>();

function record(operation: Operation, ms: number): void {
  let list = latencies.get(operation);
  if (list === undefined) latencies.set(operation, (list = []));
  list.push(ms);
}



/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere.
 * The latencies depend on how busy the machine is; the CPU per request does far less.
 */
async function processCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || process.platform !== "linux") return undefined;
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th.
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Linux's clock ticks per second for /proc times (sysconf(_SC_CLK_TCK)); 100 on every common build. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

async function startServer(root: string): Promise<{ url: string; pid: number | undefined; stop: () => Promise<number | null> }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("OMNIMEM_")));
  const profile = values["cpu-prof"] === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]];
  const child = spawn(process.execPath, [...profile, ...CLI_NODE_ARGS, "serve", "--root", root, "--port", "0"], {
    env: { ...env, OMNIMEM_LOG_LEVEL: "error" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /listening on (\S+)/.exec(stdout);
      if (match !== null) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

async function timed<T>(operation: Operation, call: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  try {
    const value = await call();
    record(operation, performance.now() - started);
    return value;
  } catch (error) {
    errors.push({ operation, message: `${(error as { code?: string }).code ?? ""} ${(error as Error).message}` });
    return undefined;
  }
}

async function runClient(index: number, client: OmnimemClient, deadline: number): Promise<void> {
  const next = seededRandom(index + 1);
  const user = `user${index}`;
  let sessionNumber = 0;
  let turnsInSession = 0;
  let seq = 0;
  let session = `c${index}-s${sessionNumber}`;
  sessions.add(`${user}|${session}`);
  while (Date.now() < deadline) {
    const roll = next();
    if (roll < 0.6) {
      const sync = next() < 0.1;
      const count = next() < 0.5 ? 1 : 2;
      const markers = Array.from({ length: count }, () => `mk${index}x${seq++}q`);
      const topic = TOPICS[Math.floor(next() * TOPICS.length)]!;
      const messages = markers.map((marker, i) => ({
        sender_id: user,
        role: (i === 0 ? "user" : "assistant") as "user" | "assistant",
        content: `note ${marker} about the ${topic} discussion, item ${seq}`,
      }));
      const result = await timed(sync ? "add-sync" : "add", () => client.add({ session_id: session, user_id: user, messages, sync }));
      if (result !== undefined) for (const marker of markers) acknowledged.push({ user, session, marker });
      turnsInSession += count;
      if (turnsInSession >= TURNS_PER_SESSION) {
        await timed("flush", () => client.flush({ session_id: session, user_id: user }));
        session = `c${index}-s${++sessionNumber}`;
        sessions.add(`${user}|${session}`);
        turnsInSession = 0;
      }
    } else {
      const topic = TOPICS[Math.floor(next() * TOPICS.length)]!;
      const method = METHODS[Math.floor(next() * METHODS.length)]!;
      await timed("search", () => client.search({ user_id: user, query: `${topic} discussion`, method, top_k: 10 }));
    }
  }
}

async function verify(client: OmnimemClient): Promise<{ missing: Acknowledged[]; searchMisses: Acknowledged[]; memories: number; pending: number }> {
  for (const key of sessions) {
    const [user, session] = key.split("|") as [string, string];
    await client.flush({ session_id: session, user_id: user });
  }
  const textByUser = new Map<string, string>();
  let memories = 0;
  for (let index = 0; index < CLIENTS; index++) {
    const user = `user${index}`;
    const texts: string[] = [];
    for (let page = 1; ; page++) {
      const data = await client.get({ user_id: user, page, page_size: 100, sort_order: "asc" });
      texts.push(...data.episodes.map((episode) => episode.episode));
      memories += data.count;
      if (page * 100 >= data.total_count) break;
    }
    textByUser.set(user, texts.join("\n"));
  }
  const missing = acknowledged.filter(({ user, marker }) => !new RegExp(`\\b${marker}\\b`).test(textByUser.get(user) ?? ""));
  let pending = 0;
  for (const key of [...sessions].slice(0, 20)) {
    const [user, session] = key.split("|") as [string, string];
    pending += (await client.search({ user_id: user, query: "note", session_id: session })).unprocessed_messages.length;
  }
  const sample = seededRandom(99);
  const searchMisses: Acknowledged[] = [];
  for (let i = 0; i < Math.min(SEARCH_SAMPLE, acknowledged.length); i++) {
    const turn = acknowledged[Math.floor(sample() * acknowledged.length)]!;
    const found = await client.search({ user_id: turn.user, query: turn.marker, method: "keyword", top_k: 5 });
    if (!found.episodes.some((episode) => episode.episode.includes(turn.marker))) searchMisses.push(turn);
  }
  return { missing, searchMisses, memories, pending };
}

function table(seconds: number): string[] {
  const all = [...latencies.values()].flat().sort((a, b) => a - b);
  const rows = ["| operation | count | per second | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|"];
  const row = (name: string, list: number[]) => {
    const sorted = [...list].sort((a, b) => a - b);
    rows.push(
      `| ${name} | ${sorted.length} | ${(sorted.length / seconds).toFixed(1)} | ${percentile(sorted, 0.5).toFixed(1)} | ${percentile(sorted, 0.99).toFixed(1)} | ${(sorted.at(-1) ?? Number.NaN).toFixed(1)} |`,
    );
  };
  for (const operation of ["add", "add-sync", "search", "flush"] as Operation[]) row(operation, latencies.get(operation) ?? []);
  row("**all**", all);
  return rows;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "omnimem-load-"));
  const server = await startServer(root);
  const client = new OmnimemClient({ baseUrl: server.url, maxRetries: 0, timeoutMs: 60_000 });
  let exitCode: number | null = null;
  try {
    const started = performance.now();
    const serverCpuBefore = await processCpuSeconds(server.pid);
    const clientCpuBefore = process.cpuUsage();
    const deadline = Date.now() + SECONDS * 1000;
    await Promise.all(Array.from({ length: CLIENTS }, (_, index) => runClient(index, client, deadline)));
    const elapsed = (performance.now() - started) / 1000;
    const serverCpuAfter = await processCpuSeconds(server.pid);
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const clientCpuSeconds = (clientCpu.user + clientCpu.system) / 1e6;
    const checkStarted = performance.now();
    const { missing, searchMisses, memories, pending } = await verify(client);
    const checkSeconds = (performance.now() - checkStarted) / 1000;
    // One search at a time on the final index: what a search costs without queueing behind others.
    const idle: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      await client.search({ user_id: `user${i % CLIENTS}`, query: `${TOPICS[i % TOPICS.length]} discussion`, method: "hybrid", top_k: 10 });
      idle.push(performance.now() - started);
    }
    idle.sort((a, b) => a - b);
    const metrics = await client.metrics();
    exitCode = await server.stop();

    const total = [...latencies.values()].reduce((sum, list) => sum + list.length, 0);
    const lines = [
      "# Load test: `omnimem serve` on loopback",
      "",
      `Command: \`npx tsx bench/load.ts --clients ${CLIENTS} --seconds ${SECONDS}\` (${new Date().toISOString().slice(0, 10)}).`,
      "",
      `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. ` +
        "The server (one process, local mode: no LLM, local embedder, embedded store) and the load generator share the machine.",
      "",
      `${CLIENTS} concurrent clients for ${SECONDS} s, each one user moving through its own sessions (${TURNS_PER_SESSION} turns each, then /flush): ` +
        "60 % adds of 1–2 turns (one in ten with `sync: true`, the rest buffered), 40 % searches (keyword, vector, hybrid; top_k 10). " +
        "Latency is measured in the client, end to end over HTTP (keep-alive), with no retries.",
      "",
      ...table(elapsed),
      "",
      `Throughput: **${(total / elapsed).toFixed(1)} requests/s** over ${elapsed.toFixed(1)} s (${total} requests); ` +
        `${acknowledged.length} turns acknowledged in ${sessions.size} sessions.`,
      "",
      ...(serverCpuBefore === undefined || serverCpuAfter === undefined
        ? []
        : [
            `CPU over the run: the server ${(serverCpuAfter - serverCpuBefore).toFixed(1)} s (all its threads; ` +
              `**${((1000 * (serverCpuAfter - serverCpuBefore)) / total).toFixed(2)} ms per request**), the load generator ${clientCpuSeconds.toFixed(1)} s, ` +
              `of the ${(cpus().length * elapsed).toFixed(0)} CPU-seconds the machine had. Latency under a closed loop of ${CLIENTS} clients is ` +
              "mostly waiting for a core, so it moves with whatever else the machine runs; the CPU per request is the steadier measure of the server's cost.",
            "",
          ]),
      `Errors: **${errors.length}**${errors.length === 0 ? "" : ` (first: ${errors[0]!.operation}: ${errors[0]!.message})`}.`,
      "",
      `Nothing lost: after flushing every session, /get returned ${memories} memories; ` +
        `**${acknowledged.length - missing.length} of ${acknowledged.length}** acknowledged turns were found in them ` +
        `(${missing.length} missing), ${pending} turns left pending in the sampled sessions, and a keyword search for the marker found ` +
        `${Math.min(SEARCH_SAMPLE, acknowledged.length) - searchMisses.length} of ${Math.min(SEARCH_SAMPLE, acknowledged.length)} sampled turns. ` +
        `Checking took ${checkSeconds.toFixed(1)} s. The server then stopped on SIGTERM with exit code ${exitCode}.`,
      ...(missing.length + searchMisses.length === 0
        ? []
        : ["", `Missing: ${[...missing, ...searchMisses].slice(0, 5).map((turn) => `${turn.user}/${turn.session}/${turn.marker}`).join(", ")}.`]),
      "",
      `One hybrid search at a time on the final index (no other load): p50 ${percentile(idle, 0.5).toFixed(1)} ms, ` +
        `p99 ${percentile(idle, 0.99).toFixed(1)} ms: under load the time goes to waiting behind the other requests for the two cores ` +
        "(and, for sync adds and flushes, for the index's one write chain: each write is a LanceDB commit).",
      "",
      "Server-side view (from /metrics):",
      "",
      "```",
      ...metrics.split("\n").filter((line) => /^omnimem_(memories|index_documents|index_size_bytes) /.test(line)),
      "```",
      "",
    ];
    const report = lines.join("\n");
    process.stdout.write(report);
    await mkdir(dirname(values.report), { recursive: true });
    await writeFile(values.report, report);
    if (errors.length > 0 || missing.length > 0 || searchMisses.length > 0 || pending > 0 || exitCode !== 0) process.exitCode = 1;
  } finally {
    if (exitCode === null) await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
