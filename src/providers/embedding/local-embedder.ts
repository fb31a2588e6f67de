import type { Embedder } from "../../spec/embedder.js";
import { isStopWord, words } from "../../text/tokenize.js";
import { addHashedFeature } from "./feature-hash.js";

export interface LocalEmbedderOptions {
  /** Vector size; more dimensions mean fewer hash collisions and a bigger index. */
  dimensions?: number;
}

/** Weights of the three feature families; words dominate, n-grams give robustness to inflection and typos. */
const WORD_WEIGHT = 1;
const BIGRAM_WEIGHT = 0.5;
const TRIGRAM_WEIGHT = 0.25;
/** The model name roots built with this embedder recorded (the default before word vectors). */
export const HASHED_EMBEDDER_MODEL = "omnimem-local-hash-v1";

/**
 * An embedder that needs no network and no weights: the hashing trick over content words,
 * word bigrams and character trigrams, L2-normalised. Deterministic across runs and machines,
 * so an index built with it stays valid. It captures lexical overlap, not meaning; configure
 * an embedding endpoint for semantic recall.
 */
export class LocalEmbedder implements Embedder {
  readonly dimensions: number;
  readonly model: string;

  constructor(options: LocalEmbedderOptions = {}) {
    this.dimensions = options.dimensions ?? 256;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 16 || this.dimensions > 4096) {
      throw new RangeError(`local embedder dimensions must be an integer in 16..4096, got ${this.dimensions}`);
    }
    this.model = HASHED_EMBEDDER_MODEL;
  }

  async ready(): Promise<void> {}

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    const content = words(text).filter((word) => !isStopWord(word));
    for (let i = 0; i < content.length; i++) {
      const word = content[i]!;
      this.addFeature(vector, `w:${word}`, WORD_WEIGHT);
      if (i > 0) this.addFeature(vector, `b:${content[i - 1]}_${word}`, BIGRAM_WEIGHT);
      const padded = `<${word}>`;
      for (let j = 0; j + 3 <= padded.length; j++) this.addFeature(vector, `c:${padded.slice(j, j + 3)}`, TRIGRAM_WEIGHT);
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
    }
    return vector;
  }

  private addFeature(vector: Float32Array, feature: string, weight: number): void {
    addHashedFeature(vector, feature, weight);
  }
}
