/**
 * The format of omnimem's markdown truth files: daily logs, one per owner, kind and UTC day.
 * Pure functions on strings; no filesystem I/O (see atomic-file.ts for that).
 *
 * A log file:
 *
 *     ---
 *     omnimem: 1
 *     kind: episodes
 *     app_id: default
 *     project_id: default
 *     owner_type: user
 *     owner_id: alice
 *     date: 2026-11-21
 *     ---
 *
 *     # Episodes · alice · 2026-11-21
 *
 *     <!-- entry:ID -->
 *     ```yaml
 *     id: ID
 *     kind: episode
 *     ...
 *     ```
 *
 *     TEXT
 *
 *     <!-- /entry:ID -->
 *
 *     <!-- entry:ID2 -->
 *     ...
 *     <!-- /entry:ID2 -->
 *
 * Exact layout of one entry (renderEntry):
 *
 *     "<!-- entry:" ID " -->\n"
 *     "```yaml\n" YAML "```\n"          (YAML always ends with "\n"; no YAML line is "```")
 *     "\n" ESCAPED_TEXT "\n\n"
 *     "<!-- /entry:" ID " -->\n"
 *
 * so the text is exactly what lies between the blank line after the closing fence and the
 * "\n\n" before the end marker. Entries are separated by one blank line; the file ends with
 * the last end marker line.
 *
 * Escaping: in the text, every match of /<!-- (\\*)(\/?)entry:/ gets one more backslash after
 * "<!-- " when written, and loses one when read. Escaped text therefore never contains
 * "<!-- entry:" or "<!-- /entry:", so no text can forge or close an entry; the mapping is a
 * bijection (matches never overlap, and escaping neither creates nor destroys a match).
 *
 * Every line that begins with "<!-- entry:" or "<!-- /entry:" (after the front matter) is a
 * marker: it must be well formed and properly paired, or parsing fails.
 */
import { parseDocument, stringify } from "yaml";
import type { MemoryKind, MemoryRecord, Metadata, PartType, Role, Scope, SourcePart } from "../../spec/types.js";

export type LogKind = MemoryKind;

export interface LogHeader {
  kind: LogKind;
  scope: Scope;
  /** UTC day, YYYY-MM-DD. */
  date: string;
}

export interface ParsedLog {
  header: LogHeader;
  entries: MemoryRecord[];
}

export interface RemoveResult {
  content: string;
  /** Ids that were found and removed, in file order. */
  removed: string[];
  /** Entries left in the file. */
  remaining: number;
}

/** Version written in the front matter's `omnimem` key. */
export const LOG_FORMAT_VERSION = 1;

const START_PREFIX = "<!-- entry:";
const END_PREFIX = "<!-- /entry:";
const MARKER_SUFFIX = " -->";
const YAML_OPEN = "```yaml";
const FENCE = "```";
/** Ids that may appear in markers (uuids, ulids and the like). */
const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,256}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const ISO_PATTERN = /^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const ROLES: readonly Role[] = ["user", "assistant", "system", "tool"];
/** Largest |ms| a Date can hold. */
const MAX_DATE_MS = 8.64e15;

const YAML_STRINGIFY_OPTIONS = { lineWidth: 0, minContentWidth: 0 } as const;

const ESCAPE_RE = /<!-- (\\*)(\/?)entry:/g;
const UNESCAPE_RE = /<!-- \\(\\*)(\/?)entry:/g;

/* ------------------------------------------------------------------------------------------ */
/* Paths                                                                                       */
/* ------------------------------------------------------------------------------------------ */

function assertSegment(name: string, value: string): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new Error(`markdown log: ${name} must be a non-empty string`);
  }
  if (value === "." || value === "..") {
    throw new Error(`markdown log: ${name} must not be "." or ".."`);
  }
  if (value.includes("/") || value.includes("\\") || value.includes("\0")) {
    throw new Error(`markdown log: ${name} must not contain "/", "\\" or NUL`);
  }
}

