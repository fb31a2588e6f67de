/**
 * Text of OpenDocument files (odt, ods, odp) without LibreOffice, from content.xml: paragraphs
 * and headings one per line, table rows as tab-separated lines, "--- sheet: NAME ---" per
 * spreadsheet table and "--- slide N ---" per presentation page.
 */
import { UnsupportedFormatError } from "../../spec/errors.js";
import { decodeXmlEntities, openZipPackage, readZipText, tidyText, xmlAttribute } from "./zip-package.js";

export type OpenDocumentKind = "odt" | "ods" | "odp";

/** Empty repeated cells and rows beyond this are not written out (sheets pad to 1024 columns). */
const MAX_REPEAT = 256;

export async function extractOpenDocumentText(bytes: Uint8Array, kind: OpenDocumentKind): Promise<string> {
  const zip = await openZipPackage(bytes, kind);
  const content = await readZipText(zip, "content.xml");
  if (content === undefined) {
    throw new UnsupportedFormatError(`The ${kind} file has no content.xml: not an OpenDocument file`);
  }
  return openDocumentContentText(content, kind);
}

/** The walk over content.xml, exported for tests. */
export function openDocumentContentText(xml: string, kind: OpenDocumentKind): string {
  const bodyStart = xml.search(/<office:body\b/);
  const source = bodyStart >= 0 ? xml.slice(bodyStart) : xml;
  const out = new TextBuilder();
  let slide = 0;
  // Depth inside elements whose text is not document content.
  let skipDepth = 0;
  // Depth inside table cells; text of nested cells goes to the outermost one.
  let cellDepth = 0;
  let cellText = "";
  let cellRepeat = 1;
  let rowRepeat = 1;
  let rowCells: string[] = [];
  // Text lives in paragraphs and headings; whitespace between other elements is layout.
  let paragraphDepth = 0;

  const emit = (value: string): void => {
    if (cellDepth > 0) cellText += value;
    else out.text(value);
  };
  const pushCell = (value: string, repeat: number): void => {
    for (let i = 0; i < Math.min(repeat, MAX_REPEAT); i++) rowCells.push(value);
  };

  const tokens = /<(\/?)([A-Za-z_][\w.-]*(?::[\w.-]+)?)((?:"[^"]*"|'[^']*'|[^'">])*?)(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|([^<]+)/g;
  for (const match of source.matchAll(tokens)) {
    const text = match[5];
    if (text !== undefined) {
      if (skipDepth === 0 && paragraphDepth > 0) emit(decodeXmlEntities(text));
      continue;
    }
    const name = match[2];
    if (name === undefined) continue;
    const closing = match[1] === "/";
    const attributes = match[3] ?? "";
    const selfClosing = match[4] === "/";
    const starts = !closing;
    const ends = closing || selfClosing;

    if (SKIPPED.has(name)) {
      if (!selfClosing) skipDepth += closing ? -1 : 1;
      continue;
    }
    if (skipDepth > 0) continue;

    switch (name) {
      case "text:s":
        if (starts) emit(" ".repeat(Math.min(count(attributes, "text:c"), 1000)));
        break;
      case "text:tab":
        if (starts) emit("\t");
        break;
      case "text:line-break":
        if (starts) emit(cellDepth > 0 ? " " : "\n");
        break;
      case "text:p":
      case "text:h":
        if (starts && !selfClosing) paragraphDepth++;
        if (closing) paragraphDepth = Math.max(0, paragraphDepth - 1);
        if (ends) {
          if (cellDepth > 0) cellText += " ";
          else out.endLine();
        }
        break;
      case "draw:page":
        if (starts) out.section(`--- slide ${++slide} ---`);
        break;
      case "table:table":
        if (cellDepth > 0) break;
        if (starts && kind === "ods") out.section(`--- sheet: ${xmlAttribute(attributes, "table:name") ?? "Sheet"} ---`);
        if (ends) out.endLine();
        break;
      case "table:table-row":
        if (cellDepth > 0) break;
        if (starts) {
          rowCells = [];
          rowRepeat = count(attributes, "table:number-rows-repeated");
        }
        if (ends) {
          const line = rowCells.join("\t").replace(/\t+$/, "");
          if (line.trim().length > 0) for (let i = 0; i < Math.min(rowRepeat, MAX_REPEAT); i++) out.line(line);
          rowCells = [];
        }
        break;
      case "table:table-cell":
      case "table:covered-table-cell":
        if (selfClosing) {
          if (cellDepth === 0) pushCell("", count(attributes, "table:number-columns-repeated"));
        } else if (starts) {
          if (cellDepth === 0) {
            cellText = "";
            cellRepeat = count(attributes, "table:number-columns-repeated");
          }
          cellDepth++;
        } else {
          cellDepth = Math.max(0, cellDepth - 1);
          if (cellDepth === 0) pushCell(cellText.replace(/\s+/g, " ").trim(), cellRepeat);
        }
        break;
      default:
        break;
    }
  }
  return tidyText(out.toString());
}

const SKIPPED = new Set([
  "office:automatic-styles",
  "office:font-face-decls",
  "office:scripts",
  "office:forms",
  "office:annotation",
  "text:tracked-changes",
  "text:sequence-decls",
  "presentation:notes",
]);

function count(attributes: string, name: string): number {
  const value = Number.parseInt(xmlAttribute(attributes, name) ?? "1", 10);
  return Number.isInteger(value) && value > 0 ? value : 1;
}

/** Accumulates lines of text. */
class TextBuilder {
  private readonly lines: string[] = [];
  private current = "";

  text(value: string): void {
    this.current += value;
  }

  endLine(): void {
    this.lines.push(this.current);
    this.current = "";
  }

  line(value: string): void {
    if (this.current.trim().length > 0) this.endLine();
    this.current = "";
    this.lines.push(value);
  }

  section(header: string): void {
    if (this.current.trim().length > 0) this.endLine();
    this.current = "";
    if (this.lines.length > 0) this.lines.push("");
    this.lines.push(header);
  }

  toString(): string {
    if (this.current.length > 0) this.endLine();
    return this.lines.join("\n");
  }
}
