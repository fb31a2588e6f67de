/**
 * The local embedders alone: time to prepare and to load the word vectors, microseconds per
 * text on real English (LongMemEval user turns from ../shared/data) and per synthetic memory,
 * and how many tokens the word vectors know.
 *
 *   npx tsx bench/embedder-speed.ts [--texts 20000] [--prepare]
 *
 * --prepare also times a first preparation from the package into a temporary cache folder.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadLongMemEval } from "./retrieval/longmemeval.js";
import { makeCorpus } from "./synthetic-text.js";
import { defaultCacheDir } from "../src/providers/embedding/local-choice.js";
import { LocalEmbedder } from "../src/providers/embedding/local-embedder.js";
import { WordVectorEmbedder, wordTokens } from "../src/providers/embedding/word-vectors/word-vector-embedder.js";

const { values } = parseArgs({ options: { texts: { type: "string", default: "20000" }, prepare: { type: "boolean", default: false } } });
const count = Number(values.texts);

const questions = await loadLongMemEval(join(import.meta.dirname, "..", "..", "shared", "data", "longmemeval_s_dev60.json.gz"));
const english: string[] = [];
for (const question of questions) {
  for (const session of question.sessions) for (const turn of session.turns) if (turn.role === "user" && english.length < count) english.push(turn.content);
}
const synthetic = makeCorpus(count, 42);

if (values.prepare) {
  const cacheDir = await mkdtemp(join(tmpdir(), "omnimem-wv-"));
  try {
    const started = performance.now();
    const fresh = new WordVectorEmbedder({ cacheDir });
    await fresh.ready();
    console.log(`first preparation from the package: ${((performance.now() - started) / 1000).toFixed(1)} s, cache file ${((await stat(fresh.cacheFile!)).size / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

const rssBefore = process.memoryUsage().rss;
const loadStarted = performance.now();
const words = new WordVectorEmbedder({ cacheDir: defaultCacheDir() });
await words.ready();
console.log(`load from the cache: ${(performance.now() - loadStarted).toFixed(0)} ms, RSS +${((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(0)} MiB (${words.cacheFile})`);
const hashed = new LocalEmbedder({ dimensions: 256 });

function microsPerText(embed: (text: string) => unknown, texts: string[]): number {
  for (const text of texts.slice(0, 500)) embed(text); // warm-up
  const started = performance.now();
  for (const text of texts) embed(text);
  return ((performance.now() - started) * 1000) / texts.length;
}

let known = 0;
let tokens = 0;
for (const text of english) for (const token of wordTokens(text)) if (token.length > 1) { tokens++; if (words.knows(token)) known++; }
const meanChars = english.reduce((sum, text) => sum + text.length, 0) / english.length;
console.log(`\n${english.length} LongMemEval user turns (mean ${meanChars.toFixed(0)} characters), ${synthetic.length} synthetic memories (bench/synthetic-text.ts: mostly made-up words)`);
console.log(`word-vector vocabulary covers ${((known / tokens) * 100).toFixed(1)}% of the turns' tokens (2+ letters)\n`);
console.log("| embedder | µs per English turn | µs per synthetic memory |");
console.log("|---|---|---|");
console.log(`| word-vectors | ${microsPerText((t) => words.embedOne(t), english).toFixed(1)} | ${microsPerText((t) => words.embedOne(t), synthetic).toFixed(1)} |`);
console.log(`| hashed (256) | ${microsPerText((t) => hashed.embedOne(t), english).toFixed(1)} | ${microsPerText((t) => hashed.embedOne(t), synthetic).toFixed(1)} |`);
