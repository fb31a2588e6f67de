export * from "./errors.js";
export type * from "./types.js";
export type * from "./embedder.js";
export type * from "./memory-store.js";
export type * from "./search-index.js";
export type * from "./llm.js";
export type * from "./session-buffer.js";
export type * from "./parser.js";
