import type { BufferedTurn } from "../spec/session-buffer.js";
import type { Role } from "../spec/types.js";

/** How local mode (and an extraction given up on) writes turns as an episode's text: one `sender (role): text` per turn. */
export function verbatimText(turns: readonly Pick<BufferedTurn, "role" | "senderId" | "text">[]): string {
  return turns.map((turn) => `${turn.senderId ?? turn.role} (${turn.role}): ${turn.text}`).join("\n");
}

const TURN_START = /^(.+?) \((user|assistant|system|tool)\): /;

/**
 * The turns back from a verbatim episode's text, for a re-extraction. A line that does not start
 * like a turn continues the one before (a turn's text may span lines). The per-turn times are not
 * in the text: every turn gets the episode's.
 */
export function turnsFromVerbatim(text: string, timestamp: number, idPrefix: string): BufferedTurn[] {
  const turns: BufferedTurn[] = [];
  for (const line of text.split("\n")) {
    const start = TURN_START.exec(line);
    const last = turns[turns.length - 1];
    if (start === null && last !== undefined) {
      last.text += `\n${line}`;
      continue;
    }
    const role = (start?.[2] ?? "user") as Role;
    const sender = start?.[1];
    const turn: BufferedTurn = { messageId: `${idPrefix}#${turns.length}`, role, timestamp, text: start === null ? line : line.slice(start[0].length) };
    if (sender !== undefined && sender !== role) turn.senderId = sender;
    turns.push(turn);
  }
  return turns;
}