function assertScope(scope: Scope): void {
  assertSegment("appId", scope.appId);
  assertSegment("projectId", scope.projectId);
  assertSegment("ownerId", scope.ownerId);
  if (scope.ownerType !== "user" && scope.ownerType !== "agent") {
    throw new Error(`markdown log: ownerType must be "user" or "agent"`);
  }
}

function assertKind(kind: LogKind): void {
  if (kind !== "episode" && kind !== "fact") {
    throw new Error(`markdown log: kind must be "episode" or "fact"`);
  }
}

function assertDate(dateISO: string): void {
  if (typeof dateISO !== "string" || !DATE_PATTERN.test(dateISO)) {
    throw new Error(`markdown log: date must be YYYY-MM-DD, got ${JSON.stringify(dateISO)}`);
  }
}

/** The UTC day (YYYY-MM-DD) of an epoch-ms timestamp; years 0000..9999 only. */
export function logDate(timestampMs: number): string {
  if (!Number.isFinite(timestampMs)) {
    throw new Error(`markdown log: timestamp must be a finite number, got ${timestampMs}`);
  }
  const date = new Date(timestampMs);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw new Error(`markdown log: timestamp ${timestampMs} is outside years 0000..9999`);
  }
  return date.toISOString().slice(0, 10);
}

/** The folder (relative to the data root, posix separators) that holds one owner's logs. */
export function ownerDir(scope: Scope): string {
  assertScope(scope);
  const owners = scope.ownerType === "user" ? "users" : "agents";
  return `${scope.appId}/${scope.projectId}/${owners}/${scope.ownerId}`;
}

/**
 * `<appId>/<projectId>/users|agents/<ownerId>/episodes|facts/YYYY-MM-DD.md`, relative to the
 * data root, with posix separators; the date is the UTC day of `timestampMs`.
 * Ids are validated elsewhere; this only refuses segments that could escape their folder.
 */
export function logFilePath(scope: Scope, kind: LogKind, timestampMs: number): string {
  assertKind(kind);
  const dir = ownerDir(scope);
  return `${dir}/${kind === "episode" ? "episodes" : "facts"}/${logDate(timestampMs)}.md`;
}

/* ------------------------------------------------------------------------------------------ */
/* Escaping                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Adds one backslash after "<!-- " to every `<!-- \*(/)?entry:` so no text can form a marker. */
export function escapeEntryText(text: string): string {
  return text.replace(ESCAPE_RE, (_m, slashes: string, close: string) => `<!-- \\${slashes}${close}entry:`);
}

/** Inverse of escapeEntryText. */
export function unescapeEntryText(text: string): string {
  return text.replace(UNESCAPE_RE, (_m, slashes: string, close: string) => `<!-- ${slashes}${close}entry:`);
}

/* ------------------------------------------------------------------------------------------ */
/* Rendering                                                                                   */
/* ------------------------------------------------------------------------------------------ */

function pluralKind(kind: LogKind): "episodes" | "facts" {
  return kind === "episode" ? "episodes" : "facts";
}

/** Front matter and heading of a new log file; ends with "\n". */
export function renderLogHeader(scope: Scope, kind: LogKind, dateISO: string): string {
  assertScope(scope);
  assertKind(kind);
  assertDate(dateISO);
  const frontMatter = stringify(
    {
      omnimem: LOG_FORMAT_VERSION,
      kind: pluralKind(kind),
      app_id: scope.appId,
      project_id: scope.projectId,
      owner_type: scope.ownerType,
      owner_id: scope.ownerId,
      date: dateISO,
    },
    YAML_STRINGIFY_OPTIONS,
  );
  const title = kind === "episode" ? "Episodes" : "Facts";
  const heading = `# ${title} · ${oneLine(scope.ownerId)} · ${dateISO}`;
  return `---\n${frontMatter}---\n\n${heading}\n`;
}

