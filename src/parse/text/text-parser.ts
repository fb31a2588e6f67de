/**
 * Plain text formats (txt md csv json): strict UTF-8 (a byte sequence that is not UTF-8 is
 * UNSUPPORTED_FORMAT rather than text full of U+FFFD), byte-order mark dropped, line endings
 * normalised to "\n". JSON that parses is re-indented without being re-serialised, so numbers
 * keep their exact spelling (JSON.parse would round 12345678901234567890).
 */
import { UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";

export const TEXT_FORMATS = ["txt", "md", "csv", "json"] as const;

/** Decodes strict UTF-8 and drops a leading BOM; throws UnsupportedFormatError on invalid bytes. */
export function decodeUtf8Strict(bytes: Uint8Array, what = "text"): string {
  try {
    // `fatal` rejects invalid sequences; the default `ignoreBOM: false` strips the BOM.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new UnsupportedFormatError(`The ${what} is not valid UTF-8`, { cause: error });
  }
}

export class TextParser implements Parser {
  readonly name = "text";
  readonly formats: readonly string[] = TEXT_FORMATS;

  async parse(input: ParseInput, _context: ParseContext): Promise<ParseOutput> {
    const format = input.format.format;
    const text = decodeUtf8Strict(input.bytes, `${format} file`).replace(/\r\n?/g, "\n");
    if (format === "json") {
      const pretty = prettyJson(text);
      if (pretty !== undefined) return { text: pretty, parser: "text/json" };
    }
    return { text, parser: "text/utf8" };
  }
}

/**
 * `text` re-indented by two spaces when it is valid JSON, else undefined. Works on the tokens,
 * so string contents and number spellings stay exactly as written.
 */
export function prettyJson(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  let out = "";
  let depth = 0;
  let index = 0;
  const newline = (): string => `\n${"  ".repeat(depth)}`;
  while (index < text.length) {
    const char = text[index] as string;
    if (char === '"') {
      // A string token: copy through its closing quote, escapes included.
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      out += text.slice(index, end + 1);
      index = end + 1;
      continue;
    }
    if (char === "{" || char === "[") {
      const close = char === "{" ? "}" : "]";
      const next = nextNonSpace(text, index + 1);
      if (text[next] === close) {
        out += char + close;
        index = next + 1;
        continue;
      }
      depth++;
      out += char + newline();
    } else if (char === "}" || char === "]") {
      depth--;
      out += newline() + char;
    } else if (char === ",") {
      out += `,${newline()}`;
    } else if (char === ":") {
      out += ": ";
    } else if (!/\s/.test(char)) {
      out += char;
    }
    index++;
  }
  return out;
}

function nextNonSpace(text: string, from: number): number {
  let index = from;
  while (index < text.length && /\s/.test(text[index] as string)) index++;
  return index;
}
