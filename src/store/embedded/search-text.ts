import type { MemoryRecord } from "../../spec/types.js";

/**
 * What the full-text index reads for a memory: besides its text, who said it and the turn it
 * answers.
 *
 * - The sender's name: questions name people ("What did Caroline research?"), and a turn rarely
 *   contains its own speaker's name (the other person's turns do: "Thanks, Caroline!").
 * - For a verbatim turn (a memory with a role, stored by `infer: false`), the text of the turn
 *   before it in the same session: a reply ("Yes, adoption agencies!") is found by the words of
 *   the question it answers. Measured with BM25 on LoCoMo dev3: evidence recall@10 0.573 → 0.638
 *   with the sender, → 0.759 with the previous turn too; LongMemEval-S dev60 (user turns, no
 *   sender) unchanged. Dates as words were tried and left out: +0.02 on LoCoMo, −0.04 turn
 *   recall_all@10 on LongMemEval; time is matched by time-aware search instead.
 */
export function searchText(record: Pick<MemoryRecord, "text" | "senderId">, previousTurn: string | undefined): string {
  const own = record.senderId === undefined ? record.text : `${record.senderId}: ${record.text}`;
  return previousTurn === undefined || previousTurn === "" ? own : `${own}\n${clip(previousTurn)}`;
}

/** The previous turn is context, not content: a long one (a pasted document) is cut. */
const CONTEXT_CHARS = 1_000;

function clip(text: string): string {
  if (text.length <= CONTEXT_CHARS) return text;
  const cut = text.lastIndexOf(" ", CONTEXT_CHARS);
  return text.slice(0, cut > 0 ? cut : CONTEXT_CHARS);
}

/** Memories that are one turn of a conversation, whose neighbour is context: those stored with a role. */
export function isVerbatimTurn(record: Pick<MemoryRecord, "role" | "sessionId" | "kind">): boolean {
  return record.role !== undefined && record.sessionId !== undefined && record.kind === "episode";
}

/**
 * The SQL that fills the column for rows written before it existed (no previous-turn context:
 * `reindex` adds that). concat_ws skips a null sender.
 */
export const SEARCH_TEXT_SQL = "concat_ws(': ', sender_id, text)";

/** The turn before a verbatim turn: its text goes into the full-text column, its vector into the row's. */
export interface PreviousTurn {
  text: string;
  vector: Float32Array;
}

/** How much of the previous turn's vector a turn's indexed vector holds (its own weighs 1). */
export const CONTEXT_VECTOR_WEIGHT = 0.5;

/**
 * A turn's indexed vector with its previous turn as context, the vector analogue of the
 * previous turn in `search_text`: normalise(own + CONTEXT_VECTOR_WEIGHT × previous). A reply
 * ("Yes, mostly adoption agencies") then sits near the question it answers.
 */
export function withContext(own: Float32Array, previous: Float32Array): Float32Array {
  if (previous.length !== own.length) return own;
  const mixed = new Float32Array(own.length);
  let norm = 0;
  for (let i = 0; i < own.length; i++) {
    mixed[i] = own[i]! + CONTEXT_VECTOR_WEIGHT * previous[i]!;
    norm += mixed[i]! * mixed[i]!;
  }
  if (norm === 0) return own;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < mixed.length; i++) mixed[i]! *= scale;
  return mixed;
}