/** The heading is for humans only; keep it on one line whatever the id holds. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\u2028\u2029]/g, " ");
}

function assertId(id: unknown, what = "id"): asserts id is string {
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    throw new Error(`markdown log: ${what} ${JSON.stringify(id)} is not a valid entry id`);
  }
}

function msToIso(name: string, ms: number): string {
  if (typeof ms !== "number" || !Number.isInteger(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw new Error(`markdown log: ${name} must be an integer epoch-ms timestamp, got ${ms}`);
  }
  return new Date(ms).toISOString();
}

function assertOptionalString(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") {
    throw new Error(`markdown log: ${name} must be a string when present`);
  }
}

function assertMetadata(metadata: unknown): asserts metadata is Metadata {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new Error("markdown log: metadata must be an object");
  }
  for (const [key, value] of Object.entries(metadata)) {
    const t = typeof value;
    if (value !== null && t !== "string" && t !== "number" && t !== "boolean") {
      throw new Error(`markdown log: metadata.${key} must be a string, number, boolean or null`);
    }
  }
}

/** The YAML part of an entry: every field except text and scope, snake_case keys. */
function renderEntryYaml(record: MemoryRecord): string {
  assertId(record.id);
  assertKind(record.kind);
  if (typeof record.text !== "string") throw new Error("markdown log: text must be a string");
  if (typeof record.hash !== "string") throw new Error("markdown log: hash must be a string");
  if (record.role !== undefined && !ROLES.includes(record.role)) {
    throw new Error(`markdown log: role must be one of ${ROLES.join(", ")}`);
  }
  const metadata = record.metadata ?? {};
  assertMetadata(metadata);

  const doc: Record<string, unknown> = { id: record.id, kind: record.kind };
  const optional: [string, string | undefined][] = [
    ["user_id", record.userId],
    ["agent_id", record.agentId],
    ["run_id", record.runId],
    ["session_id", record.sessionId],
    ["sender_id", record.senderId],
    ["role", record.role],
  ];
  for (const [key, value] of optional) {
    assertOptionalString(key, value);
    if (value !== undefined) doc[key] = value;
  }
  doc.timestamp = msToIso("timestamp", record.timestamp);
  doc.created_at = msToIso("createdAt", record.createdAt);
  doc.updated_at = msToIso("updatedAt", record.updatedAt);
  const extracted: [string, string | undefined][] = [
    ["episode_id", record.episodeId],
    ["subject", record.subject],
    ["summary", record.summary],
  ];
  for (const [key, value] of extracted) {
    assertOptionalString(key, value);
    if (value !== undefined) doc[key] = value;
  }
  if (record.sourceParts !== undefined && record.sourceParts.length > 0) doc.source_parts = record.sourceParts.map(renderSourcePart);
  doc.hash = record.hash;
  if (Object.keys(metadata).length > 0) {
    // A null-prototype copy so that a "__proto__" key stays an ordinary key.
    const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [key, value] of Object.entries(metadata)) copy[key] = value;
    doc.metadata = copy;
  }

  const yaml = renderPlainMapping(doc) ?? stringify(doc, YAML_STRINGIFY_OPTIONS);
  // Defence in depth: the YAML must not contain a line that ends the fence or looks like a marker.
  for (const line of yaml.split("\n")) {
    if (line === FENCE || line.startsWith(START_PREFIX) || line.startsWith(END_PREFIX)) {
      throw new Error(`markdown log: entry ${record.id} renders an unsafe YAML line`);
    }
  }
  return yaml;
}

/**
 * `key: value` lines for a mapping of strings that YAML writes plain, exactly as `stringify`
 * would write them, or undefined when some value needs the library (quoting, nesting). Most
 * entries are only ids, names, ISO times and a hash: through the library each cost about 40 KB
 * of short-lived objects (its document tree), a third of what a single add allocated, and the
 * young-generation collections that garbage causes are a single add's tail. The equivalence
 * with the library's output is tested over generated values (markdown-log.test.ts).
 */
