import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Memory } from "../memory.js";
import type { SearchMethod } from "../spec/types.js";
import { line, type Output } from "./output.js";

const CONVERSATION = [
  { role: "user", content: "We finished the planning session; the whiteboard lists three launch risks: payments, onboarding and the EU data rules." },
  { role: "assistant", content: "Noted the three launch risks from the whiteboard." },
  { role: "user", content: "My corgi Biscuit has a vet appointment next Thursday at 9." },
  { role: "user", content: "I switched from oat milk to soy milk in my coffee." },
];

const QUERIES = ["whiteboard from the planning session", "when is the dog at the vet", "what milk do I drink"];

/**
 * Proves an install works, offline and with no key: a throwaway root, a short conversation,
 * the three search methods, the markdown that holds it, and a second user who sees nothing.
 */
export async function runDemo(options: { output: Output; keep: boolean }): Promise<void> {
  const { output } = options;
  const root = await mkdtemp(join(tmpdir(), "omnimem-demo-"));
  const started = performance.now();
  const memory = await Memory.open({ root, logLevel: "error" });
  const report: Record<string, unknown> = { root };
  try {
    const added = await memory.add(CONVERSATION, { userId: "alice", sessionId: "demo", infer: false });
    report.added = added.results.length;
    line(output, `omnimem demo: data root ${root} (local embedder, no model needed)`);
    line(output, `added ${added.results.length} memories for alice`);
    const searches: Record<string, unknown> = {};
    for (const query of QUERIES) {
      line(output, `\nsearch "${query}"`);
      for (const method of ["keyword", "vector", "hybrid"] as SearchMethod[]) {
        const { results } = await memory.search(query, { userId: "alice", method, limit: 1 });
        const top = results[0];
        searches[`${method}: ${query}`] = top === undefined ? null : { memory: top.memory, score: top.score };
        line(output, `  ${method.padEnd(7)} ${top === undefined ? "(nothing)" : `${top.score.toFixed(3)}  ${top.memory}`}`);
      }
    }
    report.searches = searches;
    const bob = await memory.search("whiteboard", { userId: "bob" });
    report.bobSees = bob.results.length;
    line(output, `\nbob searches "whiteboard": ${bob.results.length} results (memories are per owner)`);
    const [file] = await memory.memoryStore.logFiles();
    if (file !== undefined) {
      const markdown = await readFile(join(root, file), "utf8");
      report.markdownFile = file;
      line(output, `\nthe truth is markdown: ${file}\n${markdown.split("\n").slice(0, 24).join("\n")}\n...`);
    }
  } finally {
    await memory.close();
    if (!options.keep) await rm(root, { recursive: true, force: true });
  }
  report.seconds = Number(((performance.now() - started) / 1000).toFixed(2));
  if (output.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else line(output, `\ndone in ${report.seconds}s${options.keep ? `; kept ${root}` : ""}`);
}
