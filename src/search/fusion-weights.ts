/**
 * Hybrid's default weight for the vector ranking (the keyword ranking weighs 1), by the kind of
 * embedder, when `search.vector_weight` is not set. Measured in bench/reports/retrieval.md.
 *
 * - hashed (words and character trigrams): its ranking mostly repeats BM25's, noisier; at equal
 *   weight it pulled hybrid below keyword alone, at 0.25 it costs little.
 * - word-vectors (static word vectors, SIF-weighted): a semantic signal BM25 lacks (paraphrases,
 *   related words) but much weaker than BM25 where the words are shared (LoCoMo dev3 recall@10:
 *   vectors 0.42, BM25 0.76). With score fusion (below) at 0.25 hybrid stayed at or above keyword
 *   on both dev samples (0.5: LongMemEval turn recall_all@10 0.88 < 0.90, LoCoMo 0.729 < 0.759);
 *   where BM25 finds nothing (a pure paraphrase) the vectors decide whatever their weight.
 *   Re-measured once cosines were scaled from the pool's last (search-engine.ts, poolFloor),
 *   with WordNet hypernyms in the vectors: 0.2 and 0.3 gave LongMemEval-S dev60 the same recall
 *   (session ndcg_any@5 0.919 at 0.2, 0.928 at 0.25 and 0.3) and LoCoMo dev3 recall@10 0.784 and
 *   0.785 against 0.783, within a question: 0.25 kept. Once cosines were scaled to a perfect
 *   match instead of the pool's best (search-engine.ts, COSINE_CEILING), a vector share is
 *   smaller unless the cosine is high, and the weight was measured again: 0.5 (LongMemEval-S
 *   dev60 session recall_all@5 0.96, LoCoMo dev3 recall@10 0.784); 0.25 fell to session
 *   recall_all@5 0.94 and LoCoMo 0.780, and 0.4 to 0.6 moved nothing by more than a question.
 * - an embedding model (endpoint or custom instance): 1, as measured before.
 */
export const HASHED_WEIGHT = 0.25;
export const WORD_VECTORS_WEIGHT = 0.5;

export function defaultVectorWeight(localEmbedder: string | undefined): number {
  if (localEmbedder === "hashed") return HASHED_WEIGHT;
  if (localEmbedder === "word-vectors") return WORD_VECTORS_WEIGHT;
  return 1;
}

/**
 * Hybrid's default fusion by the kind of embedder, when `search.fusion` is not set: normalised
 * scores for the word-vector embedder, whose ranking is much weaker than BM25's on some data
 * (LoCoMo) and helps on other (LongMemEval paraphrases): score fusion lets a clear keyword
 * winner stay first and lets the vectors decide where BM25's scores are flat, where reciprocal
 * rank gives a weak list's top ranks the same pull whatever the margins. Reciprocal rank
 * otherwise, as measured before.
 */
export function defaultFusion(localEmbedder: string | undefined): "rrf" | "score" {
  return localEmbedder === "word-vectors" ? "score" : "rrf";
}