export function renderPlainMapping(doc: Record<string, unknown>): string | undefined {
  let yaml = "";
  for (const key in doc) {
    const value = doc[key];
    if (typeof value !== "string" || !isPlainScalar(value)) return undefined;
    yaml += `${key}: ${value}\n`;
  }
  return yaml;
}

/** Letters, digits and `_ . - @ /`, not starting with a YAML indicator: no quoting needed. */
const PLAIN_SAFE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.\-@/]*$/;
/** What msToIso writes. */
const ISO_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Scalars the YAML 1.2 core schema reads as numbers, booleans or null: written quoted. */
const CORE_NON_STRING_RE =
  /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE|null|Null|NULL|~)$/;

function isPlainScalar(value: string): boolean {
  return ISO_TIME_RE.test(value) || (PLAIN_SAFE_RE.test(value) && !CORE_NON_STRING_RE.test(value));
}

const PART_TYPES: readonly PartType[] = ["text", "image", "pdf", "audio", "doc", "html", "email"];

/** A source part in the YAML: snake_case keys like the rest of the entry, optional ones left out. */
function renderSourcePart(part: SourcePart): Record<string, unknown> {
  if (!PART_TYPES.includes(part.type)) throw new Error(`markdown log: source part type must be one of ${PART_TYPES.join(", ")}`);
  for (const key of ["format", "parser", "sha256"] as const) {
    if (typeof part[key] !== "string") throw new Error(`markdown log: source part ${key} must be a string`);
  }
  assertOptionalString("source part name", part.name);
  assertOptionalString("source part model", part.model);
  if (!Number.isSafeInteger(part.bytes) || part.bytes < 0) throw new Error("markdown log: source part bytes must be a whole number");
  return {
    type: part.type,
    format: part.format,
    ...(part.name === undefined ? {} : { name: part.name }),
    parser: part.parser,
    ...(part.model === undefined ? {} : { model: part.model }),
    sha256: part.sha256,
    bytes: part.bytes,
  };
}

/** One entry, from "<!-- entry:ID -->" to "<!-- /entry:ID -->\n". */
export function renderEntry(record: MemoryRecord): string {
  const yaml = renderEntryYaml(record);
  return (
    `${START_PREFIX}${record.id}${MARKER_SUFFIX}\n` +
    `${YAML_OPEN}\n${yaml}${FENCE}\n` +
    `\n${escapeEntryText(record.text)}\n\n` +
    `${END_PREFIX}${record.id}${MARKER_SUFFIX}\n`
  );
}

/* ------------------------------------------------------------------------------------------ */
/* Scanning                                                                                    */
/* ------------------------------------------------------------------------------------------ */

interface EntrySpan {
  id: string;
  /** Offset of the start marker. */
  start: number;
  /** Offset just after the start marker line's "\n". */
  bodyStart: number;
  /** Offset of the end marker. */
  bodyEnd: number;
  /** Offset just after the end marker line (after its "\n" when there is one). */
  end: number;
  /** 1-based line of the start marker. */
  line: number;
}

interface ScannedLog {
  header: LogHeader;
  spans: EntrySpan[];
}

function where(relativePath: string | undefined): string {
  return relativePath === undefined ? "markdown log" : `markdown log ${relativePath}`;
}

class LogFormatError extends Error {
  constructor(relativePath: string | undefined, message: string) {
    super(`${where(relativePath)}: ${message}`);
    this.name = "LogFormatError";
  }
}

/** Parses a YAML snippet strictly: errors and warnings both fail. */
function parseYaml(source: string, onError: (message: string) => never): unknown {
  const doc = parseDocument(source, { uniqueKeys: true, prettyErrors: false, logLevel: "silent" });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) onError(problem.message.split("\n")[0] ?? "invalid YAML");
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    onError(err instanceof Error ? err.message : String(err));
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

interface Line {
  text: string;
  start: number;
  /** Offset after the line's "\n" (or the end of the content). */
  next: number;
  number: number;
}

