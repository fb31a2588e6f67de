import { createRequire } from "node:module";

/**
 * BM25 as omnimem scores keyword matches in JavaScript: over an owner's memories held in memory
 * (scope-terms.ts) and over records not yet in the index (pending-aware-index.ts). The terms are
 * the ones LanceDB's full-text index makes with its defaults (split on anything not a letter or
 * digit, lower-cased, stemmed with Porter2 (Snowball English), stems in its English stop list
 * dropped, tokens of 40 bytes or more dropped, accents folded), so a memory scores alike on
 * either path; bm25.test.ts holds them to LanceDB's own `tokenize`. LanceDB's tokenizer is
 * callable from JavaScript, but at 32 µs a text against 8 µs here, on every write.
 */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

// CommonJS without type declarations: one function, word in, stem out.
const porter2 = createRequire(import.meta.url)("wink-porter2-stemmer") as (word: string) => string;

/** Tokens this long in UTF-8 (a pasted hash, a run of CJK text) are dropped, as LanceDB drops them. */
const TOO_LONG_BYTES = 40;

/**
 * The stems LanceDB's English stop-word filter drops (it runs after the stemmer, so "does"
 * becomes "doe" and stays). Found by passing the dev samples' 54k distinct words through
 * LanceDB's `tokenize` one at a time: these are the stems of the words it returned nothing for.
 */
const STOP_STEMS = new Set(
  (
    "a about after again against ain all am an and are aren as at be been below between both but by can couldn d did didn do " +
    "doesn don down each few for from further had hadn has hasn have haven he her here herself him himself his how i if in into " +
    "is isn it itself just ll m ma me mightn more most mustn my myself needn no nor not now o of off on or other our out over own " +
    "re s same shan she should shouldn so some such t than that the their them then there these they this those through to too " +
    "under until up ve was wasn we were weren what when where which while who whom will with won wouldn y you your yourself"
  ).split(" "),
);

/** The terms BM25 counts in a text, in order, repeats kept. */
export function searchTerms(text: string): string[] {
  const terms: string[] = [];
  for (const word of text.normalize("NFC").toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (word === "" || Buffer.byteLength(word) >= TOO_LONG_BYTES) continue;
    const term = stem(word);
    if (!STOP_STEMS.has(term)) terms.push(foldAccents(term));
  }
  return terms;
}

/**
 * After stemming, as LanceDB does: "sauté" keeps its last letter (é is no vowel to Porter2) and
 * becomes "saute". Marks are stripped and the rest composed again (Hangul syllables stay whole);
 * the Latin letters that are not a base letter plus a mark are spelled out as LanceDB's ASCII
 * folding spells them.
 */
function foldAccents(term: string): string {
  if (!/[^\x00-\x7f]/.test(term)) return term;
  return term
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .normalize("NFC")
    .replace(/[œæßøłđı]/g, (letter) => LATIN_LETTERS[letter]!);
}

const LATIN_LETTERS: Record<string, string> = { œ: "oe", æ: "ae", ß: "ss", ø: "o", ł: "l", đ: "d", ı: "i" };

/**
 * Stems already made: the stemmer costs microseconds a word, and a vocabulary repeats (a
 * conversation's words are mostly the same few thousand), so reading an owner's memories is
 * mostly lookups. Emptied when full rather than kept in recency order: refilling is cheap.
 */
const stems = new Map<string, string>();
const MAX_STEMS = 100_000;

function stem(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    if (stems.size >= MAX_STEMS) stems.clear();
    // wink's Porter2 marks a consonant y as "3" while it works and turns every "3" back into a
    // letter at the end ("300" came back "y00"): a real 3 is hidden from it as another non-vowel.
    stems.set(word, (stemmed = word.includes("3") ? porter2(word.replaceAll("3", "\u0001")).replaceAll("\u0001", "3") : porter2(word)));
  }
  return stemmed;
}

/** Robertson–Spärck Jones IDF with the +1 that keeps it positive (Lucene's, LanceDB's). */
export function inverseDocumentFrequency(documents: number, containing: number): number {
  return Math.log(1 + (documents - containing + 0.5) / (containing + 0.5));
}

/** One term's contribution: `tf` occurrences in a document of `length` terms. */
export function termScore(idf: number, tf: number, length: number, averageLength: number): number {
  return idf * ((tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * length) / averageLength)));
}
