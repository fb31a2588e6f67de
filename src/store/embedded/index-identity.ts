import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EmbeddingIdentity } from "../../spec/search-index.js";

/** The file in the index folder that records what built the index (model, dimension, layout). */
export const IDENTITY_FILE = "omnimem-index.json";

/** The embedded store's index folder under a root. */
export function indexDirectory(root: string): string {
  return join(root, ".index", "lance");
}

/**
 * The embedding model and dimension an index folder was built with, read synchronously (the
 * embedder is chosen before anything opens), without loading the index engine: undefined when
 * there is no index there yet.
 */
export function recordedIndexIdentity(directory: string): EmbeddingIdentity | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(directory, IDENTITY_FILE), "utf8")) as Partial<EmbeddingIdentity>;
    return typeof parsed.model === "string" && typeof parsed.dimensions === "number" ? { model: parsed.model, dimensions: parsed.dimensions } : undefined;
  } catch {
    return undefined;
  }
}
