/**
 * Word tokens for the local embedder: lower-cased, accents folded, split on anything that is
 * not a letter or digit. Kept separate so the embedder and future lexical tools agree.
 */
const STOP_WORDS = new Set(
  (
    "a an and are as at be been but by can could did do does for from had has have he her him his how i if in into is it its " +
    "me my no not of on or our she so than that the their them then there these they this to too us was we were what when where " +
    "which who whom why will with would you your yours am about after all also any because before being both each few more most " +
    "other over same some such only own just should now very s t don doesn didn isn wasn"
  ).split(" "),
);

export function words(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}
