import { randomBytes } from "node:crypto";
import { appendFile, mkdir, open, readdir, readFile, realpath, rename, stat, unlink, writeFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Backend, RecordFilter } from "../../spec/backend.js";
import { CapabilityUnavailableError, ValidationError } from "../../spec/errors.js";
import type { MemoryKind, MemoryRecord, SourcePart } from "../../spec/types.js";
import { listEntryIds, logFilePath, renderEntry, renderLogHeader } from "../../store/embedded/markdown-log.js";
import { assertSegmentId } from "../../store/ids.js";
import { UsageError } from "../args.js";

export interface ExportOptions {
  format: "jsonl" | "markdown";
  /** jsonl: a file, or undefined for standard output; markdown: a folder (required). */
  out: string | undefined;
  /** One owner only (in the config's app and project); default: every owner in the root. */
  userId?: string;
  /** The owner when no userId is given; with a userId, only that user's memories made with this agent. */
  agentId?: string;
  kind?: MemoryKind;
  /** Replace an existing jsonl file, or write into a non-empty markdown folder. */
  force?: boolean;
  /** Where jsonl goes when `out` is undefined; default: process.stdout. */
  stdout?: NodeJS.WritableStream;
}

export interface ExportSummary {
  format: "jsonl" | "markdown";
  /** Memories written: JSONL lines, or entries in the copied markdown files. */
  memories: number;
  /** Files written (empty when JSONL went to standard output). */
  files: string[];
}

/** One exported memory: the record with Mem0's snake_case names, ISO dates, null for what it lacks. */
export interface ExportLine {
  id: string;
  kind: MemoryKind;
  memory: string;
  user_id: string | null;
  agent_id: string | null;
  app_id: string;
  project_id: string;
  session_id: string | null;
  run_id: string | null;
  sender_id: string | null;
  role: string | null;
  timestamp: string;
  created_at: string;
  updated_at: string;
  metadata: MemoryRecord["metadata"];
  hash: string;
  episode_id: string | null;
  subject: string | null;
  summary: string | null;
  /** The files whose parsed text the memory holds, each with the parser (and model) that read it; empty when none. */
  source_parts: SourcePart[];
}

/** JSONL lines are gathered into writes of about this size: one write per line is slow, one per export is not streaming. */
const WRITE_CHUNK_CHARS = 64 * 1024;

/** What export reads (an open Memory is one): a backend's records (and its markdown files, when it has them), and the app and project one owner lives in. */
export interface ExportSource {
  backend: Pick<Backend, "recordsInCreationOrder" | "markdown">;
  config: { appId: string; projectId: string };
}

/**
 * `omnimem export`: every memory (or one owner's) as JSONL, one object a line, oldest first
 * (created_at, then id) so two exports of the same data diff line by line; or markdown daily
 * logs: the files themselves, copied byte for byte, from a backend whose truth they are, and
 * rendered from the records, in the same layout, from any other (PostgreSQL): the backup people
 * can read, and a root `omnimem reindex` can serve.
 */
export async function runExport(source: ExportSource, options: ExportOptions): Promise<ExportSummary> {
  const kind = optionalKind(options.kind);
  const userId = options.userId === undefined ? undefined : assertSegmentId(options.userId, "userId");
  const agentId = options.agentId === undefined ? undefined : assertSegmentId(options.agentId, "agentId");
  if (options.format === "jsonl") return exportJsonl(source, { ...options, userId, agentId, kind });
  if (options.format === "markdown") return exportMarkdown(source, { ...options, userId, agentId, kind });
  throw new UsageError(`--format must be jsonl or markdown (got ${JSON.stringify(options.format)})`, "format");
}

export function exportLine(record: MemoryRecord): ExportLine {
  return {
    id: record.id,
    kind: record.kind,
    memory: record.text,
    user_id: record.userId ?? null,
    agent_id: record.agentId ?? null,
    app_id: record.scope.appId,
    project_id: record.scope.projectId,
    session_id: record.sessionId ?? null,
    run_id: record.runId ?? null,
    sender_id: record.senderId ?? null,
    role: record.role ?? null,
    timestamp: new Date(record.timestamp).toISOString(),
    created_at: new Date(record.createdAt).toISOString(),
    updated_at: new Date(record.updatedAt).toISOString(),
    metadata: record.metadata,
    hash: record.hash,
    episode_id: record.episodeId ?? null,
    subject: record.subject ?? null,
    summary: record.summary ?? null,
    source_parts: record.sourceParts ?? [],
  };
}

