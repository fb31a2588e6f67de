/**
 * `npm run bench`: a quick version of the benchmarks, one after another (small N, a few
 * questions, short timings; under 2 minutes on a 2-core machine). Not the numbers to quote:
 * the full runs are the commands in FULL_RUNS below (also at the top of each script and report).
 *
 *   npx tsx bench/run-quick.ts
 *
 * - speed:     bench/speed.ts --quick              -> bench/reports/speed-quick.md (+ .json)
 * - retrieval: bench/retrieval.ts --quick          -> bench/reports/retrieval-quick.md (+ .json, SVGs)
 * - parse:     bench/parse.ts --seconds 0.3        -> printed, and saved to bench/reports/parse-quick.md
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

const ROOT = join(import.meta.dirname, "..");

interface Step {
  name: string;
  script: string;
  args: string[];
  /** Where to save the step's stdout, for benchmarks that only print. */
  saveTo?: string;
}

const steps: Step[] = [
  { name: "speed", script: "bench/speed.ts", args: ["--quick"] },
  { name: "retrieval", script: "bench/retrieval.ts", args: ["--quick"] },
  { name: "parse", script: "bench/parse.ts", args: ["--seconds", "0.3"], saveTo: "bench/reports/parse-quick.md" },
];

function run(step: Step): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, step.script), ...step.args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.on("exit", (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), stdout }));
  });
}

/** The full runs, on a quiet machine (minutes to an hour each). */
const FULL_RUNS = [
  "npx tsx bench/speed.ts                      # N = 1k, 10k, 100k: omnimem vs Mem0 -> bench/reports/speed.md (+ .json)",
  "npx tsx bench/retrieval.ts                  # retrieval quality (see its header)",
  "npx tsx bench/parse.ts --seconds 3          # parse throughput per format -> stdout (bench/reports/parse.md)",
  "npx tsx bench/search-latency.ts --sizes 10000,100000 --queries 300   # bench/reports/search-latency.md",
  "npx tsx bench/formation-cost.ts             # bench/reports/formation-cost.md",
  "npx tsx bench/load.ts --clients 50 --seconds 30   # bench/reports/load.md",
];

const started = performance.now();
const summary: string[] = [];
let failed = false;
for (const step of steps) {
  console.log(`\n== ${step.name}: ${step.script} ${step.args.join(" ")}`);
  const stepStarted = performance.now();
  const { code, stdout } = await run(step);
  const seconds = ((performance.now() - stepStarted) / 1000).toFixed(1);
  const reports = new Set<string>();
  if (step.saveTo !== undefined && code === 0) {
    const path = join(ROOT, step.saveTo);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `<!-- npm run bench (quick): ${step.script} ${step.args.join(" ")}, ${new Date().toISOString()} -->\n${stdout}`);
    reports.add(step.saveTo);
  }
  for (const match of stdout.matchAll(/bench\/reports\/[\w./-]+\.(?:md|json)/g)) reports.add(match[0]);
  if (code !== 0) failed = true;
  summary.push(`- ${step.name}: ${code === 0 ? "ok" : `FAILED (exit ${code})`} in ${seconds} s${reports.size > 0 ? `; report: ${[...reports].join(", ")}` : ""}`);
}

console.log(`\n== quick benchmarks done in ${((performance.now() - started) / 1000).toFixed(1)} s (${relative(process.cwd(), ROOT) || "."})`);
console.log(summary.join("\n"));
console.log(`Full runs (quiet machine):\n${FULL_RUNS.map((line) => `  ${line}`).join("\n")}`);
process.exitCode = failed ? 1 : 0;
