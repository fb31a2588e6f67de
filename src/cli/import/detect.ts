import { UnsupportedFormatError } from "../../spec/errors.js";
import { folderSource } from "./folder-reader.js";
import { jsonlSource } from "./jsonl-reader.js";
import { locomoSource } from "./locomo-reader.js";
import { longMemEvalSource } from "./longmemeval-reader.js";
import { readHead, readJsonFile, statPath } from "./source-file.js";
import { isRecord, type UnitSource } from "./unit.js";

export const IMPORT_FORMATS = ["jsonl", "longmemeval", "locomo", "files"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Enough of a JSON file to see the keys of its first element in the usual layouts. */
const HEAD_CHARS = 256 * 1024;

/**
 * Which reader a path needs: a folder holds files; `.jsonl`/`.ndjson` is JSONL; a `.json` array
 * (by its first bytes, else parsed) whose first element has `haystack_sessions` is LongMemEval, one whose first element has a
 * `conversation` with `session_1` is LoCoMo; any other file is a file to parse. (`.gz` is looked
 * through.) `--format` overrides all of it.
 */
export async function detectFormat(path: string): Promise<ImportFormat> {
  const info = await statPath(path);
  if (info.isDirectory()) return "files";
  const name = path.toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return "jsonl";
  if (name.endsWith(".json")) {
    const head = (await readHead(path, HEAD_CHARS)).trimStart();
    const format = jsonLayoutFromHead(head) ?? jsonLayout(await readJsonFile(path, path));
    if (format !== undefined) return format;
    throw new UnsupportedFormatError(
      `${path}: a JSON file that is neither LongMemEval (questions with haystack_sessions) nor LoCoMo (samples with a conversation of session_N); for conversations use JSONL, or pass --format`,
      { details: { path } },
    );
  }
  return "files";
}

/** The layout from the first characters alone, when the first element's keys are among them. */
function jsonLayoutFromHead(head: string): ImportFormat | undefined {
  if (!head.startsWith("[")) return undefined;
  if (/"haystack_sessions"\s*:/.test(head)) return "longmemeval";
  if (/"conversation"\s*:/.test(head) && /"session_1"\s*:/.test(head)) return "locomo";
  return undefined;
}

/** The layout of a parsed JSON document, from its first element. */
export function jsonLayout(document: unknown): ImportFormat | undefined {
  if (!Array.isArray(document)) return undefined;
  const first: unknown = document[0];
  if (!isRecord(first)) return undefined;
  if (first.haystack_sessions !== undefined) return "longmemeval";
  if (isRecord(first.conversation) && first.conversation.session_1 !== undefined) return "locomo";
  return undefined;
}

/** The reader for a path in a format. */
export function openSource(path: string, format: ImportFormat): UnitSource {
  switch (format) {
    case "jsonl":
      return jsonlSource(path);
    case "longmemeval":
      return longMemEvalSource(path);
    case "locomo":
      return locomoSource(path);
    case "files":
      return folderSource(path);
  }
}
