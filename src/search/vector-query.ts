/**
 * What the vector side of a search embeds for a query, with static word vectors: the query
 * without its proper names.
 *
 * A name identifies; it carries no meaning a word vector can match. Static word vectors give a
 * name a generic vector (a common first name sits near every other first name), and SIF
 * weighting makes it the heaviest word of the query because names are rare. So "What did
 * Caroline research?" embedded whole pulls up the turns where someone says "Thanks, Caroline!"
 * instead of what Caroline said. Names are matched exactly by the keyword side (which also
 * reads each memory's sender); the vector side is left the meaning of the rest of the question.
 * Measured on the dev samples (bench/reports/retrieval.md): LoCoMo dev3 vector recall@10
 * 0.424 -> 0.512, better in every category; LongMemEval-S dev60 unchanged or better.
 *
 * A name here is a word starting with a capital letter that does not start a sentence (the
 * first word of a sentence is capitalised whatever it is, so it is kept). A query left with
 * no words (it was only names) is embedded as it is.
 */
export function withoutNames(query: string): string {
  const stripped = query.replace(NAME, (word: string, offset: number) => (startsSentence(query, offset) ? word : " "));
  return /[\p{L}\p{N}]/u.test(stripped) ? stripped : query;
}

/** A capitalised word, with a possessive or contraction that belongs to it ("Mel's"). */
const NAME = /(?<![\p{L}\p{N}])\p{Lu}[\p{L}\p{N}]*(?:['’]\p{L}+)?/gu;

function startsSentence(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const char = text[i]!;
    if (/\s/u.test(char) || char === '"' || char === "“" || char === "(" || char === "'" || char === "‘") continue;
    return char === "." || char === "?" || char === "!" || char === ":";
  }
  return true;
}

/**
 * The query rewrite for the vector side by the kind of embedder: names dropped for static word
 * vectors (above); left as they are for the hashed embedder (as measured before) and for an
 * embedding model, which reads a name in its context.
 */
export function vectorQueryFor(localEmbedder: string | undefined): (query: string) => string {
  return leavesNamesOut(localEmbedder) ? withoutNames : (query) => query;
}

/** Whether the vector side embeds queries without their names, by the kind of embedder (reports say so). */
export function leavesNamesOut(localEmbedder: string | undefined): boolean {
  return localEmbedder === "word-vectors";
}
