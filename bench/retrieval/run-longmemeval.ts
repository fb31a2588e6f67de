/**
 * The LongMemEval half of the benchmark: store every question's haystack in its own scope,
 * then search each question with each method and score the rankings against the gold turns
 * and sessions.
 */
import type { Memory, SearchMethod } from "../../src/index.js";
import { isStopWord, words } from "../../src/text/tokenize.js";
import { ingestLongMemEvalQuestion, type LongMemEvalIngest } from "./ingest.js";
import { distinctSessions, goldOf, indexedTurns, type LongMemEvalGold, type LongMemEvalQuestion, parseLongMemEvalDate, turnId } from "./longmemeval.js";
import { averageMetrics, firstOccurrences, type MetricSet, mean, percentileOf, rankingMetrics } from "./metrics.js";
import {
  type DiagnosticGroup,
  LONGMEMEVAL_KS,
  type LongMemEvalDiagnostics,
  type LongMemEvalMethodResult,
  type LongMemEvalQuestionOutcome,
  type LongMemEvalResult,
} from "./results.js";

/** Hits asked for per search: enough for ten distinct sessions in almost every ranking. */
const SEARCH_LIMIT = 50;
const MISSED_EXAMPLES = 5;

interface Scored {
  question: LongMemEvalQuestion;
  gold: LongMemEvalGold;
  session: MetricSet;
  turn: MetricSet;
  sessionByAnswerSessionIds: MetricSet;
  outcome: LongMemEvalQuestionOutcome;
  topHitText: string;
}

export interface LongMemEvalRunOptions {
  path: string;
  questions: LongMemEvalQuestion[];
  abstentionExcluded: number;
  methods: SearchMethod[];
  log: (line: string) => void;
}

export async function runLongMemEval(memory: Memory, options: LongMemEvalRunOptions): Promise<LongMemEvalResult> {
  const { questions, methods, log } = options;
  const ingestStarted = performance.now();
  const ingests: LongMemEvalIngest[] = [];
  for (const [i, question] of questions.entries()) {
    ingests.push(await ingestLongMemEvalQuestion(memory, question));
    if ((i + 1) % 10 === 0 || i + 1 === questions.length) log(`longmemeval: stored ${i + 1}/${questions.length} haystacks`);
  }
  // Searches should see a settled index (full-text index folded in), as a long-running store would.
  await memory.idle();
  await memory.searchIndex.maintain();
  const ingestSeconds = (performance.now() - ingestStarted) / 1000;

  const methodResults: Record<string, LongMemEvalMethodResult> = {};
  const outcomes: LongMemEvalQuestionOutcome[] = [];
  const diagnostics: Record<string, LongMemEvalDiagnostics> = {};
  for (const method of methods) {
    const scored: Scored[] = [];
    const times: number[] = [];
    for (const [i, question] of questions.entries()) {
      const started = performance.now();
      // The question's own date is "now" for it: "last week" means the week before it was asked.
      const { results } = await memory.search(question.question, { userId: ingests[i]!.userId, method, limit: SEARCH_LIMIT, now: askedAt(question) });
      times.push(performance.now() - started);
      scored.push(score(question, ingests[i]!, method, results));
    }
    log(`longmemeval: searched ${questions.length} questions with ${method}`);
    methodResults[method] = summarise(scored, times);
    outcomes.push(...scored.map((entry) => entry.outcome));
    diagnostics[method] = diagnose(scored);
  }

  return {
    path: options.path,
    questions: questions.length,
    abstentionExcluded: options.abstentionExcluded,
    answerable: questions.filter((question) => goldOf(question).turns.size > 0).length,
    sessionsStored: ingests.reduce((sum, ingest) => sum + ingest.sessionsStored, 0),
    turnsStored: ingests.reduce((sum, ingest) => sum + ingest.turnsStored, 0),
    repeatedSessionsSkipped: ingests.reduce((sum, ingest) => sum + ingest.repeatedSessions, 0),
    ingestSeconds,
    methods: methodResults,
    outcomes,
    diagnostics,
  };
}

/** The question's `question_date` as epoch ms; undefined (the current time) when absent. */
export function askedAt(question: LongMemEvalQuestion): number | undefined {
  return question.questionDate === undefined ? undefined : parseLongMemEvalDate(question.questionDate);
}

