import { z } from "zod";

/**
 * What the models must answer, as zod schemas: sent as structured output and used to validate
 * the answer. Optional values are nullable rather than absent, which strict JSON-schema modes need.
 */

export const extractionSchema = z.object({
  subject: z.string().min(1).describe("a short title for the episode, at most 10 words"),
  summary: z.string().min(1).describe("one to three sentences"),
  narrative: z.string().min(1).describe("a third-person account of the episode with absolute dates"),
  facts: z
    .array(
      z.object({
        text: z.string().min(1).describe("one short, standalone statement that makes sense without the conversation"),
        time: z.string().nullable().describe("ISO-8601 date or date-time the fact refers to, or null"),
      }),
    )
    .describe("atomic facts worth remembering; empty when there are none"),
});
export type Extraction = z.infer<typeof extractionSchema>;

export const reconciliationSchema = z.object({
  operations: z.array(
    z.object({
      event: z.enum(["ADD", "UPDATE", "DELETE", "NONE"]),
      fact: z.number().int().nullable().describe("index of the new fact this operation is about, or null"),
      id: z.number().int().nullable().describe("id of the existing memory for UPDATE, DELETE or NONE, or null"),
      text: z.string().nullable().describe("the memory text to store for ADD and UPDATE, or null"),
    }),
  ),
});
export type Reconciliation = z.infer<typeof reconciliationSchema>;

export const boundarySchema = z.object({
  boundary: z.boolean().describe("true when an earlier part of the conversation is a finished episode"),
  firstMessageOfNewEpisode: z.number().int().nullable().describe("number of the first message of the new episode, or null"),
});
export type BoundaryDecision = z.infer<typeof boundarySchema>;
