/**
 * Deterministic synthetic memories for benchmarks: short first-person statements built from a
 * Zipf-distributed vocabulary, so term frequencies look like real text and queries can be
 * drawn from what was stored.
 */
const SUBJECTS = ["I", "My sister", "Our team", "My landlord", "The doctor", "My manager", "Alex", "Sam", "My daughter", "The coach"];
const VERBS = ["mentioned", "booked", "cancelled", "prefers", "bought", "planned", "forgot", "recommended", "moved", "finished"];

/** A small deterministic generator (mulberry32), so two benchmark runs see the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function vocabulary(size: number, random: () => number): string[] {
  const syllables = ["ka", "lo", "mi", "ren", "to", "sa", "vi", "dor", "pe", "lin", "qua", "mor", "sen", "tal", "ber", "nu", "fi", "gra"];
  const words = new Set<string>();
  while (words.size < size) {
    const length = 2 + Math.floor(random() * 3);
    let word = "";
    for (let i = 0; i < length; i++) word += syllables[Math.floor(random() * syllables.length)];
    words.add(word);
  }
  return [...words];
}

export function makeCorpus(n: number, seed: number): string[] {
  const random = seededRandom(seed);
  const words = vocabulary(20_000, random);
  const zipf = () => words[Math.floor(Math.pow(random(), 2.2) * words.length)]!;
  return Array.from({ length: n }, () => {
    const subject = SUBJECTS[Math.floor(random() * SUBJECTS.length)];
    const verb = VERBS[Math.floor(random() * VERBS.length)];
    const body = Array.from({ length: 8 + Math.floor(random() * 12) }, zipf).join(" ");
    return `${subject} ${verb} the ${body}.`;
  });
}

/** Queries of 3-5 words taken from one stored memory (its index is `source`). */
export function makeQueries(corpus: string[], count: number, seed: number): { text: string; source: number }[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const source = Math.floor(random() * corpus.length);
    const words = corpus[source]!.replace(/\.$/, "").split(" ").slice(3);
    const take = 3 + Math.floor(random() * 3);
    const start = Math.floor(random() * Math.max(1, words.length - take));
    return { text: words.slice(start, start + take).join(" "), source };
  });
}
