import { defaultCacheDir } from "../../src/providers/embedding/local-choice.js";
import { WordVectorEmbedder } from "../../src/providers/embedding/word-vectors/word-vector-embedder.js";

/**
 * vitest globalSetup: prepares the default embedder's compact word vectors once, before the test
 * processes start, so that no test pays the one-time preparation (seconds) inside its time limit.
 */
export default async function prepareWordVectors(): Promise<void> {
  await new WordVectorEmbedder({ cacheDir: defaultCacheDir() }).ready();
}
