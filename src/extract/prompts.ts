import type { BufferedTurn } from "../spec/session-buffer.js";

/** The prompts of every model call. Kept together so their wording can be reviewed as a set. */

export function transcript(turns: readonly BufferedTurn[]): string {
  return turns
    .map((turn, i) => `[${i + 1}] ${new Date(turn.timestamp).toISOString()} ${turn.senderId ?? turn.role} (${turn.role}): ${turn.text}`)
    .join("\n");
}

export function extractionPrompt(turns: readonly BufferedTurn[], owner: string, customInstructions: string | undefined) {
  const system = [
    "You turn one episode of a conversation into long-term memory for an AI assistant.",
    `The memory belongs to ${owner}.`,
    "Answer with a JSON object with these fields:",
    "- subject: a short title of what the episode is about.",
    "- summary: one to three sentences.",
    "- narrative: a third-person account of what was said and decided. Replace relative dates (yesterday, next Friday, last May) with absolute dates computed from the message timestamps.",
    "- facts: atomic facts worth remembering about the owner and the people and things in their life: preferences, plans, relationships, biography, events, decisions. Each is one short statement that makes sense on its own (name the subject, no pronouns without a referent), with `time` set to the ISO date it refers to when known, else null. Skip greetings, small talk, and what the assistant merely suggested. No facts is a valid answer.",
    customInstructions === undefined ? "" : `Additional instructions from the operator:\n${customInstructions}`,
  ]
    .filter((line) => line !== "")
    .join("\n");
  return { system, prompt: `Conversation:\n${transcript(turns)}` };
}

export function reconciliationPrompt(existing: readonly string[], incoming: readonly string[], customInstructions: string | undefined) {
  const system = [
    "You keep an AI assistant's memory about one person consistent.",
    "You get the existing memories (numbered by id) and new facts (numbered by index). Decide for every new fact:",
    "- ADD: it is new information. Give `fact` and the `text` to store.",
    "- UPDATE: it refines, corrects or contradicts an existing memory (for example the person moved, or changed a preference). Give the existing `id`, the `fact`, and the new `text` that replaces the memory. A contradiction is always an UPDATE of the old memory, never a second memory.",
    "- DELETE: an existing memory is now false and the new fact does not replace it. Give the `id`.",
    "- NONE: the fact is already known. Give `fact` and the `id` it matches.",
    "Only use ids from the list. Answer with a JSON object {\"operations\": [...]}, one operation per decision.",
    customInstructions === undefined ? "" : `Additional instructions from the operator:\n${customInstructions}`,
  ]
    .filter((line) => line !== "")
    .join("\n");
  const prompt = [
    "Existing memories:",
    existing.length === 0 ? "(none)" : existing.map((text, id) => `${id}: ${text}`).join("\n"),
    "",
    "New facts:",
    incoming.map((text, index) => `${index}: ${text}`).join("\n"),
  ].join("\n");
  return { system, prompt };
}

export function boundaryPrompt(turns: readonly BufferedTurn[]) {
  return {
    system: [
      "You split a running conversation into episodes: stretches about one topic or activity.",
      "Decide whether the conversation below has moved on, so that the messages before some message form a finished episode.",
      'Answer with JSON {"boundary": true|false, "firstMessageOfNewEpisode": number|null}. When unsure, answer false: the conversation continues.',
    ].join("\n"),
    prompt: `Conversation:\n${transcript(turns)}`,
  };
}
