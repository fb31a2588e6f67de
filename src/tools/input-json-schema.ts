import { z } from "zod";

/**
 * A tool's input schema as the JSON Schema models are shown (MCP's tools/list, the AI SDK's tool
 * definitions): the object's fields and their descriptions, without `$schema`. Validation is
 * not the caller's: runMemoryTool checks the input against the zod schema itself and answers
 * INVALID_INPUT naming the field, the same over MCP and the AI SDK.
 */
export function toolInputJsonSchema(schema: z.ZodType): Record<string, unknown> & { type: "object" } {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...json, type: "object" };
}
