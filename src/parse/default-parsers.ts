import type { Parser } from "../spec/parser.js";
import { AudioParser } from "./audio/audio-parser.js";
import { EmlParser, MsgParser } from "./email/index.js";
import { EpubParser } from "./epub/epub-parser.js";
import { HtmlParser } from "./html/html-parser.js";
import { ImageParser } from "./image/image-parser.js";
import { OfficeParser } from "./office/index.js";
import { PdfParser } from "./pdf/pdf-parser.js";
import { TextParser } from "./text/index.js";

/** One parser per modality, as DESIGN.md's parsing table lists them. */
export function defaultParsers(): Parser[] {
  return [
    new ImageParser(),
    new PdfParser(),
    new AudioParser(),
    new OfficeParser(),
    new EpubParser(),
    new HtmlParser(),
    new EmlParser(),
    new MsgParser(),
    new TextParser(),
  ];
}