function score(question: LongMemEvalQuestion, ingest: LongMemEvalIngest, method: string, hits: { id: string; memory: string }[]): Scored {
  const gold = goldOf(question);
  const turnRanking = firstOccurrences(hits.map((hit) => ingest.turnOf.get(hit.id)).filter((key): key is string => key !== undefined));
  // A session ranks where its best turn ranks: LongMemEval's turn-to-session conversion also
  // reads the turn ranking until it has k distinct sessions.
  const sessionRanking = firstOccurrences(turnRanking.map((key) => ingest.sessionOf.get(key)!));
  const firstRank = (ranking: string[], goldIds: Set<string>) => {
    const index = ranking.findIndex((id) => goldIds.has(id));
    return index < 0 ? null : index + 1;
  };
  const allRank = (ranking: string[], goldIds: Set<string>) => {
    const ranks = [...goldIds].map((id) => ranking.indexOf(id));
    return goldIds.size === 0 || ranks.includes(-1) ? null : Math.max(...ranks) + 1;
  };
  return {
    question,
    gold,
    session: rankingMetrics(sessionRanking, gold.sessions, LONGMEMEVAL_KS),
    turn: rankingMetrics(turnRanking, gold.turns, LONGMEMEVAL_KS),
    sessionByAnswerSessionIds: rankingMetrics(sessionRanking, gold.answerSessions, LONGMEMEVAL_KS),
    outcome: {
      questionId: question.id,
      type: question.type,
      method,
      firstGoldSessionRank: firstRank(sessionRanking, gold.sessions),
      firstGoldTurnRank: firstRank(turnRanking, gold.turns),
      allGoldTurnsRank: allRank(turnRanking, gold.turns),
      goldSessions: gold.sessions.size,
      goldTurns: gold.turns.size,
      answerSessionRanks: [...gold.answerSessions].map((id) => firstRank(sessionRanking, new Set([id]))),
    },
    topHitText: hits[0]?.memory ?? "",
  };
}

function summarise(scored: Scored[], times: number[]): LongMemEvalMethodResult {
  const answerable = scored.filter((entry) => entry.gold.turns.size > 0);
  const byType: LongMemEvalMethodResult["byType"] = {};
  for (const type of new Set(scored.map((entry) => entry.question.type))) {
    const ofType = scored.filter((entry) => entry.question.type === type);
    const answerableOfType = ofType.filter((entry) => entry.gold.turns.size > 0);
    byType[type] = {
      questions: ofType.length,
      answerable: answerableOfType.length,
      session: averageMetrics(answerableOfType.map((entry) => entry.session)),
      turn: averageMetrics(answerableOfType.map((entry) => entry.turn)),
      sessionByAnswerSessionIds: averageMetrics(ofType.map((entry) => entry.sessionByAnswerSessionIds)),
    };
  }
  return {
    session: averageMetrics(answerable.map((entry) => entry.session)),
    sessionProtocolAverage: averageMetrics(scored.map((entry) => entry.session)),
    turn: averageMetrics(answerable.map((entry) => entry.turn)),
    turnProtocolAverage: averageMetrics(scored.map((entry) => entry.turn)),
    sessionByAnswerSessionIds: averageMetrics(scored.map((entry) => entry.sessionByAnswerSessionIds)),
    byType,
    searchMsP50: percentileOf(times, 0.5),
    searchMsP95: percentileOf(times, 0.95),
  };
}

function contentWords(text: string): string[] {
  return words(text).filter((word) => !isStopWord(word));
}

/** The share of the query's distinct content words that occur in the text. */
function queryWordShare(queryWords: readonly string[], text: string): number {
  const distinct = new Set(queryWords);
  if (distinct.size === 0) return 0;
  const present = new Set(words(text));
  let shared = 0;
  for (const word of distinct) if (present.has(word)) shared += 1;
  return shared / distinct.size;
}

function diagnose(scored: Scored[]): LongMemEvalDiagnostics {
  const answerable = scored.filter((entry) => entry.gold.turns.size > 0);
  const found = answerable.filter((entry) => entry.session["recall_any@5"] === 1);
  const missed = answerable.filter((entry) => entry.session["recall_any@5"] !== 1);
  return {
    found: group(found),
    missed: group(missed),
    examples: missed.slice(0, MISSED_EXAMPLES).map((entry) => ({
      questionId: entry.question.id,
      type: entry.question.type,
      question: entry.question.question,
      goldTurn: goldTurnTexts(entry)[0] ?? "",
      topHit: entry.topHitText,
    })),
  };
}

function goldTurnTexts(entry: Scored): string[] {
  const texts: string[] = [];
  for (const session of distinctSessions(entry.question).sessions) {
    for (const turn of indexedTurns(session)) if (entry.gold.turns.has(turnId(session.id, turn.number))) texts.push(turn.content);
  }
  return texts;
}

function group(entries: Scored[]): DiagnosticGroup {
  const perQuestion = entries.map((entry) => {
    const queryWords = contentWords(entry.question.question);
    const gold = goldTurnTexts(entry);
    const all = distinctSessions(entry.question).sessions.flatMap((session) => indexedTurns(session).map((turn) => turn.content));
    return {
      inGold: queryWordShare(queryWords, gold.join(" ")),
      inTop: queryWordShare(queryWords, entry.topHitText),
      goldWords: mean(gold.map((text) => words(text).length)),
      allWords: mean(all.map((text) => words(text).length)),
    };
  });
  return {
    questions: entries.length,
    queryWordsInGold: mean(perQuestion.map((row) => row.inGold)),
    queryWordsInTopHit: mean(perQuestion.map((row) => row.inTop)),
    goldTurnWords: mean(perQuestion.map((row) => row.goldWords)),
    allTurnWords: mean(perQuestion.map((row) => row.allWords)),
  };
}
