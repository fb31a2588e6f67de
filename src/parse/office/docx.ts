/** Raw text of a .docx without LibreOffice, through mammoth (paragraphs, tables, lists). */

import { UnsupportedFormatError } from "../../spec/errors.js";
import { checkZipExpansion, tidyText } from "./zip-package.js";

export async function extractDocxText(bytes: Uint8Array): Promise<string> {
  checkZipExpansion(bytes, "docx");
  let value: string;
  try {
    // Imported on the first document, not at startup: few calls parse Word files.
    const { default: mammoth } = await import("mammoth");
    const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    value = result.value;
  } catch (error) {
    throw new UnsupportedFormatError("The docx file could not be read (not a Word document, or damaged)", { cause: error });
  }
  return tidyText(value.replace(/\r\n?/g, "\n"));
}