function* lines(content: string, from: number, firstNumber: number): Generator<Line> {
  let start = from;
  let number = firstNumber;
  while (start < content.length) {
    const nl = content.indexOf("\n", start);
    const end = nl === -1 ? content.length : nl;
    const next = nl === -1 ? content.length : nl + 1;
    yield { text: content.slice(start, end), start, next, number };
    start = next;
    number += 1;
  }
}

function parseHeader(content: string, relativePath: string | undefined): { header: LogHeader; bodyStart: number; bodyLine: number } {
  const fail = (message: string): never => {
    throw new LogFormatError(relativePath, message);
  };
  if (!content.startsWith("---\n")) {
    if (content.startsWith("---\r\n")) fail("CRLF line endings are not supported");
    fail("missing front matter (the file must begin with a '---' line)");
  }
  let close: Line | undefined;
  for (const line of lines(content, 4, 2)) {
    if (line.text === "---") {
      close = line;
      break;
    }
  }
  if (close === undefined) return fail("front matter is not closed by a '---' line");
  const data = parseYaml(content.slice(4, close.start), (m) => fail(`front matter: ${m}`));
  if (!isPlainObject(data)) return fail("front matter must be a YAML map");
  if (data.omnimem !== LOG_FORMAT_VERSION) {
    fail(`front matter: unsupported omnimem format version ${JSON.stringify(data.omnimem)}`);
  }
  let kind: LogKind;
  if (data.kind === "episodes") kind = "episode";
  else if (data.kind === "facts") kind = "fact";
  else return fail(`front matter: kind must be "episodes" or "facts"`);
  const str = (key: string): string => {
    const value = data[key];
    if (typeof value !== "string" || value.length === 0) {
      return fail(`front matter: ${key} must be a non-empty string`);
    }
    return value;
  };
  const ownerType = str("owner_type");
  if (ownerType !== "user" && ownerType !== "agent") {
    return fail(`front matter: owner_type must be "user" or "agent"`);
  }
  const scope: Scope = {
    appId: str("app_id"),
    projectId: str("project_id"),
    ownerType,
    ownerId: str("owner_id"),
  };
  try {
    assertScope(scope);
  } catch (err) {
    fail(`front matter: ${(err as Error).message}`);
  }
  const date = str("date");
  if (!DATE_PATTERN.test(date)) fail("front matter: date must be YYYY-MM-DD");
  return { header: { kind, scope, date }, bodyStart: close.next, bodyLine: close.number + 1 };
}

function markerId(line: string, prefix: string): string | undefined {
  if (!line.startsWith(prefix) || !line.endsWith(MARKER_SUFFIX)) return undefined;
  const id = line.slice(prefix.length, line.length - MARKER_SUFFIX.length);
  return ID_PATTERN.test(id) ? id : undefined;
}

