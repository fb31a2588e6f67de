/**
 * Ranking ideas measured offline on the dev samples (`npx tsx bench/retrieval-ablations.ts --help`).
 *
 * bench/retrieval.ts measures what omnimem does. This measures what it could do instead: it
 * records, for every dev question, the keyword and vector lists that hybrid search fuses
 * (bench/retrieval/recorded-rankings.ts), then re-ranks them with each variant below and scores
 * the result with the benchmark's own metrics. A variant that never lifts the issue's targets
 * here need not be built. The replica of the engine's fusion is checked against the engine's own
 * order first, and the recomputed vectors against the index's vector list, so the variants start
 * from what search really returns.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { defaultEmbedder, Memory } from "../src/memory.js";
import { COSINE_CEILING, poolFloor } from "../src/search/search-engine.js";
import { scoreFusion } from "../src/search/fusion.js";
import { defaultVectorWeight } from "../src/search/fusion-weights.js";
import { vectorQueryFor } from "../src/search/vector-query.js";
import { withContext } from "../src/store/embedded/search-text.js";
import type { Embedder } from "../src/spec/embedder.js";
import type { IndexHit } from "../src/spec/search-index.js";
import { commandLine } from "./command-line.js";
import { isAbstention, loadLongMemEval } from "./retrieval/longmemeval.js";
import { loadLocomo } from "./retrieval/locomo.js";
import { evidenceRecall, firstOccurrences, recallAll } from "./retrieval/metrics.js";
import { type OwnerMemory, recordLocomo, recordLongMemEval, type RecordedList, type RecordedQuestion } from "./retrieval/recorded-rankings.js";

const HELP = `Ranking ideas measured offline against the lists hybrid search fuses, on the dev samples.

  npx tsx bench/retrieval-ablations.ts [--out FILE]

  --out FILE   the report (default bench/reports/retrieval-ablations.md)
  --help       this text

Data: ../shared/data/longmemeval_s_dev60.json.gz and locomo_dev3.json.gz, stored as
bench/retrieval.ts stores them (embedded default, infer: false). About a minute on 2 cores.
`;

const { values } = parseArgs({ options: { out: { type: "string" }, help: { type: "boolean", default: false } } });
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const DATA = join(import.meta.dirname, "..", "..", "shared", "data");
const out = values.out ?? join(import.meta.dirname, "reports", "retrieval-ablations.md");

interface FusionSettings {
  vectorWeight: number;
  timeWeight: number;
}

// ---- Record ---------------------------------------------------------------------------------

interface Recording {
  questions: RecordedQuestion[];
  embedder: Embedder;
  settings: FusionSettings;
}

/** Both dev samples stored and searched as bench/retrieval.ts does, with what hybrid fused. */
async function record(): Promise<Recording> {
  const root = await mkdtemp(join(tmpdir(), "omnimem-ablations-"));
  try {
    const longMemEval = (await loadLongMemEval(join(DATA, "longmemeval_s_dev60.json.gz"))).filter((question) => !isAbstention(question));
    const memory = await Memory.open({ root: join(root, "longmemeval"), logLevel: "error" });
    let recording: Recording;
    try {
      if (memory.embedderInfo.name !== "word-vectors") throw new Error(`expected the word-vector default, got ${memory.embedderInfo.name}`);
      recording = {
        questions: await recordLongMemEval(memory, longMemEval),
        embedder: defaultEmbedder(memory.config),
        settings: { vectorWeight: memory.config.search.vectorWeight ?? defaultVectorWeight("word-vectors"), timeWeight: memory.config.search.timeWeight },
      };
    } finally {
      await memory.close();
    }
    const locomo = await Memory.open({ root: join(root, "locomo"), logLevel: "error" });
    try {
      recording.questions.push(...(await recordLocomo(locomo, await loadLocomo(join(DATA, "locomo_dev3.json.gz")))));
    } finally {
      await locomo.close();
    }
    return recording;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const { questions, embedder, settings: engineSettings } = await record();
const { vectorWeight, timeWeight } = engineSettings;
await embedder.ready();
const queryText = vectorQueryFor("word-vectors");

// ---- Vectors, as the index holds them -------------------------------------------------------

interface OwnerVectors {
  byId: Map<string, Float32Array>;
  /** Each memory's sentences, embedded one by one (for the sentence variant). */
  sentences: Map<string, Float32Array[]>;
  mean: Float32Array;
}
const ownerVectors = new Map<OwnerMemory[], OwnerVectors>();

async function vectorsOf(owner: OwnerMemory[]): Promise<OwnerVectors> {
  const known = ownerVectors.get(owner);
  if (known !== undefined) return known;
  const own = await embedder.embed(owner.map((memory) => memory.text));
  const ownById = new Map(owner.map((memory, i) => [memory.id, own[i]!]));
  // The index's vector of a turn holds its previous turn as context (search-text.ts).
  const byId = new Map(owner.map((memory) => [memory.id, memory.previous === undefined ? ownById.get(memory.id)! : withContext(ownById.get(memory.id)!, ownById.get(memory.previous)!)]));
  const sentences = new Map<string, Float32Array[]>();
  for (const memory of owner) {
    const parts = memory.text.split(/(?<=[.!?])\s+|\n+/u).filter((part) => /\p{L}/u.test(part));
    if (parts.length > 1) sentences.set(memory.id, await embedder.embed(parts));
  }
  const mean = new Float32Array(embedder.dimensions);
  for (const vector of byId.values()) for (let d = 0; d < mean.length; d++) mean[d]! += vector[d]! / byId.size;
  const vectors = { byId, sentences, mean };
  ownerVectors.set(owner, vectors);
  return vectors;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += a[d]! * b[d]!;
  return sum;
}

function unit(vector: Float32Array): Float32Array {
  const norm = Math.sqrt(dot(vector, vector)) || 1;
  return vector.map((value) => value / norm);
}

/** The pool a vector list holds: the top 100 by `score`, over `allowed` ids when restricted. */
function vectorList(vectors: OwnerVectors, score: (id: string, vector: Float32Array) => number, allowed?: ReadonlySet<string>): IndexHit[] {
  const hits: IndexHit[] = [];
  for (const [id, vector] of vectors.byId) if (allowed === undefined || allowed.has(id)) hits.push({ id, score: score(id, vector) });
  return hits.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, 100);
}

/**
 * The question's lists with the vector side re-scored. The restricted vector list is re-scored
 * over the ids the recorded one held: exact when the dates hold at most a pool's worth of
 * memories (the recorded list is then all of them), an approximation otherwise.
 */
function withVectorSide(question: RecordedQuestion, vectors: OwnerVectors, score: (id: string, vector: Float32Array) => number): RecordedList[] {
  return question.lists.map((list) =>
    list.kind === "keyword" ? list : { ...list, hits: vectorList(vectors, score, list.restricted ? new Set(list.hits.map((hit) => hit.id)) : undefined) },
  );
}

// ---- Fusion, as the engine does it ----------------------------------------------------------

/** search-engine.ts's score fusion over recorded lists (the engine's hybrid, replayed). */
function fuse(lists: readonly RecordedList[], settings: FusionSettings): IndexHit[] {
  const weights = [1, settings.vectorWeight, settings.timeWeight, settings.timeWeight * settings.vectorWeight];
  const best = [lists[0]!.hits[0]?.score ?? 0, COSINE_CEILING];
  const floor = [0, poolFloor(lists[1]!.hits)];
  return scoreFusion(lists.map((list, i) => ({ hits: list.hits, weight: weights[i]!, best: best[i % 2]!, floor: floor[i % 2]! })));
}

function sessionOf(question: RecordedQuestion): Map<string, string> {
  return new Map(question.owner.map((memory) => [memory.id, memory.session]));
}

/** A hit gains `lift` times the best fused score among the other hits of its session. */
function sessionLift(hits: IndexHit[], sessions: Map<string, string>, lift: number): IndexHit[] {
  const best = new Map<string, number[]>();
  for (const hit of hits) {
    const session = sessions.get(hit.id) ?? hit.id;
    best.set(session, [...(best.get(session) ?? []), hit.score].sort((a, b) => b - a).slice(0, 2));
  }
  return hits
    .map((hit) => {
      const [first = 0, second = 0] = best.get(sessions.get(hit.id) ?? hit.id)!;
      return { id: hit.id, score: hit.score + lift * (first === hit.score ? second : first) };
    })
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

/** The n-th hit of a session (n from 0) keeps `keep`^n of its score: fewer turns of one session on top. */
function sessionDiversity(hits: IndexHit[], sessions: Map<string, string>, keep: number): IndexHit[] {
  const seen = new Map<string, number>();
  return hits
    .map((hit) => {
      const session = sessions.get(hit.id) ?? hit.id;
      const n = seen.get(session) ?? 0;
      seen.set(session, n + 1);
      return { id: hit.id, score: hit.score * keep ** n };
    })
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

// ---- Variants -------------------------------------------------------------------------------

type Variant = { name: string; why: string; oracle?: boolean; rank: (question: RecordedQuestion) => Promise<string[]> | string[] };
const ORACLE_WEIGHTS = [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3];
const ids = (hits: readonly IndexHit[]) => hits.map((hit) => hit.id);

async function queryVector(question: RecordedQuestion): Promise<Float32Array> {
  const [vector] = await embedder.embed([queryText(question.question)]);
  return vector!;
}

const variants: Variant[] = [
  { name: "keyword", why: "BM25 alone (the index's keyword list)", rank: (question) => ids(question.lists[0]!.hits) },
  { name: "vector", why: "the word vectors alone (the index's vector list)", rank: (question) => ids(question.lists[1]!.hits) },
  { name: "engine hybrid", why: "what Memory.search returned", rank: (question) => question.hybrid },
  { name: "replayed hybrid", why: `the engine's score fusion over the recorded lists (vector weight ${vectorWeight}, time weight ${timeWeight})`, rank: (question) => ids(fuse(question.lists, engineSettings)) },
  ...[0.25, 0.75, 1].map((weight): Variant => ({ name: `vector weight ${weight}`, why: "the vector ranking's weight against keyword's 1", rank: (question) => ids(fuse(question.lists, { ...engineSettings, vectorWeight: weight })) })),
  { name: "time weight 0.5", why: "the date-restricted rankings weighted 0.5 instead of 1", rank: (question) => ids(fuse(question.lists, { ...engineSettings, timeWeight: 0.5 })) },
  ...[0.2, 0.5].map((lift): Variant => ({ name: `session lift ${lift}`, why: "a hit gains this share of the best fused score of another hit of its session (sessions are coherent topics)", rank: (question) => ids(sessionLift(fuse(question.lists, engineSettings), sessionOf(question), lift)) })),
  { name: "session diversity 0.9", why: "each further hit of a session keeps 0.9 of the previous one's share (more sessions in the top)", rank: (question) => ids(sessionDiversity(fuse(question.lists, engineSettings), sessionOf(question), 0.9)) },
  {
    name: "vector feedback (Rocchio)",
    why: "the vector query plus the mean vector of hybrid's top 3 hits (pseudo-relevance feedback), then fused again",
    rank: async (question) => {
      const vectors = await vectorsOf(question.owner);
      const query = await queryVector(question);
      const feedback = new Float32Array(query.length);
      for (const id of question.hybrid.slice(0, 3)) {
        const vector = vectors.byId.get(id);
        if (vector !== undefined) for (let d = 0; d < feedback.length; d++) feedback[d]! += vector[d]!;
      }
      const direction = unit(feedback);
      const expanded = unit(query.map((value, d) => value + direction[d]!));
      return ids(fuse(withVectorSide(question, vectors, (_, vector) => dot(expanded, vector)), engineSettings));
    },
  },
  {
    name: "best sentence",
    why: "a memory's vector score is the better of its whole text and its best single sentence (long turns dilute)",
    rank: async (question) => {
      const vectors = await vectorsOf(question.owner);
      const query = await queryVector(question);
      const score = (id: string, vector: Float32Array) => Math.max(dot(query, vector), ...(vectors.sentences.get(id) ?? []).map((sentence) => dot(query, sentence)));
      return ids(fuse(withVectorSide(question, vectors, score), engineSettings));
    },
  },
  {
    name: "owner-centred query",
    why: "the vector query minus half the owner's mean vector (what every memory of this owner shares: chat register)",
    rank: async (question) => {
      const vectors = await vectorsOf(question.owner);
      const query = await queryVector(question);
      const centred = query.map((value, d) => value - 0.5 * vectors.mean[d]!);
      return ids(fuse(withVectorSide(question, vectors, (_, vector) => dot(centred, vector)), engineSettings));
    },
  },
  {
    name: "oracle vector weight",
    why: `not a method: each question fused with whichever vector weight in ${ORACLE_WEIGHTS.join(", ")} ranks its gold best, the ceiling of re-weighting these two lists`,
    oracle: true,
    rank: (question) => {
      const gold = new Set(question.gold);
      const rankings = ORACLE_WEIGHTS.map((weight) => ids(fuse(question.lists, { ...engineSettings, vectorWeight: weight })));
      const goodness = (ranking: string[]) => {
        const keys = keysOf(question, ranking);
        return question.dataset === "longmemeval" ? recallAll(keys, gold, 10) * 2 + recallAll(keys, gold, 5) : evidenceRecall(keys, gold, 10);
      };
      return rankings.reduce((best, ranking) => (goodness(ranking) > goodness(best) ? ranking : best));
    },
  },
];

// ---- Scores ---------------------------------------------------------------------------------

interface Scores {
  turnAll10: number;
  turnAll5: number;
  sessionAll5: number;
  locomo10: number;
  locomo5: number;
  /** Per LongMemEval question type: turn recall_all@10. */
  byType: Map<string, number>;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

function keysOf(question: RecordedQuestion, ranking: readonly string[]): string[] {
  const keyById = new Map(question.owner.map((memory) => [memory.id, memory.key]));
  return firstOccurrences(ranking.map((id) => keyById.get(id)).filter((key): key is string => key !== undefined));
}

async function scoreVariant(variant: Variant): Promise<Scores> {
  const turnAll10: number[] = [];
  const turnAll5: number[] = [];
  const sessionAll5: number[] = [];
  const locomo10: number[] = [];
  const locomo5: number[] = [];
  const byType = new Map<string, number[]>();
  for (const question of questions) {
    if (question.gold.length === 0) continue;
    const ranking = await variant.rank(question);
    const gold = new Set(question.gold);
    if (question.dataset === "longmemeval") {
      const turns = keysOf(question, ranking.slice(0, 50));
      const sessionOfKey = new Map(question.owner.map((memory) => [memory.key, memory.session]));
      const sessions = firstOccurrences(turns.map((key) => sessionOfKey.get(key)!));
      turnAll10.push(recallAll(turns, gold, 10));
      turnAll5.push(recallAll(turns, gold, 5));
      sessionAll5.push(recallAll(sessions, new Set(question.goldSessions), 5));
      byType.set(question.type, [...(byType.get(question.type) ?? []), recallAll(turns, gold, 10)]);
    } else {
      const turns = keysOf(question, ranking.slice(0, 25));
      locomo10.push(evidenceRecall(turns, gold, 10));
      locomo5.push(evidenceRecall(turns, gold, 5));
    }
  }
  return {
    turnAll10: mean(turnAll10),
    turnAll5: mean(turnAll5),
    sessionAll5: mean(sessionAll5),
    locomo10: mean(locomo10),
    locomo5: mean(locomo5),
    byType: new Map([...byType].map(([type, values]) => [type, mean(values)])),
  };
}

// ---- Checks: the replay and the vectors match the engine --------------------------------------

let replayAgrees = 0;
let vectorsAgree = 0;
for (const question of questions) {
  if (ids(fuse(question.lists, engineSettings)).slice(0, 10).join() === question.hybrid.slice(0, 10).join()) replayAgrees += 1;
  const vectors = await vectorsOf(question.owner);
  const query = await queryVector(question);
  const recomputed = ids(vectorList(vectors, (_, vector) => dot(query, vector))).slice(0, 10);
  if (recomputed.join() === ids(question.lists[1]!.hits).slice(0, 10).join()) vectorsAgree += 1;
}

const f3 = (value: number) => value.toFixed(3);
const results: [Variant, Scores][] = [];
for (const variant of variants) results.push([variant, await scoreVariant(variant)]);

/** The best method (the oracle and the data's own lists aside) on the issue's turn measure. */
function bestLine(): string {
  const methods = results.filter(([variant]) => !variant.oracle);
  const top = Math.max(...methods.map(([, scores]) => scores.turnAll10));
  const names = methods.filter(([, scores]) => scores.turnAll10 === top).map(([variant]) => variant.name);
  const oracle = results.find(([variant]) => variant.oracle)![1];
  return `Best LongMemEval turn recall_all@10 among the methods: ${f3(top)} (${names.join(", ")}); the oracle over vector weights reaches ${f3(oracle.turnAll10)}.`;
}

// ---- Report ---------------------------------------------------------------------------------

const types = [...results[0]![1].byType.keys()].sort();
const lines = [
  "# Ranking ideas, measured offline on the dev samples",
  "",
  `Run ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model.trim() ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}:`,
  "",
  "```sh",
  commandLine("bench/retrieval-ablations.ts", process.argv.slice(2)),
  "```",
  "",
  "Every dev question is searched once with the default hybrid search (embedded default, word-vector embedder, infer: false, stored as bench/retrieval.ts stores it), and the lists the engine fused are recorded (bench/retrieval/recorded-rankings.ts). Each variant below re-ranks those lists; scores are the benchmark's (LongMemEval-S dev60: the 50 answerable questions; LoCoMo dev3: evidence recall).",
  "",
  `Checks: the replayed fusion gives the engine's top 10 for ${replayAgrees} of ${questions.length} questions; vectors recomputed with the embedder and the previous turn as context give the index's vector top 10 for ${vectorsAgree} of ${questions.length}.`,
  "",
  `| variant | LME turn recall_all@10 | LME turn recall_all@5 | LME session recall_all@5 | LoCoMo recall@10 | LoCoMo recall@5 | ${types.map((type) => `${type} turn recall_all@10`).join(" | ")} | what it does |`,
  `| --- | --- | --- | --- | --- | --- | ${types.map(() => "---").join(" | ")} | --- |`,
  ...results.map(([variant, scores]) => `| ${variant.oracle ? `*${variant.name}*` : variant.name} | ${f3(scores.turnAll10)} | ${f3(scores.turnAll5)} | ${f3(scores.sessionAll5)} | ${f3(scores.locomo10)} | ${f3(scores.locomo5)} | ${types.map((type) => f3(scores.byType.get(type)!)).join(" | ")} | ${variant.why} |`),
  "",
  bestLine(),
  "",
];
await writeFile(out, `${lines.join("\n")}`);
console.log(lines.slice(9).join("\n"));
console.log(`wrote ${out}`);
