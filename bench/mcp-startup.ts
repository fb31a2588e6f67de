/**
 * How long `omnimem mcp` takes to start, as a client sees it: from spawning the process to the
 * answer to `initialize` (the handshake every MCP client waits for), and to the answer of a
 * first `search_memory` call (the memory opened). On an existing root with a few memories.
 * Besides wall time it reports the CPU time the process had used when the answer came (Linux,
 * /proc): on a machine busy with other work, that is what the start costs.
 *
 *   npm run build && npx tsx bench/mcp-startup.ts [--cli dist/cli/main.js] [--runs 10]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { cli: { type: "string", default: "dist/cli/main.js" }, runs: { type: "string", default: "10" } } });
const cli = resolve(values.cli!);
const runs = Number(values.runs);
const root = mkdtempSync(join(tmpdir(), "omnimem-mcp-startup-"));
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("OMNIMEM_"))), OMNIMEM_LOG_LEVEL: "error" };

// An existing root: a few memories, so the index and the catalog are there to open.
for (const text of ["The dentist moved to Tuesdays", "Alice likes teal", "The wifi password is hunter22"]) {
  const added = spawnSync(process.execPath, [cli, "add", "--root", root, "--user", "alice", "--no-infer", text], { env, encoding: "utf8" });
  if (added.status !== 0) throw new Error(`omnimem add failed: ${added.stderr}`);
}

/** user + system CPU time of a process so far, in ms (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

async function once(): Promise<{ initialize: number; firstSearch: number; initializeCpu: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, "mcp", "--root", root, "--user", "alice"], { env, stdio: ["pipe", "pipe", "inherit"] });
  const answers = new Map<number, number>();
  const cpuAt = new Map<number, number>();
  let buffered = "";
  const waiting = new Map<number, () => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const message = JSON.parse(buffered.slice(0, newline)) as { id?: number };
      buffered = buffered.slice(newline + 1);
      if (typeof message.id === "number") {
        answers.set(message.id, performance.now() - started);
        cpuAt.set(message.id, cpuMs(child.pid!));
        waiting.get(message.id)?.();
      }
    }
  });
  const request = (id: number, method: string, params: unknown) =>
    new Promise<void>((done) => {
      waiting.set(id, done);
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  await request(1, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } });
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  await request(2, "tools/call", { name: "search_memory", arguments: { query: "dentist" } });
  child.stdin.end();
  await new Promise((done) => child.once("exit", done));
  return { initialize: answers.get(1)!, firstSearch: answers.get(2)!, initializeCpu: cpuAt.get(1)! };
}

const initialize: number[] = [];
const firstSearch: number[] = [];
const initializeCpu: number[] = [];
await once(); // warm the OS file cache, as a second start of a client would find it
for (let i = 0; i < runs; i++) {
  const run = await once();
  initialize.push(run.initialize);
  firstSearch.push(run.firstSearch);
  initializeCpu.push(run.initializeCpu);
}
rmSync(root, { recursive: true, force: true });
const ms = (value: number) => `${Math.round(value)} ms`;
initialize.sort((a, b) => a - b);
firstSearch.sort((a, b) => a - b);
initializeCpu.sort((a, b) => a - b);
console.log(`omnimem mcp startup, ${runs} runs (${cli})`);
console.log(`  to the initialize answer:   p50 ${ms(percentile(initialize, 0.5))}  max ${ms(Math.max(...initialize))}`);
console.log(`  CPU time used by then:       p50 ${ms(percentile(initializeCpu, 0.5))}  max ${ms(Math.max(...initializeCpu))}`);
console.log(`  to a first search's answer: p50 ${ms(percentile(firstSearch, 0.5))}  max ${ms(Math.max(...firstSearch))}`);
