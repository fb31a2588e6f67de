import type { z } from "zod";

export interface JsonRequest<T> {
  schema: z.ZodType<T>;
  /** Names the schema for structured output (`response_format.json_schema.name`). */
  schemaName: string;
  system: string;
  prompt: string;
  abortSignal?: AbortSignal;
}

export interface ModelUsage {
  inputTokens?: number;
  outputTokens?: number;
}

/**
 * A chat model that answers with JSON validated against a zod schema. Implementation:
 * providers/llm/chat-model.ts (OpenAI-compatible endpoints or any AI SDK model).
 */
export interface StructuredModel {
  readonly modelName: string;
  generateJson<T>(request: JsonRequest<T>): Promise<{ value: T; usage: ModelUsage }>;
}
