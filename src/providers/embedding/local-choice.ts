import { homedir } from "node:os";
import { join } from "node:path";
import type { Embedder } from "../../spec/embedder.js";
import type { EmbeddingIdentity } from "../../spec/search-index.js";
import { HASHED_EMBEDDER_MODEL, LocalEmbedder } from "./local-embedder.js";
import { WordVectorEmbedder } from "./word-vectors/word-vector-embedder.js";
import { WORDNET_PACKAGE } from "./word-vectors/wordnet-hypernyms.js";

/** The offline embedders, by the name `[local_embedding] embedder` and `reindex --embedder` take. */
export const LOCAL_EMBEDDER_NAMES = ["word-vectors", "hashed"] as const;
export type LocalEmbedderName = (typeof LOCAL_EMBEDDER_NAMES)[number];
/** What a new root gets when no embedding endpoint is configured. */
export const DEFAULT_LOCAL_EMBEDDER: LocalEmbedderName = "word-vectors";
const WORD_VECTOR_MODEL_PREFIX = "omnimem-word-vectors-";
/** In a word-vector model's name when WordNet hypernyms are mixed into its vectors (see compact-cache.ts). */
const HYPERNYMS_MARK = `+${WORDNET_PACKAGE}@`;

export interface LocalEmbeddingSettings {
  /** Named in the config; unset: the root's own. */
  embedder?: LocalEmbedderName | undefined;
  /** The hashed embedder's vector size. */
  dimensions: number;
  cacheDir?: string | undefined;
}

export interface LocalEmbedderChoice {
  name: LocalEmbedderName;
  /** The hashed embedder's vector size (the root's, when it came from the root). */
  dimensions: number;
  /** config: named in the settings; root: the embedder the root's index was built with; default: a new root. */
  reason: "config" | "root" | "default";
  /**
   * Word vectors without WordNet hypernyms mixed in: the root's index was built with them (before
   * hypernyms were added), and a root keeps the vectors it was built with.
   */
  withoutHypernyms?: true;
}

/** Which local embedder built an index, from the model it recorded; undefined for other models. */
export function localEmbedderOfModel(model: string): LocalEmbedderName | undefined {
  // A rebuild cut short still names the embedder it was rebuilding with, before its marker.
  if (model === HASHED_EMBEDDER_MODEL || model.startsWith(`${HASHED_EMBEDDER_MODEL} [`)) return "hashed";
  if (model.startsWith(WORD_VECTOR_MODEL_PREFIX)) return "word-vectors";
  return undefined;
}

/**
 * A root keeps the local embedder it was built with: a root made before word vectors were the
 * default recorded the hashed model and goes on with it, at its own dimension, with no reindex.
 * A setting names one explicitly (reindex to move a root); a new root gets the default.
 */
export function chooseLocalEmbedder(settings: LocalEmbeddingSettings, recorded: EmbeddingIdentity | undefined): LocalEmbedderChoice {
  const fromRoot = recorded === undefined ? undefined : localEmbedderOfModel(recorded.model);
  const plain = fromRoot === "word-vectors" && !recorded!.model.includes(HYPERNYMS_MARK) ? { withoutHypernyms: true as const } : {};
  if (settings.embedder !== undefined) {
    return { name: settings.embedder, dimensions: settings.dimensions, reason: "config", ...(settings.embedder === "word-vectors" ? plain : {}) };
  }
  if (fromRoot !== undefined) {
    return { name: fromRoot, dimensions: fromRoot === "hashed" ? recorded!.dimensions : settings.dimensions, reason: "root", ...plain };
  }
  return { name: DEFAULT_LOCAL_EMBEDDER, dimensions: settings.dimensions, reason: "default" };
}

export function createLocalEmbedder(choice: LocalEmbedderChoice, settings: LocalEmbeddingSettings): Embedder {
  if (choice.name === "hashed") return new LocalEmbedder({ dimensions: choice.dimensions });
  const hypernyms = choice.withoutHypernyms === true ? { hypernyms: null } : {};
  if (settings.cacheDir !== undefined) return new WordVectorEmbedder({ cacheDir: settings.cacheDir, ...hypernyms });
  return new WordVectorEmbedder({ cacheDir: defaultCacheDir(), preparedDirs: [buildCacheDir()], ...hypernyms });
}

/**
 * Where `npm run build` leaves the table it prepares (node_modules/.cache, where build tools keep
 * theirs): a checkout that ran `npm install` has it, so no run pays the preparation. Three levels
 * up from this module is the package root, from src/ and from dist/ alike.
 */
export function buildCacheDir(): string {
  return join(import.meta.dirname, "..", "..", "..", "node_modules", ".cache", "omnimem");
}

/** Prepares the word-vector table into the build cache (run by `npm run build`). */
export async function prepareWordVectorsAtBuild(): Promise<void> {
  await new WordVectorEmbedder({ cacheDir: buildCacheDir() }).ready();
}

/** Where prepared word vectors live by default: shared by every root of the user, like other model caches. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "omnimem");
}