/** Finds every entry by a sequential scan: a start marker, then its own end marker. */
function scanLog(content: string, relativePath?: string): ScannedLog {
  if (typeof content !== "string") throw new LogFormatError(relativePath, "content must be a string");
  const { header, bodyStart, bodyLine } = parseHeader(content, relativePath);
  const fail = (message: string): never => {
    throw new LogFormatError(relativePath, message);
  };
  const spans: EntrySpan[] = [];
  const seen = new Set<string>();
  let open: { id: string; start: number; bodyStart: number; line: number } | undefined;
  for (const line of lines(content, bodyStart, bodyLine)) {
    const isStart = line.text.startsWith(START_PREFIX);
    const isEnd = line.text.startsWith(END_PREFIX);
    if (!isStart && !isEnd) continue;
    if (open === undefined) {
      if (isEnd) fail(`line ${line.number}: end marker without a start marker`);
      const id = markerId(line.text, START_PREFIX);
      if (id === undefined) return fail(`line ${line.number}: malformed start marker ${JSON.stringify(line.text)}`);
      if (seen.has(id)) fail(`entry ${id} (line ${line.number}): the id appears twice in the file`);
      seen.add(id);
      open = { id, start: line.start, bodyStart: line.next, line: line.number };
    } else {
      if (isStart) {
        fail(`entry ${open.id} (line ${open.line}): missing end marker before the next entry at line ${line.number}`);
      }
      const id = markerId(line.text, END_PREFIX);
      if (id !== open.id) {
        fail(`entry ${open.id} (line ${open.line}): unexpected end marker at line ${line.number}: ${JSON.stringify(line.text)}`);
      }
      spans.push({ id: open.id, start: open.start, bodyStart: open.bodyStart, bodyEnd: line.start, end: line.next, line: open.line });
      open = undefined;
    }
  }
  if (open !== undefined) fail(`entry ${open.id} (line ${open.line}): missing end marker`);
  return { header, spans };
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing entries                                                                             */
/* ------------------------------------------------------------------------------------------ */

const ENTRY_KEYS = new Set([
  "id",
  "kind",
  "user_id",
  "agent_id",
  "run_id",
  "session_id",
  "sender_id",
  "role",
  "timestamp",
  "created_at",
  "updated_at",
  "episode_id",
  "subject",
  "summary",
  "source_parts",
  "hash",
  "metadata",
]);

const SOURCE_PART_KEYS = new Set(["type", "format", "name", "parser", "model", "sha256", "bytes"]);

/** The `source_parts` list of an entry, checked as strictly as the rest of it. */
function parseSourceParts(value: unknown, fail: (message: string) => never): SourcePart[] {
  if (!Array.isArray(value)) return fail("source_parts must be a list");
  return value.map((item: unknown, index) => {
    const where = `source_parts[${index}]`;
    if (!isPlainObject(item)) return fail(`${where} must be a map`);
    for (const key of Object.keys(item)) {
      if (!SOURCE_PART_KEYS.has(key)) fail(`${where}: unknown field ${JSON.stringify(key)}`);
    }
    const text = (key: string, optional: boolean): string | undefined => {
      const field = item[key];
      if (field === undefined && optional) return undefined;
      if (typeof field !== "string") return fail(`${where}.${key} must be a string`);
      return field;
    };
    const type = text("type", false) as PartType;
    if (!PART_TYPES.includes(type)) fail(`${where}.type must be one of ${PART_TYPES.join(", ")}`);
    const bytes = item.bytes;
    if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 0) return fail(`${where}.bytes must be a whole number`);
    const part: SourcePart = { type, format: text("format", false)!, parser: text("parser", false)!, sha256: text("sha256", false)!, bytes };
    const name = text("name", true);
    const model = text("model", true);
    if (name !== undefined) part.name = name;
    if (model !== undefined) part.model = model;
    return part;
  });
}

