export { Memory } from "./memory.js";
export type { AddOptions, AddResult, AddResultEvent, GetAllOptions, MemoryOptions, OwnerOptions, SearchOptions } from "./memory.js";
export type { MessageInput, InputMessage } from "./ingest/messages.js";
export { memoryConfigSchema, type MemoryConfig, type MemoryConfigInput } from "./config/schema.js";
export * from "./spec/index.js";
export { LocalEmbedder } from "./providers/embedding/local-embedder.js";
export { OpenAICompatibleEmbedder } from "./providers/embedding/openai-embedder.js";
export { EmbeddedStore } from "./store/embedded/embedded-store.js";
export { LanceIndex } from "./store/embedded/lance-index.js";
