/** HTML pages (html, htm) to markdown, with the page title first. No model is involved. */
import { FileSizeError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";
import { decodeHtmlBytes, htmlToMarkdown } from "./html-to-markdown.js";

export const HTML_FORMATS = ["html", "htm"] as const;

export class HtmlParser implements Parser {
  readonly name = "html";
  readonly formats: readonly string[] = HTML_FORMATS;

  async parse(input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    const limit = context.limits.maxHtmlBytes;
    if (input.bytes.length > limit) {
      throw new FileSizeError(`The HTML page is ${input.bytes.length} bytes, over the ${limit}-byte limit`, {
        details: { bytes: input.bytes.length, maxHtmlBytes: limit },
      });
    }
    const { title, markdown } = htmlToMarkdown(decodeHtmlBytes(input.bytes));
    return { text: withTitle(title, markdown), parser: "html/markdown" };
  }
}

/** `# title` above the markdown, unless the page already opens with that heading. */
export function withTitle(title: string | undefined, markdown: string): string {
  if (title === undefined) return markdown;
  const firstLine = markdown.split("\n", 1)[0] ?? "";
  if (firstLine.replace(/^#+\s*/, "").trim() === title) return markdown;
  return markdown.length === 0 ? `# ${title}` : `# ${title}\n\n${markdown}`;
}
