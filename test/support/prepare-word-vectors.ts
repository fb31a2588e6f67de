import { prepareWordVectorsAtBuild } from "../../src/providers/embedding/local-choice.js";

/**
 * vitest globalSetup: prepares the default embedder's compact word vectors once, before the test
 * processes start, so that no test pays the one-time preparation (seconds) inside its time limit.
 */
export default async function prepareWordVectors(): Promise<void> {
  // The build's cache: CLI children under a fresh HOME (the README test) find it too.
  await prepareWordVectorsAtBuild();
}
