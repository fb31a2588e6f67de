import { z } from "zod";

/** Agentic search's question to the model: do the memories found answer the query, and if not, what to search for. */
export function retrievalJudgementPrompt(query: string, memories: readonly string[]) {
  return {
    system: [
      "You check whether memories retrieved for a query answer it.",
      'Answer with JSON {"sufficient": true|false, "queries": [...]}. When they do not, write up to 3 different search queries',
      "(other wordings, related people, places, dates or events) that could find what is missing; otherwise an empty list.",
    ].join("\n"),
    prompt: [`Query: ${query}`, "", "Retrieved memories:", memories.length === 0 ? "(none)" : memories.map((m, i) => `[${i + 1}] ${m}`).join("\n")].join("\n"),
  };
}

export const retrievalJudgementSchema = z.object({
  sufficient: z.boolean().describe("true when the memories answer the query"),
  queries: z.array(z.string().min(1)).max(3).describe("up to 3 complementary search queries when not sufficient"),
});
export type RetrievalJudgement = z.infer<typeof retrievalJudgementSchema>;
