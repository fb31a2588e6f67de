import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { MemoryConfigInput } from "../../../config/schema.js";
import { Memory } from "../../../memory.js";
import { isOmnimemError, type OmnimemError } from "../../../spec/errors.js";
import { parseLog } from "../../../store/embedded/markdown-log.js";
import { check, type DoctorCheck } from "./check.js";

const NAME = "consistency";
const REINDEX_FIX = "run omnimem reindex (rebuilds the catalog and the search index from the markdown files)";
/** A valid memory id no memory has: reading it costs nothing and tells whether the memory refuses reads. */
const PROBE_ID = "00000000-0000-0000-0000-000000000000";
/** Ids named in a detail at most; the rest are counted. */
const SAMPLE_IDS = 3;
/** Pending index jobs counted at most (a backlog this large is a problem whatever its exact size). */
const MAX_COUNTED_JOBS = 100_000;

/**
 * Opens the memory and compares its three layers: the markdown files (the truth), the SQLite
 * catalog and the search index, plus the index work still owed. They agree after every
 * acknowledged write; they disagree after a hand edit, a deleted `.index/`, or a crash the
 * outbox could not repair, and `omnimem reindex` brings them back together.
 */
export async function consistencyCheck(input: MemoryConfigInput & { root: string }, timeoutMs: number): Promise<DoctorCheck> {
  if (!existsSync(input.root)) return check(NAME, "info", "no data root yet: nothing to compare");
  let memory: Memory;
  try {
    memory = await Memory.open(withShortTimeouts(input, timeoutMs));
  } catch (error) {
    return openFailure(error);
  }
  try {
    try {
      await memory.get(PROBE_ID);
    } catch (error) {
      // An index built with another embedder opens, but every read refuses until reindex.
      if (isOmnimemError(error)) return openFailure(error);
      throw error;
    }
    return await compareLayers(memory);
  } finally {
    await memory.close();
  }
}

async function compareLayers(memory: Memory): Promise<DoctorCheck> {
  const { store, markdown: truth } = memory.backend;
  // A backend whose writes are one transaction (PostgreSQL) has no separate layers to compare.
  if (truth === undefined) return check(NAME, "info", `the ${memory.backend.kind} backend keeps records and index in one transaction: nothing to compare`);
  const files = await truth.logFiles();
  const markdown = new Map<string, string>();
  const duplicates: string[] = [];
  for (const file of files) {
    const content = await readFile(join(truth.root, file), "utf8");
    let entries;
    try {
      entries = parseLog(content, file).entries;
    } catch (error) {
      return check(
        NAME,
        "fail",
        `markdown file ${file} cannot be read: ${(error as Error).message}`,
        `repair the entry in ${file} by hand (the markdown files are the truth), then run omnimem reindex`,
      );
    }
    for (const record of entries) {
      if (markdown.has(record.id)) duplicates.push(record.id);
      markdown.set(record.id, record.text);
    }
  }

  const catalog = new Map<string, string>();
  for await (const batch of store.scan(1000)) for (const record of batch) catalog.set(record.id, record.text);
  const indexRows = await memory.searchIndex.count();
  const pendingJobs = (await store.pendingIndexJobs(MAX_COUNTED_JOBS)).length;

  const missingFromCatalog = [...markdown.keys()].filter((id) => !catalog.has(id));
  const notInMarkdown = [...catalog.keys()].filter((id) => !markdown.has(id));
  const textDiffers = [...markdown].filter(([id, text]) => catalog.has(id) && catalog.get(id) !== text).map(([id]) => id);

  const problems: string[] = [];
  if (duplicates.length > 0) problems.push(`${idList(duplicates)} appear in more than one markdown entry`);
  if (missingFromCatalog.length > 0) problems.push(`${idList(missingFromCatalog)} in markdown but not in the catalog`);
  if (notInMarkdown.length > 0) problems.push(`${idList(notInMarkdown)} in the catalog but not in markdown`);
  if (textDiffers.length > 0) problems.push(`${idList(textDiffers)} with text edited in markdown since they were cataloged`);
  if (indexRows !== catalog.size) problems.push(`the search index holds ${indexRows} rows for ${catalog.size} catalog rows`);
  if (pendingJobs > 0) problems.push(`${pendingJobs} index jobs still pending`);

  const counts = `${markdown.size} markdown entries in ${files.length} files, ${catalog.size} catalog rows, ${indexRows} index rows, ${pendingJobs} pending index jobs`;
  return problems.length === 0 ? check(NAME, "ok", `${counts}: all agree`) : check(NAME, "fail", `${counts}: ${problems.join("; ")}`, REINDEX_FIX);
}

/** What the memory refused to open with, and the way out of each. */
function openFailure(error: unknown): DoctorCheck {
  if (!isOmnimemError(error)) throw error;
  const detail = `cannot open the memory: ${error.code}: ${error.message}`;
  return check(NAME, "fail", detail, openFix(error));
}

function openFix(error: OmnimemError): string | undefined {
  switch (error.code) {
    case "INDEX_MISMATCH":
      return REINDEX_FIX;
    case "STORE_LOCKED": {
      const pid = error.details?.["pid"];
      const holder = typeof pid === "number" ? `the process holding the root (pid ${pid})` : "the process holding the root";
      return `stop ${holder}, or if it is omnimem serve, ask it instead: GET /health`;
    }
    case "PROVIDER_ERROR":
      return "check [embedding] base_url and api_key (OMNIMEM_EMBEDDING__BASE_URL, OMNIMEM_EMBEDDING__API_KEY): the memory probes the embedding model when it opens";
    case "INVALID_INPUT":
      return "correct the setting named above (omnimem config show lists every setting and where it came from)";
    default:
      return undefined;
  }
}

/**
 * The memory opened by doctor probes the embedding endpoint (for its dimension) as any open
 * does; with the configured retries and time limit an unreachable endpoint would hold doctor
 * for minutes, and the endpoint check already says why.
 */
function withShortTimeouts(input: MemoryConfigInput, timeoutMs: number): MemoryConfigInput {
  const quiet: MemoryConfigInput = { ...input, logLevel: "error" };
  if (input.embedding !== undefined) quiet.embedding = { ...input.embedding, maxRetries: 0, timeoutMs };
  return quiet;
}

function idList(ids: readonly string[]): string {
  const shown = ids.slice(0, SAMPLE_IDS).join(", ");
  const more = ids.length > SAMPLE_IDS ? ` and ${ids.length - SAMPLE_IDS} more` : "";
  return `${ids.length} ${ids.length === 1 ? "memory" : "memories"} (${shown}${more})`;
}
