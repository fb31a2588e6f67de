import type { LlmConfig } from "../../config/schema.js";
import type { Logger } from "../../log.js";
import type { StructuredModel } from "../../spec/llm.js";
import { ChatModel } from "./chat-model.js";

/** The extraction model `[llm]` configures. */
export function chatModelFrom(config: LlmConfig, logger: Logger): StructuredModel {
  // maxExtractionAttempts is formation's setting, not the model's.
  const { baseUrl, maxExtractionAttempts: _formationSetting, ...rest } = config;
  return new ChatModel({ ...rest, baseURL: baseUrl, logger });
}
