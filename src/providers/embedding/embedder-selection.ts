import type { MemoryConfig } from "../../config/schema.js";
import type { Embedder } from "../../spec/embedder.js";
import { indexDirectory, recordedIndexIdentity } from "../../store/embedded/index-identity.js";
import { chooseLocalEmbedder, createLocalEmbedder, localEmbedderOfModel, type LocalEmbedderChoice } from "./local-choice.js";
import { OpenAICompatibleEmbedder } from "./openai-embedder.js";

export interface EmbedderInfo {
  name: "word-vectors" | "hashed" | "endpoint" | "custom";
  model: string;
  /** Read from the embedder when asked: an endpoint model's is known once the memory is open. */
  dimensions: number;
  /** For a local embedder: named in the config, kept from the root's index, or the default of a new root. */
  chosenBy?: LocalEmbedderChoice["reason"];
}

/**
 * The embedder `[embedding]` (or its absence) asks for; the server builds it itself to time its
 * calls. Without an endpoint, the local embedder the root was built with (see chooseLocalEmbedder).
 */
export function defaultEmbedder(config: MemoryConfig): Embedder {
  const local = localEmbedderChoice(config);
  if (local !== undefined) return createLocalEmbedder(local, config.localEmbedding);
  const { baseUrl, ...rest } = config.embedding!;
  return new OpenAICompatibleEmbedder({ ...rest, baseURL: baseUrl });
}

/** Which local embedder a root uses when no endpoint is configured; undefined with an endpoint. */
export function localEmbedderChoice(config: MemoryConfig): LocalEmbedderChoice | undefined {
  if (config.embedding !== undefined) return undefined;
  return chooseLocalEmbedder(config.localEmbedding, recordedIndexIdentity(indexDirectory(config.root)));
}

/** A local embedder by name (word-vectors, hashed), "endpoint" for the configured model, "custom" for an instance passed in. */
export function describeEmbedder(embedder: Embedder, config: MemoryConfig, choice: LocalEmbedderChoice | undefined): EmbedderInfo {
  const { model } = embedder;
  const local = localEmbedderOfModel(model);
  const name = local ?? (config.embedding !== undefined && model === config.embedding.model ? "endpoint" : "custom");
  return {
    name,
    model,
    // Read when asked: an endpoint model's dimension is known only once ready() probed it, and
    // doctor describes a memory it never opens (its endpoint line does not show a dimension).
    get dimensions() {
      return embedder.dimensions;
    },
    ...(choice === undefined ? {} : { chosenBy: choice.reason }),
  };
}
