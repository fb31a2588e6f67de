/**
 * The shape of bench/reports/retrieval.json: every number the report shows, so two runs
 * ("before" and "after" a change) can be compared with `--compare`.
 */
import type { MetricSet } from "./metrics.js";

export const LONGMEMEVAL_KS = [1, 3, 5, 10] as const;
export const LOCOMO_KS = [5, 10, 25] as const;

export interface MethodTiming {
  /** Milliseconds per search, end to end through Memory.search. */
  searchMsP50: number;
  searchMsP95: number;
}

export interface LongMemEvalMethodResult extends MethodTiming {
  /**
   * Session level over the questions with reachable gold (a has_answer user turn): the main
   * numbers. `sessionProtocolAverage` averages over every non-abstention question the way
   * LongMemEval's script does (no gold: recall_any 0, recall_all 1, ndcg 0).
   */
  session: MetricSet;
  sessionProtocolAverage: MetricSet;
  turn: MetricSet;
  turnProtocolAverage: MetricSet;
  /** Session level with the file's answer_session_ids as gold, over every question. */
  sessionByAnswerSessionIds: MetricSet;
  byType: Record<string, { questions: number; answerable: number; session: MetricSet; turn: MetricSet; sessionByAnswerSessionIds: MetricSet }>;
}

/** One question under one method: enough to find and explain misses. */
export interface LongMemEvalQuestionOutcome {
  questionId: string;
  type: string;
  method: string;
  /** 1-based rank of the first gold session / turn in the rankings; null when not retrieved. */
  firstGoldSessionRank: number | null;
  firstGoldTurnRank: number | null;
  /** 1-based rank by which every gold turn has appeared (recall_all reaches 1 there); null when one was not retrieved. */
  allGoldTurnsRank: number | null;
  goldSessions: number;
  goldTurns: number;
  /** 1-based rank of each of the file's answer_session_ids in the session ranking (null: not retrieved), what the "against answer_session_ids" columns read. */
  answerSessionRanks: (number | null)[];
}

export interface LongMemEvalResult {
  path: string;
  questions: number;
  abstentionExcluded: number;
  /** Questions with at least one gold user turn (the others: single-session-assistant). */
  answerable: number;
  sessionsStored: number;
  turnsStored: number;
  repeatedSessionsSkipped: number;
  ingestSeconds: number;
  methods: Record<string, LongMemEvalMethodResult>;
  outcomes: LongMemEvalQuestionOutcome[];
  diagnostics: Record<string, LongMemEvalDiagnostics>;
}

/**
 * Why questions are missed, measured: how many of the question's content words occur in its
 * gold turns, and how long those turns are, for found versus missed questions (session
 * recall_any@5).
 */
export interface LongMemEvalDiagnostics {
  found: DiagnosticGroup;
  missed: DiagnosticGroup;
  /** A few missed questions with their gold turn and the top hit, shortened. */
  examples: { questionId: string; type: string; question: string; goldTurn: string; topHit: string }[];
}

export interface DiagnosticGroup {
  questions: number;
  /** Mean share of the question's content words found in its gold turns (exact word match). */
  queryWordsInGold: number;
  /** The same share for the top-ranked turn. */
  queryWordsInTopHit: number;
  /** Mean length in words of the gold turns and of all indexed user turns. */
  goldTurnWords: number;
  allTurnWords: number;
}

export interface LocomoMethodResult extends MethodTiming {
  /** "recall@5" ... averaged over questions with evidence. */
  overall: MetricSet;
  byCategory: Record<string, { questions: number; recall: MetricSet }>;
  /**
   * Over questions that name one of the two speakers: the share of the top 5 hits whose text
   * contains that name. Most turns do not name their own speaker, so a method that matches the
   * name itself (rather than what is asked) ranks the other speaker's "Hey Caroline!" turns high.
   */
  speakerNameInTop5: number;
}

export interface LocomoResult {
  path: string;
  conversations: number;
  questions: number;
  questionsWithoutEvidence: number;
  evidenceRepaired: string[];
  evidenceDropped: string[];
  turnsStored: number;
  imageTurns: number;
  ingestSeconds: number;
  /** Questions naming a speaker, and the share of all turns containing the named speaker (the chance level for speakerNameInTop5). */
  questionsNamingSpeaker: number;
  speakerNameInAllTurns: number;
  /** Turns whose text contains a speaker's name, and how many of those are that speaker's own turns. */
  turnsNamingASpeaker: number;
  turnsNamingOwnSpeaker: number;
  methods: Record<string, LocomoMethodResult>;
}

export interface RetrievalSetup {
  embedder: { name: string; model: string; dimensions: number };
  /** vectorQuery: what the vector side embeds for a question (not recorded by older runs). */
  search: { fusion?: "rrf" | "score"; rrfK: number; vectorWeight: number; timeWeight: number; vectorQuery?: "as is" | "without names" };
}

export interface RetrievalRun {
  /** The embedder and search settings measured (absent in runs before it was recorded). */
  setup?: RetrievalSetup;
  label: string | undefined;
  date: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  wallSeconds: number;
  methods: string[];
  longmemeval?: LongMemEvalResult;
  locomo?: LocomoResult;
}
