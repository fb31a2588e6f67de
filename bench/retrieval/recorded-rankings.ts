/**
 * The rankings hybrid search fuses, recorded question by question on the dev samples, so that
 * fusion and ranking ideas can be measured offline against them (bench/retrieval-ablations.ts)
 * without re-ingesting for every variant.
 *
 * Each question keeps: the lists the engine asked the index for during one hybrid search
 * (keyword and vector over the candidate pool, and the same two restricted to the query's dates
 * when it names any), the engine's own hybrid order, and every memory of its owner (text, turn
 * key, session, the turn before it) with the gold turns.
 */
import type { Memory } from "../../src/index.js";
import type { IndexHit, IndexQuery, SearchIndex } from "../../src/spec/search-index.js";
import { ingestLocomoSample, ingestLongMemEvalQuestion } from "./ingest.js";
import { goldOf, type LongMemEvalQuestion } from "./longmemeval.js";
import type { LocomoSample } from "./locomo.js";
import { askedAt as locomoAskedAt } from "./run-locomo.js";
import { askedAt as longMemEvalAskedAt } from "./run-longmemeval.js";

export interface RecordedList {
  kind: "keyword" | "vector";
  /** Restricted to the dates the query names (time-aware search). */
  restricted: boolean;
  hits: IndexHit[];
}

export interface OwnerMemory {
  id: string;
  text: string;
  /** The data set's id of the turn. */
  key: string;
  session: string;
  /** The memory id of the stored turn before it in its session. */
  previous?: string;
}

export interface RecordedQuestion {
  dataset: "longmemeval" | "locomo";
  question: string;
  /** LongMemEval question type, or LoCoMo category number as text. */
  type: string;
  /** keyword, vector, then (when the query names dates) restricted keyword, restricted vector. */
  lists: RecordedList[];
  /** The engine's hybrid order (memory ids). */
  hybrid: string[];
  /** Gold turn keys (LongMemEval has_answer turns; LoCoMo evidence dia_ids). */
  gold: string[];
  /** LongMemEval only: the sessions holding a gold turn. */
  goldSessions?: string[];
  owner: OwnerMemory[];
}

/** LongMemEval's search depth and LoCoMo's, as bench/retrieval.ts asks. */
export const LONGMEMEVAL_LIMIT = 50;
export const LOCOMO_LIMIT = 25;

/**
 * Wraps `keyword` and `vector` of the memory's index (the instance its search engine calls) so the
 * lists of the next search are kept, in the order they were asked for.
 */
function recordLists(index: SearchIndex): { take(): RecordedList[] } {
  let asked: { kind: RecordedList["kind"]; restricted: boolean; hits?: IndexHit[] }[] = [];
  const wrap = (kind: RecordedList["kind"]) => {
    const original = index[kind].bind(index) as (input: never, query: IndexQuery) => Promise<IndexHit[]>;
    (index as unknown as Record<string, unknown>)[kind] = async (input: never, query: IndexQuery) => {
      // These searches pass no filter of their own: a filter is the engine's date restriction.
      const entry: (typeof asked)[number] = { kind, restricted: query.filter !== undefined };
      asked.push(entry);
      entry.hits = await original(input, query);
      return entry.hits;
    };
  };
  wrap("keyword");
  wrap("vector");
  return {
    take() {
      const lists = asked.map(({ kind, restricted, hits }) => ({ kind, restricted, hits: hits ?? [] }));
      asked = [];
      // The engine asks keyword, vector, restricted keyword, restricted vector: keep that order.
      return lists.sort((a, b) => Number(a.restricted) - Number(b.restricted) || (a.kind === b.kind ? 0 : a.kind === "keyword" ? -1 : 1));
    },
  };
}

async function ownerMemories(memory: Memory, userId: string, keyOf: (id: string) => string | undefined, sessionOf: (key: string) => string, turnNumber: (key: string) => number): Promise<OwnerMemory[]> {
  const owner: OwnerMemory[] = [];
  let cursor: string | undefined;
  do {
    const page = await memory.getAll({ userId, limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    for (const item of page.results) {
      const key = keyOf(item.id);
      if (key !== undefined) owner.push({ id: item.id, text: item.memory, key, session: sessionOf(key) });
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  // The turn before, as the index reads it: the previous stored turn of the same session.
  const bySession = new Map<string, OwnerMemory[]>();
  for (const entry of owner) bySession.set(entry.session, [...(bySession.get(entry.session) ?? []), entry]);
  for (const turns of bySession.values()) {
    turns.sort((a, b) => turnNumber(a.key) - turnNumber(b.key));
    turns.forEach((turn, i) => {
      if (i > 0) turn.previous = turns[i - 1]!.id;
    });
  }
  return owner;
}

/** Once what was stored is indexed (as a long-running store would have it): a recorder of the next searches' lists. */
async function settledRecorder(memory: Memory): Promise<{ take(): RecordedList[] }> {
  await memory.idle();
  await memory.searchIndex.maintain();
  return recordLists(memory.searchIndex);
}

/** Stores every haystack, then runs one hybrid search per question and records what was fused. */
export async function recordLongMemEval(memory: Memory, questions: readonly LongMemEvalQuestion[]): Promise<RecordedQuestion[]> {
  const ingests = [];
  for (const question of questions) ingests.push(await ingestLongMemEvalQuestion(memory, question));
  const recorder = await settledRecorder(memory);
  const recorded: RecordedQuestion[] = [];
  for (const [i, question] of questions.entries()) {
    const ingest = ingests[i]!;
    const { results } = await memory.search(question.question, { userId: ingest.userId, method: "hybrid", limit: LONGMEMEVAL_LIMIT, now: longMemEvalAskedAt(question) });
    const gold = goldOf(question);
    recorded.push({
      dataset: "longmemeval",
      question: question.question,
      type: question.type,
      lists: recorder.take(),
      hybrid: results.map((hit) => hit.id),
      gold: [...gold.turns],
      goldSessions: [...gold.sessions],
      owner: await ownerMemories(
        memory,
        ingest.userId,
        (id) => ingest.turnOf.get(id),
        (key) => ingest.sessionOf.get(key)!,
        (key) => Number(key.slice(key.lastIndexOf("_") + 1)),
      ),
    });
  }
  return recorded;
}

export async function recordLocomo(memory: Memory, samples: readonly LocomoSample[]): Promise<RecordedQuestion[]> {
  const ingests = [];
  for (const sample of samples) ingests.push(await ingestLocomoSample(memory, sample));
  const recorder = await settledRecorder(memory);
  const recorded: RecordedQuestion[] = [];
  for (const [s, sample] of samples.entries()) {
    const ingest = ingests[s]!;
    // dia_id "D3:12": session D3, turn 12.
    const owner = await ownerMemories(
      memory,
      ingest.userId,
      (id) => ingest.diaIdOf.get(id),
      (key) => key.split(":")[0]!,
      (key) => Number(key.split(":")[1]),
    );
    for (const question of sample.questions) {
      const { results } = await memory.search(question.question, { userId: ingest.userId, method: "hybrid", limit: LOCOMO_LIMIT, now: locomoAskedAt(sample) });
      recorded.push({
        dataset: "locomo",
        question: question.question,
        type: String(question.category),
        lists: recorder.take(),
        hybrid: results.map((hit) => hit.id),
        gold: question.evidence,
        owner,
      });
    }
  }
  return recorded;
}
