import type { MemoryConfig } from "../config/schema.js";
import type { Backend } from "../spec/backend.js";
import type { SearchIndex } from "../spec/search-index.js";
import type { Logger } from "../log.js";
import { EmbeddedBackend } from "./embedded/embedded-backend.js";
import { PostgresMemoryBackend } from "./postgres/postgres-memory-backend.js";

export interface CreateBackendOptions {
  /** Another search index for the embedded backend (tests inject failing ones). */
  index?: SearchIndex;
  onIndexError?: (error: unknown) => void;
  logger?: Logger;
}

/**
 * `[store] backend` made into a backend instance: the one place that knows every backend folder.
 * Constructing does no I/O; Memory opens it.
 */
export function createBackend(config: MemoryConfig, options: CreateBackendOptions = {}): Backend {
  const { store } = config;
  switch (store.backend) {
    case "embedded":
      return new EmbeddedBackend({
        root: config.root,
        annMinRows: config.search.annMinRows,
        annEf: config.search.annEf,
        ...options,
      });
    case "postgres":
      // The schema refuses backend = postgres without a url.
      return new PostgresMemoryBackend({ url: store.url!, poolSize: store.poolSize, schema: store.schema, index: { vectors: store.vectors } });
  }
}