/* ------------------------------------------------------------------------------------------ */
/* JSONL                                                                                       */
/* ------------------------------------------------------------------------------------------ */

function recordsOf(source: ExportSource, filter: RecordFilter): AsyncIterable<MemoryRecord> {
  if (source.backend.recordsInCreationOrder === undefined) {
    throw new CapabilityUnavailableError("this backend cannot list its records in creation order, which export needs", { details: { capability: "export" } });
  }
  return source.backend.recordsInCreationOrder(filter);
}

async function exportJsonl(source: ExportSource, options: ExportOptions): Promise<ExportSummary> {
  const records = recordsOf(source, catalogFilter(source, options));
  if (options.out === undefined) {
    const memories = await writeLines(records, (chunk) => writeToStream(options.stdout ?? process.stdout, chunk));
    return { format: "jsonl", memories, files: [] };
  }
  const out = options.out;
  await refuseExistingFile(out, options.force === true);
  await mkdir(dirname(resolve(out)), { recursive: true });
  // Written beside the target and renamed at the end: a failed export leaves no half file behind.
  const temp = join(dirname(resolve(out)), `.${basename(out)}.partial-${process.pid}-${randomBytes(6).toString("hex")}`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx");
    const file = handle;
    const memories = await writeLines(records, async (chunk) => {
      await file.write(chunk);
    });
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, out);
    return { format: "jsonl", memories, files: [out] };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

async function writeLines(records: AsyncIterable<MemoryRecord>, write: (chunk: string) => Promise<void>): Promise<number> {
  let count = 0;
  let chunk = "";
  for await (const record of records) {
    chunk += `${JSON.stringify(exportLine(record))}\n`;
    count++;
    if (chunk.length >= WRITE_CHUNK_CHARS) {
      await write(chunk);
      chunk = "";
    }
  }
  if (chunk.length > 0) await write(chunk);
  return count;
}

/** Resolves once the stream has taken the chunk, so a slow reader (a pipe) holds the export back instead of memory filling up. */
function writeToStream(stream: NodeJS.WritableStream, chunk: string): Promise<void> {
  return new Promise((done, fail) => {
    stream.write(chunk, (error) => (error === null || error === undefined ? done() : fail(error)));
  });
}

function catalogFilter(memory: ExportSource, options: ExportOptions): RecordFilter {
  const filter: RecordFilter = {};
  if (options.kind !== undefined) filter.kind = options.kind;
  if (options.userId === undefined && options.agentId === undefined) return filter;
  // One owner lives in one app and project: the config's, which --app and --project set.
  filter.appId = memory.config.appId;
  filter.projectId = memory.config.projectId;
  if (options.userId !== undefined) {
    filter.ownerType = "user";
    filter.ownerId = options.userId;
    if (options.agentId !== undefined) filter.agentId = options.agentId;
  } else {
    filter.ownerType = "agent";
    filter.ownerId = options.agentId;
  }
  return filter;
}

async function refuseExistingFile(out: string, force: boolean): Promise<void> {
  const existing = await stat(out).catch(() => undefined);
  if (existing === undefined) return;
  if (existing.isDirectory()) throw new ValidationError(`${out} is a folder; JSONL export needs a file name`, { details: { path: "out" } });
  if (!force) throw new ValidationError(`${out} exists; pass --force to replace it`, { details: { path: "out" } });
}

/* ------------------------------------------------------------------------------------------ */
/* Markdown                                                                                    */
/* ------------------------------------------------------------------------------------------ */

async function exportMarkdown(memory: ExportSource, options: ExportOptions): Promise<ExportSummary> {
  const out = options.out;
  if (out === undefined) throw new ValidationError("markdown export needs an out folder", { details: { path: "out" } });
  if (options.userId !== undefined && options.agentId !== undefined) {
    // A user's files hold the memories of every agent; copying whole files cannot narrow them further.
    throw new ValidationError("markdown export copies whole files: give userId or agentId, not both", { details: { path: "agentId" } });
  }
  const store = memory.backend.markdown;
  if (store !== undefined) await refuseInsideRoot(out, store.root);
  await refuseNonEmptyFolder(out, options.force === true);
  if (store === undefined) return renderMarkdown(memory, out, options);

  const wanted = logFileFilter(memory, options);
  const files: string[] = [];
  let memories = 0;
  for (const file of await store.logFiles()) {
    if (!wanted(file)) continue;
    // Read once and written from the same bytes, so the count describes exactly what was copied.
    const bytes = await readFile(join(store.root, file));
    memories += listEntryIds(bytes.toString("utf8"), file).length;
    const target = join(out, ...file.split("/"));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
    files.push(target);
  }
  return { format: "markdown", memories, files };
}

/**
 * Markdown from a backend whose truth is elsewhere: each record appended to its daily log
 * (`logFilePath`), oldest first, with the header and separators the embedded store writes, so
 * the files are the ones an embedded root holding the same memories (added in creation order)
 * would have. Streams: one record in memory at a time.
 */
async function renderMarkdown(source: ExportSource, out: string, options: ExportOptions): Promise<ExportSummary> {
  const wanted = logFileFilter(source, options);
  const files = new Set<string>();
  let memories = 0;
  for await (const record of recordsOf(source, catalogFilter(source, options))) {
    const file = logFilePath(record.scope, record.kind, record.timestamp);
    if (!wanted(file)) continue;
    const target = join(out, ...file.split("/"));
    // The header ends with a line, as every entry does: one blank line goes before each entry.
    const entry = `\n${renderEntry(record)}`;
    if (files.has(target)) {
      await appendFile(target, entry);
    } else {
      await mkdir(dirname(target), { recursive: true });
      // The first write of a file replaces what a forced export found there.
      await writeFile(target, renderLogHeader(record.scope, record.kind, file.slice(-13, -3)) + entry);
      files.add(target);
    }
    memories++;
  }
  return { format: "markdown", memories, files: [...files] };
}

/** Which log files (`<app>/<project>/<users|agents>/<owner>/<episodes|facts>/<date>.md`) the options select. */
function logFileFilter(memory: ExportSource, options: ExportOptions): (file: string) => boolean {
  const ownerType = options.userId !== undefined ? "users" : options.agentId !== undefined ? "agents" : undefined;
  const ownerId = options.userId ?? options.agentId;
  const kindFolder = options.kind === undefined ? undefined : options.kind === "episode" ? "episodes" : "facts";
  return (file) => {
    const [app, project, owners, owner, kinds] = file.split("/");
    if (kindFolder !== undefined && kinds !== kindFolder) return false;
    if (ownerType === undefined) return true;
    return app === memory.config.appId && project === memory.config.projectId && owners === ownerType && owner === ownerId;
  };
}

/** A copy inside the root would be found by the next walk of the root's log files, and copied into itself. */
async function refuseInsideRoot(out: string, root: string): Promise<void> {
  const rootReal = await realpath(root).catch(() => resolve(root));
  const outReal = await realpathOfMaybeMissing(resolve(out));
  if (isSameOrInside(outReal, rootReal) || isSameOrInside(resolve(out), resolve(root))) {
    throw new ValidationError(`${out} is inside the data root ${root}; export to a folder outside it`, { details: { path: "out" } });
  }
}

async function refuseNonEmptyFolder(out: string, force: boolean): Promise<void> {
  const existing = await stat(out).catch(() => undefined);
  if (existing === undefined) return;
  if (!existing.isDirectory()) throw new ValidationError(`${out} is a file; markdown export needs a folder`, { details: { path: "out" } });
  if (!force && (await readdir(out)).length > 0) {
    throw new ValidationError(`${out} is not empty; pass --force to write into it (files of the same name are replaced)`, { details: { path: "out" } });
  }
}

/** The real path of `path`, following links in the part that exists (the out folder may not yet). */
async function realpathOfMaybeMissing(path: string): Promise<string> {
  let existing = path;
  const missing: string[] = [];
  for (;;) {
    try {
      return join(await realpath(existing), ...missing.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return path;
      missing.push(basename(existing));
      existing = parent;
    }
  }
}

function isSameOrInside(child: string, parent: string): boolean {
  const path = relative(parent, child);
  return path === "" || (path.split(sep)[0] !== ".." && !isAbsolute(path));
}

function optionalKind(kind: unknown): MemoryKind | undefined {
  if (kind === undefined || kind === "episode" || kind === "fact") return kind;
  throw new UsageError(`--kind must be episode or fact (got ${JSON.stringify(kind)})`, "kind");
}
