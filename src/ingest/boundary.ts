import type { BufferedTurn } from "../spec/session-buffer.js";

export interface BoundaryRules {
  /** A silence longer than this starts a new episode. */
  gapHours: number;
  /** A buffer past either limit becomes an episode without asking anyone. */
  hardTokenLimit: number;
  hardMsgLimit: number;
}

/** Rough token count (4 characters a token): good enough for limits, no tokenizer to load. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Whether `next` must start a new episode, judged by rules alone: a new calendar day (UTC) or
 * a long silence since the last buffered turn.
 */
export function startsNewEpisode(last: BufferedTurn | undefined, next: BufferedTurn, rules: BoundaryRules): boolean {
  if (last === undefined) return false;
  if (new Date(last.timestamp).toISOString().slice(0, 10) !== new Date(next.timestamp).toISOString().slice(0, 10)) return true;
  return next.timestamp - last.timestamp > rules.gapHours * 3_600_000;
}

export function overHardLimit(buffer: readonly BufferedTurn[], rules: BoundaryRules): boolean {
  if (buffer.length >= rules.hardMsgLimit) return true;
  let tokens = 0;
  for (const turn of buffer) tokens += estimateTokens(turn.text);
  return tokens >= rules.hardTokenLimit;
}
