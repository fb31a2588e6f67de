import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PartReport } from "../../ingest/part-parser.js";
import { Memory } from "../../memory.js";
import { contentFromArguments } from "../file-part.js";
import { line, paint, type Output } from "../output.js";
import { demoSamples } from "./samples.js";

export interface DemoReport {
  root: string;
  mode: "llm" | "local";
  parts: Array<{ file: string; type: string; format: string; parser: string; status: string; chars: number; ms: number }>;
  searches: Array<{ query: string; found: boolean; score: number | null; memory: string | null }>;
  otherUserSees: number;
  markdownFile: string | null;
  ok: boolean;
  seconds: number;
}

const TEXT_TURN = { query: "what milk do I drink", expect: "soy milk" };

/**
 * Proves an install works, offline and with no key: it makes an image with text, a PDF and an
 * email with an attachment, ingests them with a few words of conversation into a throwaway
 * root, searches for what each one holds, and shows which parser read what and where the
 * markdown truth lives. `ok` is false when a search misses, so a broken install is visible.
 */
export async function runDemo(options: { output: Output; keep: boolean }): Promise<DemoReport> {
  const { output } = options;
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), "omnimem-demo-"));
  const samplesDir = join(root, "samples");
  await mkdir(samplesDir);
  const samples = await demoSamples();
  for (const sample of samples) await writeFile(join(samplesDir, sample.file), sample.bytes);

  // The store lives beside the samples, not around them: `samples/` is only the demo's input.
  const memory = await Memory.open({ root: join(root, "store"), logLevel: "error" });
  try {
    line(output, `omnimem demo: a throwaway root at ${root}`);
    line(output, `mode: ${memory.mode} (no API key, no model download: local parsers and the local embedder)\n`);
    // The same path `omnimem add "text" ./file` takes: words and files into one turn.
    const fileTurn = async (text: string, file: string) => ({ role: "user", content: await contentFromArguments([text, file], samplesDir) });
    const added = await memory.add(
      [
        await fileTurn("Here is a photo of the whiteboard from the planning session.", "whiteboard.png"),
        await fileTurn("The Q3 report just came in.", "q3-report.pdf"),
        await fileTurn("Forwarding the travel desk's email about my trip.", "trip.eml"),
        { role: "user", content: "I switched from oat milk to soy milk in my coffee." },
      ],
      { userId: "alice", sessionId: "demo", infer: false },
    );
    const parts = added.parts.map((part) => describePart(part, samples[part.messageIndex]?.file ?? "?"));
    line(output, `ingested 4 turns for alice: ${added.results.length} memories`);
    for (const part of parts) {
      const status = part.status === "ok" ? paint(output, "green", "ok") : paint(output, "red", part.status);
      line(output, `  ${part.file.padEnd(15)} ${`${part.type}/${part.format}`.padEnd(11)} ${part.parser.padEnd(22)} ${String(part.chars).padStart(4)} chars  ${String(part.ms).padStart(5)} ms  ${status}`);
    }

    line(output, "\nhybrid search (BM25 + vectors, fused), top result for alice:");
    const searches: DemoReport["searches"] = [];
    for (const { query, expect } of [...samples, TEXT_TURN]) {
      const [top] = (await memory.search(query, { userId: "alice", method: "hybrid", limit: 1 })).results;
      const found = top !== undefined && top.memory.includes(expect);
      searches.push({ query, found, score: top?.score ?? null, memory: top?.memory ?? null });
      const mark = found ? paint(output, "green", "✓") : paint(output, "red", "✗");
      line(output, `  ${mark} "${query}"`);
      line(output, `      ${top === undefined ? "(nothing)" : `${top.score.toFixed(3)}  ${excerpt(top.memory, expect)}`}`);
    }

    const otherUserSees = (await memory.search("whiteboard", { userId: "bob" })).results.length;
    line(output, `\nbob searches "whiteboard": ${otherUserSees} results (memories belong to their owner)`);

    const [file] = (await memory.backend.markdown?.logFiles()) ?? [];
    if (file !== undefined) {
      const markdown = await readFile(join(root, "store", file), "utf8");
      line(output, `\nthe truth is plain markdown: store/${file}`);
      // Skip the front matter: the first entry is what shows how a memory is kept.
      const lines = markdown.split("\n");
      const firstEntry = Math.max(0, lines.findIndex((text) => text.startsWith("<!-- entry:")));
      line(output, paint(output, "dim", lines.slice(firstEntry, firstEntry + 18).map((text) => `  ${text}`).join("\n")));
      line(output, paint(output, "dim", "  ..."));
    }

    const ok = searches.every((search) => search.found) && parts.every((part) => part.status === "ok") && otherUserSees === 0;
    const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
    line(output, `\n${ok ? "everything found" : paint(output, "red", "some searches missed: see above")} in ${seconds} s${options.keep ? `; kept ${root}` : ""}`);
    return { root, mode: memory.mode, parts, searches, otherUserSees, markdownFile: file ?? null, ok, seconds };
  } finally {
    await memory.close();
    if (!options.keep) await rm(root, { recursive: true, force: true });
  }
}

function describePart(part: PartReport, file: string): DemoReport["parts"][number] {
  return { file, type: part.type, format: part.format, parser: part.parser, status: part.parseStatus, chars: part.chars, ms: Math.round(part.durationMs) };
}

/** The stored text around the expected words, on one line, so each hit shows why it matched. */
function excerpt(text: string, around: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const at = flat.indexOf(around);
  if (flat.length <= 90) return flat;
  // Start at a word boundary a little before the match, so the excerpt reads as words.
  const roughStart = Math.max(0, (at < 0 ? 0 : at) - 40);
  const start = roughStart === 0 ? 0 : flat.indexOf(" ", roughStart) + 1;
  const end = Math.min(flat.length, start + 90);
  return `${start > 0 ? "…" : ""}${flat.slice(start, end)}${end < flat.length ? "…" : ""}`;
}
