import { UnsupportedFormatError } from "../spec/errors.js";
import type { Parser, SniffedFormat } from "../spec/parser.js";

/** Picks the parser for a sniffed format. One parser per format; the first registered wins. */
export class ParserRegistry {
  private readonly byFormat = new Map<string, Parser>();

  constructor(parsers: readonly Parser[]) {
    for (const parser of parsers) {
      for (const format of parser.formats) if (!this.byFormat.has(format)) this.byFormat.set(format, parser);
    }
  }

  parserFor(format: SniffedFormat): Parser {
    const parser = this.byFormat.get(format.format);
    if (parser === undefined) {
      throw new UnsupportedFormatError(`no parser for ${format.format} (${format.mediaType})`, { details: { format: format.format } });
    }
    return parser;
  }

  get formats(): string[] {
    return [...this.byFormat.keys()].sort();
  }
}
