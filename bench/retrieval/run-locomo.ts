/**
 * The LoCoMo half of the benchmark: store each conversation in its own scope, search every
 * question that has evidence, and measure which share of its evidence turns is in the top k.
 */
import type { Memory, SearchMethod } from "../../src/index.js";
import { ingestLocomoSample, type LocomoIngest } from "./ingest.js";
import { LOCOMO_CATEGORIES, type LocomoSample } from "./locomo.js";
import { averageMetrics, evidenceRecall, firstOccurrences, mean, type MetricSet, percentileOf } from "./metrics.js";
import { LOCOMO_KS, type LocomoMethodResult, type LocomoResult } from "./results.js";

const SEARCH_LIMIT = Math.max(...LOCOMO_KS);
const NAME_CHECK_HITS = 5;

/** The speaker a question names (the first found), lower-cased; undefined when it names neither. */
function namedSpeaker(question: string, sample: LocomoSample): string | undefined {
  const speakers = new Set(sample.sessions.flatMap((session) => session.turns.map((turn) => turn.speaker.toLowerCase())));
  const asked = new Set(question.toLowerCase().split(/[^\p{L}\p{N}]+/u));
  return [...speakers].find((speaker) => asked.has(speaker));
}

function containsWord(text: string, word: string): boolean {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).includes(word);
}

export interface LocomoRunOptions {
  path: string;
  samples: LocomoSample[];
  methods: SearchMethod[];
  log: (line: string) => void;
}

export async function runLocomo(memory: Memory, options: LocomoRunOptions): Promise<LocomoResult> {
  const { samples, methods, log } = options;
  const ingestStarted = performance.now();
  const ingests: LocomoIngest[] = [];
  for (const sample of samples) ingests.push(await ingestLocomoSample(memory, sample));
  await memory.idle();
  await memory.searchIndex.maintain();
  const ingestSeconds = (performance.now() - ingestStarted) / 1000;
  log(`locomo: stored ${samples.length} conversations`);

  const methodResults: Record<string, LocomoMethodResult> = {};
  for (const method of methods) {
    const rows: { category: number; recall: MetricSet }[] = [];
    const times: number[] = [];
    const nameShares: number[] = [];
    for (const [s, sample] of samples.entries()) {
      const ingest = ingests[s]!;
      for (const question of sample.questions) {
        const started = performance.now();
        const { results } = await memory.search(question.question, { userId: ingest.userId, method, limit: SEARCH_LIMIT, now: askedAt(sample) });
        times.push(performance.now() - started);
        const ranking = firstOccurrences(results.map((hit) => ingest.diaIdOf.get(hit.id)).filter((id): id is string => id !== undefined));
        const gold = new Set(question.evidence);
        const recall: MetricSet = {};
        for (const k of LOCOMO_KS) recall[`recall@${k}`] = evidenceRecall(ranking, gold, k);
        rows.push({ category: question.category, recall });
        const speaker = namedSpeaker(question.question, sample);
        const top = results.slice(0, NAME_CHECK_HITS);
        if (speaker !== undefined && top.length > 0) nameShares.push(top.filter((hit) => containsWord(hit.memory, speaker)).length / top.length);
      }
    }
    log(`locomo: searched ${rows.length} questions with ${method}`);
    const byCategory: LocomoMethodResult["byCategory"] = {};
    for (const category of [...new Set(rows.map((row) => row.category))].sort((a, b) => a - b)) {
      const ofCategory = rows.filter((row) => row.category === category);
      byCategory[String(category)] = { questions: ofCategory.length, recall: averageMetrics(ofCategory.map((row) => row.recall)) };
    }
    methodResults[method] = {
      overall: averageMetrics(rows.map((row) => row.recall)),
      byCategory,
      searchMsP50: percentileOf(times, 0.5),
      searchMsP95: percentileOf(times, 0.95),
      speakerNameInTop5: mean(nameShares),
    };
  }

  // Chance level for the name check: how often a turn of the conversation contains the named speaker.
  const baseline: number[] = [];
  let turnsNamingASpeaker = 0;
  let turnsNamingOwnSpeaker = 0;
  for (const sample of samples) {
    const turns = sample.sessions.flatMap((session) => session.turns);
    const speakers = [...new Set(turns.map((turn) => turn.speaker.toLowerCase()))];
    for (const turn of turns) {
      for (const speaker of speakers) {
        if (!containsWord(turn.text, speaker)) continue;
        turnsNamingASpeaker += 1;
        if (turn.speaker.toLowerCase() === speaker) turnsNamingOwnSpeaker += 1;
      }
    }
    const texts = turns.map((turn) => turn.text);
    for (const question of sample.questions) {
      const speaker = namedSpeaker(question.question, sample);
      if (speaker !== undefined) baseline.push(texts.filter((text) => containsWord(text, speaker)).length / texts.length);
    }
  }

  return {
    path: options.path,
    conversations: samples.length,
    questions: samples.reduce((sum, sample) => sum + sample.questions.length, 0),
    questionsWithoutEvidence: samples.reduce((sum, sample) => sum + sample.repairs.questionsWithoutEvidence, 0),
    evidenceRepaired: samples.flatMap((sample) => sample.repairs.repaired),
    evidenceDropped: samples.flatMap((sample) => sample.repairs.dropped),
    turnsStored: ingests.reduce((sum, ingest) => sum + ingest.turnsStored, 0),
    imageTurns: ingests.reduce((sum, ingest) => sum + ingest.imageTurns, 0),
    ingestSeconds,
    questionsNamingSpeaker: baseline.length,
    speakerNameInAllTurns: mean(baseline),
    turnsNamingASpeaker,
    turnsNamingOwnSpeaker,
    methods: methodResults,
  };
}

/**
 * LoCoMo's questions carry no date: they are asked after the conversation, so "now" is the
 * last session's date (undefined, the current time, when no session is dated).
 */
export function askedAt(sample: LocomoSample): number | undefined {
  const dated = sample.sessions.flatMap((session) => (session.timestamp === undefined ? [] : [session.timestamp]));
  return dated.length === 0 ? undefined : Math.max(...dated);
}

export function categoryName(category: string | number): string {
  return LOCOMO_CATEGORIES[Number(category)] ?? `category ${category}`;
}