function parseEntry(content: string, span: EntrySpan, header: LogHeader, relativePath: string | undefined): MemoryRecord {
  const fail = (message: string): never => {
    throw new LogFormatError(relativePath, `entry ${span.id} (line ${span.line}): ${message}`);
  };
  const body = content.slice(span.bodyStart, span.bodyEnd);
  if (!body.startsWith(`${YAML_OPEN}\n`)) fail("expected a ```yaml fence right after the start marker");
  const yamlStart = YAML_OPEN.length + 1;
  let yamlEnd = -1;
  let textStart = -1;
  for (const line of lines(body, yamlStart, 0)) {
    if (line.text === FENCE) {
      yamlEnd = line.start;
      textStart = line.next;
      break;
    }
  }
  if (yamlEnd < 0) fail("the ```yaml fence is not closed");
  const region = body.slice(textStart);
  if (region.length < 3 || !region.startsWith("\n") || !region.endsWith("\n\n")) {
    fail("the text must sit between a blank line after the fence and a blank line before the end marker");
  }
  const text = unescapeEntryText(region.slice(1, region.length - 2));

  const data = parseYaml(body.slice(yamlStart, yamlEnd), (m) => fail(`invalid YAML: ${m}`));
  if (!isPlainObject(data)) return fail("the YAML must be a map");
  for (const key of Object.keys(data)) {
    if (!ENTRY_KEYS.has(key)) fail(`unknown field ${JSON.stringify(key)}`);
  }
  if (data.id !== span.id) fail(`id ${JSON.stringify(data.id)} does not match the marker`);
  if (data.kind !== header.kind) {
    fail(`kind ${JSON.stringify(data.kind)} does not match the file's kind "${header.kind}"`);
  }
  const optionalString = (key: string): string | undefined => {
    const value = data[key];
    if (value === undefined) return undefined;
    if (typeof value !== "string") return fail(`${key} must be a string`);
    return value;
  };
  const time = (key: string): number => {
    const value = data[key];
    if (typeof value !== "string" || !ISO_PATTERN.test(value)) {
      return fail(`${key} must be an ISO-8601 timestamp string`);
    }
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) return fail(`${key} is not a valid timestamp: ${value}`);
    return ms;
  };
  const hash = data.hash;
  if (typeof hash !== "string") return fail("hash must be a string");
  const role = optionalString("role");
  if (role !== undefined && !ROLES.includes(role as Role)) fail(`role must be one of ${ROLES.join(", ")}`);

  let metadata: Metadata = {};
  if (data.metadata !== undefined) {
    if (!isPlainObject(data.metadata)) return fail("metadata must be a map");
    for (const [key, value] of Object.entries(data.metadata)) {
      const t = typeof value;
      if (value !== null && t !== "string" && t !== "number" && t !== "boolean") {
        fail(`metadata.${key} must be a string, number, boolean or null`);
      }
    }
    metadata = data.metadata as Metadata;
  }

  const userId = optionalString("user_id");
  const agentId = optionalString("agent_id");
  const runId = optionalString("run_id");
  const sessionId = optionalString("session_id");
  const senderId = optionalString("sender_id");
  const episodeId = optionalString("episode_id");
  const subject = optionalString("subject");
  const summary = optionalString("summary");
  const sourceParts = data.source_parts === undefined ? undefined : parseSourceParts(data.source_parts, fail);
  const record: MemoryRecord = {
    id: span.id,
    kind: header.kind,
    scope: { ...header.scope },
    text,
    ...(userId !== undefined ? { userId } : {}),
    ...(agentId !== undefined ? { agentId } : {}),
    ...(runId !== undefined ? { runId } : {}),
    ...(sessionId !== undefined ? { sessionId } : {}),
    ...(senderId !== undefined ? { senderId } : {}),
    ...(role !== undefined ? { role: role as Role } : {}),
    timestamp: time("timestamp"),
    createdAt: time("created_at"),
    updatedAt: time("updated_at"),
    metadata,
    ...(episodeId !== undefined ? { episodeId } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(summary !== undefined ? { summary } : {}),
    ...(sourceParts !== undefined && sourceParts.length > 0 ? { sourceParts } : {}),
    hash,
  };
  return record;
}

/**
 * Parses a whole log: the front matter (which gives the scope) and every entry. Malformed
 * input throws an Error naming the file (when `relativePath` is given) and the entry id/line.
 */
export function parseLog(fileContent: string, relativePath?: string): ParsedLog {
  const { header, spans } = scanLog(fileContent, relativePath);
  const entries = spans.map((span) => parseEntry(fileContent, span, header, relativePath));
  return { header, entries };
}

/** Only the front matter of a log. */
export function parseLogHeader(fileContent: string, relativePath?: string): LogHeader {
  return parseHeader(fileContent, relativePath).header;
}

/** The ids of the entries of a log, in file order (checks the markers, not the YAML). */
export function listEntryIds(fileContent: string, relativePath?: string): string[] {
  return scanLog(fileContent, relativePath).spans.map((s) => s.id);
}

