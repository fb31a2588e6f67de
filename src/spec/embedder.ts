/** Turns texts into vectors. Implementations: providers/embedding (local, OpenAI-compatible). */
export interface Embedder {
  /** Recorded with the index: a different model or dimension means the index must be rebuilt. */
  readonly model: string;
  /** Known after `ready()`; an endpoint without a configured dimension is probed once. */
  readonly dimensions: number;
  ready(): Promise<void>;
  /** One vector per text, in order, each L2-normalised. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}
