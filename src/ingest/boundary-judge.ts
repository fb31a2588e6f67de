import type { Logger } from "../log.js";
import { boundaryPrompt } from "../extract/prompts.js";
import { boundarySchema } from "../extract/schemas.js";
import type { StructuredModel } from "../spec/llm.js";
import type { BufferedTurn, SessionBuffer, SessionKey } from "../spec/session-buffer.js";

export interface BoundaryJudgeSettings {
  /** The LLM is not asked about a buffer shorter than this: too little to judge a topic shift. */
  minMessages: number;
  /** ...nor again until this many turns arrived since it last judged the buffer. */
  judgeEvery: number;
}

/**
 * Asks the LLM where an episode ends, only when the rules could not tell and the buffer has
 * grown enough since the last question: never once per add (EverOS asks on every add).
 */
export class BoundaryJudge {
  constructor(
    private readonly llm: StructuredModel | undefined,
    private readonly buffer: SessionBuffer,
    private readonly settings: BoundaryJudgeSettings,
    private readonly logger: Logger,
  ) {}

  /** How many leading turns form a finished episode, or undefined when the conversation goes on. */
  async split(key: SessionKey, turns: readonly BufferedTurn[]): Promise<number | undefined> {
    if (this.llm === undefined || turns.length < this.settings.minMessages) return undefined;
    const judged = await this.buffer.judgedCount(key);
    if (turns.length - judged < this.settings.judgeEvery) return undefined;
    let decision;
    try {
      decision = (await this.llm.generateJson({ schema: boundarySchema, schemaName: "episode_boundary", ...boundaryPrompt(turns) })).value;
    } catch (error) {
      // The turns are safely buffered; rules and the idle flush still end the episode.
      this.logger.warn({ err: error }, "boundary detection failed; the session stays buffered");
      return undefined;
    }
    const first = decision.firstMessageOfNewEpisode;
    const split = decision.boundary && first !== null && first >= 2 && first <= turns.length ? first - 1 : undefined;
    await this.buffer.setJudgedCount(key, split === undefined ? turns.length : turns.length - split);
    return split;
  }
}