/* ------------------------------------------------------------------------------------------ */
/* Editing                                                                                     */
/* ------------------------------------------------------------------------------------------ */

function sameScope(a: Scope, b: Scope): boolean {
  return a.appId === b.appId && a.projectId === b.projectId && a.ownerType === b.ownerType && a.ownerId === b.ownerId;
}

function assertBelongs(record: MemoryRecord, header: LogHeader): void {
  if (record.kind !== header.kind) {
    throw new Error(`markdown log: record ${record.id} is a ${record.kind}, the file holds ${header.kind}s`);
  }
  if (record.scope === undefined || !sameScope(record.scope, header.scope)) {
    throw new Error(`markdown log: record ${record.id} belongs to another scope than the file`);
  }
}

/** Text to add after `content` so that what follows starts after a blank line. */
export function separatorAfter(content: string): string {
  if (content.length === 0 || content.endsWith("\n\n")) return "";
  return content.endsWith("\n") ? "\n" : "\n\n";
}

/**
 * Appends entries to a log, creating the header when the file is new (`fileContent`
 * undefined). The existing content is kept byte for byte as a prefix of the result.
 * Throws when a record's kind or scope differs from the file's, or its id is already there.
 */
export function appendEntries(
  fileContent: string | undefined,
  scope: Scope,
  kind: LogKind,
  dateISO: string,
  records: Iterable<MemoryRecord>,
  relativePath?: string,
): string {
  let content: string;
  let header: LogHeader;
  const ids = new Set<string>();
  if (fileContent === undefined) {
    content = renderLogHeader(scope, kind, dateISO);
    header = { kind, scope, date: dateISO };
  } else {
    const scanned = scanLog(fileContent, relativePath);
    header = scanned.header;
    if (header.kind !== kind || !sameScope(header.scope, scope) || header.date !== dateISO) {
      throw new Error(`${where(relativePath)}: the file's header does not match the scope, kind and date to append to`);
    }
    for (const span of scanned.spans) ids.add(span.id);
    content = fileContent;
  }
  const parts: string[] = [content];
  let tail = content;
  for (const record of records) {
    assertBelongs(record, header);
    if (ids.has(record.id)) throw new Error(`${where(relativePath)}: entry ${record.id} is already in the file`);
    ids.add(record.id);
    const entry = renderEntry(record);
    parts.push(separatorAfter(tail), entry);
    tail = entry;
  }
  return parts.join("");
}

/** Replaces the entry with `record.id` by the rendering of `record`; throws when it is absent. */
export function replaceEntry(fileContent: string, record: MemoryRecord, relativePath?: string): string {
  const { header, spans } = scanLog(fileContent, relativePath);
  const span = spans.find((s) => s.id === record.id);
  if (span === undefined) throw new Error(`${where(relativePath)}: entry ${record.id} is not in the file`);
  assertBelongs(record, header);
  let entry = renderEntry(record);
  // The old end marker may have been the last line without a "\n"; keep that as it was.
  if (!fileContent.slice(span.start, span.end).endsWith("\n")) entry = entry.slice(0, -1);
  return fileContent.slice(0, span.start) + entry + fileContent.slice(span.end);
}

/** Removes the entries with these ids (and the blank line after each). */
export function removeEntries(fileContent: string, ids: Iterable<string>, relativePath?: string): RemoveResult {
  const { spans } = scanLog(fileContent, relativePath);
  const wanted = new Set(ids);
  const parts: string[] = [];
  const removed: string[] = [];
  let pos = 0;
  for (const span of spans) {
    if (!wanted.has(span.id)) continue;
    parts.push(fileContent.slice(pos, span.start));
    let end = span.end;
    if (fileContent[end] === "\n") end += 1;
    pos = end;
    removed.push(span.id);
  }
  if (removed.length === 0) return { content: fileContent, removed, remaining: spans.length };
  parts.push(fileContent.slice(pos));
  return { content: parts.join(""), removed, remaining: spans.length - removed.length };
}
