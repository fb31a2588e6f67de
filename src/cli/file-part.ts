import { readFile, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { ValidationError } from "../spec/errors.js";
import { UsageError } from "./args.js";

/** A content item for `add`: text as it is, or a file on disk as a file part. */
export type CliContentItem = { type: "text"; text: string } | { type: "file"; data: Uint8Array; filename: string };

/**
 * `omnimem add "I liked the curry" ./menu.jpg ./q3.pdf`: each argument that names an existing
 * regular file becomes a file part (its bytes, its name for the extension; the sniffer decides
 * what it is), every other argument is text (a word written as a path, with a "/", must name a file). Consecutive words of text stay one text item, so
 * an unquoted sentence reads as the sentence.
 */
export async function contentFromArguments(words: readonly string[], cwd: string): Promise<CliContentItem[]> {
  const items: CliContentItem[] = [];
  for (const word of words) {
    const path = resolve(cwd, word);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) {
      items.push({ type: "file", data: new Uint8Array(await readFile(path)), filename: basename(path) });
      continue;
    }
    // A word written as a path is a file the user meant to attach: a typo, or a folder, must not
    // become text. A plain word that happens to name a folder here ("office", ".") is text.
    if (looksLikePath(word)) {
      throw new ValidationError(info === undefined ? `no such file: ${word}` : `${word} is not a regular file`, { details: { path: word } });
    }
    const last = items[items.length - 1];
    if (last?.type === "text") last.text = `${last.text} ${word}`;
    else items.push({ type: "text", text: word });
  }
  if (items.length === 0) throw new UsageError("missing text or files to add");
  return items;
}

function looksLikePath(word: string): boolean {
  return /^(\.{1,2}|~)?\//.test(word) && !/\s/.test(word);
}
