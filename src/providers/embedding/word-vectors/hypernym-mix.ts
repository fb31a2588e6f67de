import type { Hypernym } from "./wordnet-hypernyms.js";
import type { SourceVectors } from "./wink-source.js";

export interface HypernymMixOptions {
  /** Share of a noun's direction taken from its hypernyms (0: the word vector alone). */
  weight: number;
  /** Each level further up counts this much less than the one below. */
  decay: number;
  /** Words more frequent than this rank keep their own vector: their contexts pin their meaning down. */
  minRank: number;
}

/**
 * Moves each noun's word vector towards its WordNet hypernyms ("beagle" towards hound, hunting
 * dog, dog). A distributional vector knows a word by the texts it occurs in, so a word whose
 * commonest sense in news and encyclopaedia text is not its everyday one lands in the wrong
 * place: in these GloVe vectors "beagle" sits next to the Mars lander, not the dogs. WordNet
 * says what kind of thing the word names; mixing the vectors of those kinds into the word's own
 * keeps what the corpus knew (its length, which SIF weighting reads as salience, is unchanged)
 * and adds what it lacked (the "retrofitting" idea of Faruqui et al., NAACL 2015, done in one
 * step with the hypernym relation only).
 *
 * The hypernyms' own vectors are the source's, unmixed, so the result does not depend on the
 * order of words. A plural without an entry of its own uses its singular's hypernyms.
 */
export function mixHypernyms(source: SourceVectors, hypernyms: ReadonlyMap<string, readonly Hypernym[]>, options: HypernymMixOptions): SourceVectors {
  const { dimensions } = source;
  const unitOf = new Map<string, Float64Array>();
  for (const entry of source.words) unitOf.set(entry.word, unit(entry.vector));
  const words = source.words.map((entry) => {
    if (entry.rank < options.minRank || options.weight <= 0) return entry;
    const found = hypernyms.get(entry.word) ?? hypernyms.get(singular(entry.word, hypernyms) ?? "");
    if (found === undefined) return entry;
    const target = new Float64Array(dimensions);
    let used = 0;
    for (const hypernym of found) {
      const parts = hypernym.words.map((word) => unitOf.get(word)).filter((vector): vector is Float64Array => vector !== undefined);
      if (parts.length === 0) continue;
      const factor = options.decay ** (hypernym.depth - 1) / parts.length;
      for (const part of parts) for (let d = 0; d < dimensions; d++) target[d]! += factor * part[d]!;
      used += 1;
    }
    if (used === 0) return entry;
    const own = unitOf.get(entry.word)!;
    const towards = unit(target);
    const mixed = new Float64Array(dimensions);
    for (let d = 0; d < dimensions; d++) mixed[d] = (1 - options.weight) * own[d]! + options.weight * towards[d]!;
    const length = norm(entry.vector) / (norm(mixed) || 1);
    for (let d = 0; d < dimensions; d++) mixed[d]! *= length;
    return { ...entry, vector: mixed };
  });
  return { ...source, words };
}

function singular(word: string, known: ReadonlyMap<string, unknown>): string | undefined {
  if (word.length < 4 || !word.endsWith("s") || word.endsWith("ss")) return undefined;
  const candidates = word.endsWith("ies") ? [`${word.slice(0, -3)}y`] : word.endsWith("es") ? [word.slice(0, -2), word.slice(0, -1)] : [word.slice(0, -1)];
  return candidates.find((candidate) => known.has(candidate));
}

function norm(vector: Float64Array): number {
  let sum = 0;
  for (const value of vector) sum += value * value;
  return Math.sqrt(sum);
}

function unit(vector: Float64Array): Float64Array {
  const length = norm(vector);
  return length > 0 ? vector.map((value) => value / length) : Float64Array.from(vector);
}
